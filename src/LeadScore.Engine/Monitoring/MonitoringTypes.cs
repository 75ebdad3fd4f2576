using LeadScore.Core;

namespace LeadScore.Engine.Monitoring;

/// <summary>
/// One feature's values in one window (or in the reference), as a column. Numeric: <see cref="double.NaN"/> means
/// missing; categorical: null means missing. Missing values are left out of every drift test (as Evidently does)
/// and reported as a share beside it.
/// </summary>
public sealed class FeatureColumn
{
    private FeatureColumn(string name, FeatureKind kind, double[]? numbers, string?[]? categories)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name; Kind = kind; Numbers = numbers; Categories = categories;
    }

    public string Name { get; }
    public FeatureKind Kind { get; }
    /// <summary>The values of a numeric column (NaN = missing); null for a categorical one.</summary>
    public double[]? Numbers { get; }
    /// <summary>The values of a categorical column (null = missing); null for a numeric one.</summary>
    public string?[]? Categories { get; }
    public int Count => Numbers?.Length ?? Categories!.Length;

    public static FeatureColumn Numeric(string name, double[] values) => new(name, FeatureKind.Numeric, values ?? throw new ArgumentNullException(nameof(values)), null);
    public static FeatureColumn Categorical(string name, string?[] values) => new(name, FeatureKind.Categorical, null, values ?? throw new ArgumentNullException(nameof(values)));
}

/// <summary>The drift tests the engine runs; the names follow Evidently's stattests.</summary>
public enum DriftTest
{
    /// <summary>Two-sample Kolmogorov-Smirnov (scipy.stats.ks_2samp); drifted when p &lt; the p-value threshold.</summary>
    KolmogorovSmirnov,
    /// <summary>Chi-squared goodness of fit of current counts to reference proportions (Evidently chisquare); p-value.</summary>
    ChiSquared,
    /// <summary>Two-proportion z-test for a binary feature (Evidently z); p-value.</summary>
    ZTest,
    /// <summary>Wasserstein distance divided by the reference standard deviation (Evidently wasserstein); drifted at &gt;= threshold.</summary>
    Wasserstein,
    /// <summary>Jensen-Shannon distance over bins or categories (Evidently jensenshannon); drifted at &gt;= threshold.</summary>
    JensenShannon,
    /// <summary>Population stability index (Evidently psi); drifted at &gt;= threshold.</summary>
    Psi,
}

/// <summary>Thresholds and sizes of the drift checks. The defaults are Evidently's size-aware defaults.</summary>
public sealed record DriftOptions
{
    /// <summary>A reference of at most this many rows gets the statistical tests (KS, chi-squared, z); above it, the distances.</summary>
    public int SmallReferenceMaxRows { get; init; } = 1000;
    /// <summary>A numeric feature with more than this many distinct values (reference and current together) is continuous.</summary>
    public int NumericMinUniqueValues { get; init; } = 5;
    /// <summary>KS, chi-squared and z-test: drifted when p &lt; this.</summary>
    public double PValueThreshold { get; init; } = 0.05;
    /// <summary>Normalised Wasserstein distance: drifted when &gt;= this.</summary>
    public double WassersteinThreshold { get; init; } = 0.1;
    /// <summary>Jensen-Shannon distance: drifted when &gt;= this.</summary>
    public double JensenShannonThreshold { get; init; } = 0.1;
    /// <summary>PSI, computed for every feature: drifted (for the sentence and the report) when &gt;= this.</summary>
    public double PsiThreshold { get; init; } = 0.2;
    /// <summary>Bins for PSI and Jensen-Shannon on numeric features (Evidently's n_bins, 30).</summary>
    public int Bins { get; init; } = 30;
    /// <summary>Dataset drift when the drifted features carry at least this share of the model's importance.</summary>
    public double DatasetDriftShare { get; init; } = 0.5;
    /// <summary>Run the domain-classifier (multivariate) check.</summary>
    public bool Multivariate { get; init; } = true;
    /// <summary>Rows taken from each side (reference, current) for the domain classifier, sampled with <see cref="Seed"/>.</summary>
    public int MultivariateMaxRowsPerSide { get; init; } = 1000;
    /// <summary>Folds of the domain classifier's cross-validation.</summary>
    public int MultivariateFolds { get; init; } = 5;
    /// <summary>Multivariate drift when the cross-validated AUC of telling the sets apart is above this (NannyML's domain classifier: 0.65).</summary>
    public double MultivariateAucThreshold { get; init; } = 0.65;
    /// <summary>Boosted trees in the domain classifier.</summary>
    public int MultivariateTrees { get; init; } = 40;
    /// <summary>Seed for every sample and the domain classifier.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>
    /// Chi-squared and z-test on small windows: values whose expected count in the current window (reference share x
    /// current rows) is below this are pooled into one bin before the chi-squared test, and a two-value feature whose
    /// rarer value expects fewer than this is not tested (Cochran's rule; both tests are far too eager below it: a value
    /// the reference never saw, seen once, gives p = 0). 0 (the default) keeps Evidently's tests as they are; the log
    /// mode, with windows of a few dozen leads, uses 5.
    /// </summary>
    public double MinExpectedCount { get; init; }
    /// <summary>Features named in the sentence of a multivariate result and drawn in the report.</summary>
    public int TopFeatures { get; init; } = 5;

    public static DriftOptions Default { get; } = new();
}

/// <summary>A summary of one side of a feature: mean (numeric) or the share of one category.</summary>
public sealed record SideSummary(int Rows, int Missing, double? Mean, double? StdDev);

/// <summary>The drift of one feature between the reference and the current window.</summary>
public sealed record FeatureDrift
{
    public required string Feature { get; init; }
    public required FeatureKind Kind { get; init; }
    /// <summary>The test chosen for this feature by the size-aware rule.</summary>
    public required DriftTest Test { get; init; }
    /// <summary>The test's statistic: KS D, chi-squared, z, or the distance for Wasserstein / Jensen-Shannon.</summary>
    public required double Statistic { get; init; }
    /// <summary>The p-value for KS, chi-squared and z; null for the distances.</summary>
    public double? PValue { get; init; }
    public required double Threshold { get; init; }
    public required bool Drifted { get; init; }
    /// <summary>PSI of the feature (always computed), with <see cref="DriftOptions.PsiThreshold"/>.</summary>
    public required double Psi { get; init; }
    public required bool PsiDrifted { get; init; }
    public required SideSummary Reference { get; init; }
    public required SideSummary Current { get; init; }
    /// <summary>For categories: the category whose share moved most, and its shares (reference, current).</summary>
    public string? TopCategory { get; init; }
    public double? TopCategoryReferenceShare { get; init; }
    public double? TopCategoryCurrentShare { get; init; }
    /// <summary>
    /// One sentence: "pricing_page_visits moved: mean 2.1 -> 3.4 (Wasserstein 0.23)" or
    /// "lead_source: share of 'Google' 31% -> 12% (Jensen-Shannon 0.15)".
    /// </summary>
    public required string Explanation { get; init; }
}

/// <summary>The domain classifier's verdict: can a model tell reference rows from current rows?</summary>
public sealed record MultivariateDrift(double Auc, double Threshold, bool Drifted, int ReferenceRows, int CurrentRows, IReadOnlyList<FeatureWeight> TopFeatures, string Explanation);

/// <summary>A feature and how much it weighs (importance or separating power).</summary>
public sealed record FeatureWeight(string Feature, double Weight);

/// <summary>Drift of the A-D grade mix: chi-squared test of homogeneity on the 2 x k table of counts (scipy.stats.chi2_contingency).</summary>
public sealed record GradeMixDrift(IReadOnlyDictionary<string, int> ReferenceCounts, IReadOnlyDictionary<string, int> CurrentCounts, double Statistic, double PValue, double Threshold, bool Drifted, string Explanation);

/// <summary>Everything the engine says about one current window against the reference.</summary>
public sealed record DriftReport
{
    public required int ReferenceRows { get; init; }
    public required int CurrentRows { get; init; }
    /// <summary>Per feature, in input order.</summary>
    public required IReadOnlyList<FeatureDrift> Features { get; init; }
    /// <summary>Share of importance carried by drifted features (importance normalised to sum 1).</summary>
    public required double DriftedImportanceShare { get; init; }
    public required double DatasetDriftShare { get; init; }
    public required bool DatasetDrift { get; init; }
    /// <summary>Drift of the score (probability) distribution, when scores were given.</summary>
    public FeatureDrift? ScoreDrift { get; init; }
    public GradeMixDrift? GradeMixDrift { get; init; }
    public MultivariateDrift? Multivariate { get; init; }
    public int DriftedFeatures => Features.Count(f => f.Drifted);
}

/// <summary>One side (reference or current window) of a comparison: feature columns, optional scores and grades, aligned by row.</summary>
public sealed record DriftSample(IReadOnlyList<FeatureColumn> Columns)
{
    /// <summary>Calibrated probabilities, one per row (optional).</summary>
    public double[]? Scores { get; init; }
    /// <summary>Grades (A-D), one per row (optional).</summary>
    public string?[]? Grades { get; init; }
    public int Rows => Columns.Count > 0 ? Columns[0].Count : Scores?.Length ?? Grades?.Length ?? 0;
}

/// <summary>Realized performance on rows whose outcome is known.</summary>
public sealed record RealizedPerformance
{
    public required int Rows { get; init; }
    public required int Positives { get; init; }
    /// <summary>ROC AUC (Ranking.Auc); NaN when one class is absent.</summary>
    public required double Auc { get; init; }
    /// <summary>Average precision (scikit-learn's average_precision_score).</summary>
    public required double PrAuc { get; init; }
    /// <summary>Expected calibration error, the model card's 10 equal-width bins (Evaluator).</summary>
    public required double Ece { get; init; }
    /// <summary>Lift in the top 10% by score.</summary>
    public required double LiftAt10 { get; init; }
    /// <summary>Predicted vs actual per grade, when grades were given.</summary>
    public IReadOnlyList<GradeCalibration> CalibrationPerGrade { get; init; } = [];
}

/// <summary>Mean predicted probability vs observed conversion rate in one grade.</summary>
public sealed record GradeCalibration(string Grade, int Rows, double MeanPredicted, double ObservedRate);

/// <summary>Expected counts at a threshold (may be fractional: sums of probabilities).</summary>
public sealed record ExpectedConfusion(double TruePositives, double FalsePositives, double TrueNegatives, double FalseNegatives);

/// <summary>NannyML's CBPE estimate from calibrated probabilities, without labels.</summary>
public sealed record EstimatedPerformance(int Rows, double Auc, double Threshold, ExpectedConfusion Confusion, double Precision, double Recall, double Accuracy);
