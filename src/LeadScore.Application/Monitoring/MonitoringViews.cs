using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;
using LeadScore.Engine.Monitoring;
using LeadScore.Storage;

namespace LeadScore.Application.Monitoring;

// The JSON shapes of monitoring over the log: the same records for `leadscore monitor --json` and GET /api/v1/monitoring/*
// (snake_case). Figures that are not finite (an AUC of a one-class cohort, an infinite statistic) are null.

public sealed record FeatureDriftView(string Feature, string Kind, string Test, double? Statistic, double? PValue, double? Threshold, bool Drifted,
    double? Psi, bool PsiDrifted, double? ReferenceMean, double? CurrentMean, string Explanation);

public sealed record GradeMixView(string Test, double? Statistic, double? PValue, double? Threshold, bool Drifted,
    IReadOnlyDictionary<string, int> Reference, IReadOnlyDictionary<string, int> Current, string Explanation);

public sealed record FeatureWeightView(string Feature, double? Weight);

public sealed record MultivariateView(string Method, double? Auc, double? Threshold, bool Drifted, IReadOnlyList<FeatureWeightView> TopFeatures, string Explanation);

public sealed record ScoreSummaryView(long Rows, double P10, double P25, double Median, double P75, double P90, double Mean);

/// <summary>One window's drift against the model's reference.</summary>
public sealed record DriftWindowView(DateTimeOffset Start, DateTimeOffset End, bool Complete, long Predictions, long WithFeatures,
    bool? DatasetDrift, int? DriftedFeatures, double? DriftedImportanceShare, double? DriftShareThreshold, IReadOnlyList<FeatureDriftView> Features,
    FeatureDriftView? ScoreDrift, GradeMixView? GradeMixDrift, MultivariateView? Multivariate, ScoreSummaryView? Scores, long? Compared = null);

public sealed record GradeCalibrationView(string Grade, int Rows, double? MeanPredicted, double? ObservedRate);

public sealed record ConceptView(bool Dropped, double? HeldOutAuc, double? RealizedAuc, double? EstimatedAuc, double? AucStandardError, double? ZVersusHeldOut,
    double? ZVersusEstimate, double? ExpectedConversions, int Conversions, double? CalibrationZ, string Explanation);

/// <summary>One window's cohort: estimated (CBPE, every row) and realized (matured rows) performance, side by side.</summary>
public sealed record PerformanceWindowView(DateTimeOffset Start, DateTimeOffset End, bool Complete, long Predictions, int MaturedRows, bool CohortMatured,
    double? EstimatedAuc, double? EstimatedPrecision, double? EstimatedRecall, double? RealizedAuc, double? PrAuc, double? Ece, double? LiftAt10, int? Positives,
    IReadOnlyList<GradeCalibrationView> CalibrationPerGrade, ConceptView? Concept);

public sealed record AlertView(long Id, string Kind, string ModelVersion, string Slot, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, DateTimeOffset RaisedAt,
    string Message, JsonElement Details);

/// <summary>GET /api/v1/monitoring/drift: the latest window's verdict at the top, every window below.</summary>
public sealed record MonitoringDriftView(string? ModelVersion, string Slot, int WindowDays, string? Message, bool DatasetDrift, DateTimeOffset? LatestWindowStart,
    IReadOnlyList<FeatureDriftView> Features, FeatureDriftView? ScoreDrift, IReadOnlyList<DriftWindowView> Windows);

/// <summary>GET /api/v1/monitoring/performance.</summary>
public sealed record MonitoringPerformanceView(string? ModelVersion, string Slot, int WindowDays, string? Message, double? HeldOutAuc, double? HorizonDays,
    IReadOnlyList<PerformanceWindowView> Windows);

/// <summary>One group's live figures; null where fewer rows than the minimum group size are behind a figure.</summary>
public sealed record FairnessGroupView(string Group, int Rows, bool TooFew, double? AbShare, double? AbRatio, double? AbPValue, bool BelowRatio, int Matured,
    double? Tpr, double? Fpr, double? TprGap, double? FprGap, bool Alert);

public sealed record FairnessAttributeView(string Attribute, string Role, string? BestGroup, double? LowestRatio, double? EqualizedOddsDifference, int GroupsTooFew,
    IReadOnlyList<FairnessGroupView> Groups);

/// <summary>One window's fairness over its live leads (each lead once: its last prediction in the window).</summary>
public sealed record FairnessWindowView(DateTimeOffset Start, DateTimeOffset End, bool Complete, int Leads, int Matured, double AbShare,
    IReadOnlyList<FairnessAttributeView> Attributes, IReadOnlyList<string> Alerts);

/// <summary>GET /api/v1/monitoring/fairness: the thresholds, the latest window with leads at the top, every window below.</summary>
public sealed record MonitoringFairnessView(string? ModelVersion, string Slot, int WindowDays, string? Message, string? AttributesFrom, double RatioThreshold,
    double GapThreshold, int MinGroupSize, FairnessWindowView? Latest, IReadOnlyList<FairnessWindowView> Windows);

/// <summary>GET /api/v1/monitoring/alerts.</summary>
public sealed record MonitoringAlertsView(IReadOnlyList<AlertView> Alerts);

/// <summary><c>leadscore monitor --json</c> (log mode): drift as the API's /drift, performance per window, the alerts this run raised.</summary>
public sealed record MonitorLogView(string? ModelVersion, string Slot, int WindowDays, string? Message, bool DatasetDrift, DateTimeOffset? LatestWindowStart,
    IReadOnlyList<FeatureDriftView> Features, FeatureDriftView? ScoreDrift, IReadOnlyList<DriftWindowView> Windows, double? HeldOutAuc,
    IReadOnlyList<PerformanceWindowView> Performance, IReadOnlyList<AlertView> NewAlerts, string? Report, MonitoringFairnessView? Fairness = null);

/// <summary>Maps monitoring results onto the views.</summary>
public static class MonitoringViews
{
    private static double? N(double? v) => v is { } x && double.IsFinite(x) ? Math.Round(x, 9) : null;

    public static FeatureDriftView Feature(FeatureDrift f) => new(f.Feature, f.Kind == FeatureKind.Numeric ? "numeric" : "categorical", DriftEngine.TestCode(f.Test),
        N(f.Statistic), N(f.PValue), N(f.Threshold), f.Drifted, N(f.Psi), f.PsiDrifted, N(f.Reference.Mean), N(f.Current.Mean), f.Explanation);

    public static DriftWindowView DriftWindow(MonitoringWindow w)
    {
        var d = w.Drift;
        return new DriftWindowView(w.Start, w.End, w.Complete, w.Predictions, w.WithFeatures, d?.DatasetDrift, d?.DriftedFeatures, N(d?.DriftedImportanceShare),
            N(d?.DatasetDriftShare), d?.Features.Select(Feature).ToList() ?? [], d?.ScoreDrift is { } s ? Feature(s) : null,
            d?.GradeMixDrift is { } g ? new GradeMixView("chisquare", N(g.Statistic), N(g.PValue), N(g.Threshold), g.Drifted,
                new SortedDictionary<string, int>(g.ReferenceCounts.ToDictionary(), StringComparer.Ordinal),
                new SortedDictionary<string, int>(g.CurrentCounts.ToDictionary(), StringComparer.Ordinal), g.Explanation) : null,
            d?.Multivariate is { } m ? new MultivariateView("domain_classifier", N(m.Auc), N(m.Threshold), m.Drifted,
                m.TopFeatures.Select(t => new FeatureWeightView(t.Feature, N(t.Weight))).ToList(), m.Explanation) : null,
            w.Scores is { } q ? new ScoreSummaryView(q.Rows, q.P10, q.P25, q.Median, q.P75, q.P90, q.Mean) : null, w.Compared);
    }

    public static PerformanceWindowView PerformanceWindow(MonitoringWindow w)
    {
        var r = w.Realized;
        var e = w.Estimated;
        var k = w.Concept;
        return new PerformanceWindowView(w.Start, w.End, w.Complete, w.Predictions, w.MaturedRows, w.CohortMatured, N(e?.Auc), N(e?.Precision), N(e?.Recall),
            N(r?.Auc), N(r?.PrAuc), N(r?.Ece), N(r?.LiftAt10), r?.Positives,
            r?.CalibrationPerGrade.Select(c => new GradeCalibrationView(c.Grade, c.Rows, N(c.MeanPredicted), N(c.ObservedRate))).ToList() ?? [],
            k is null ? null : new ConceptView(k.Dropped, N(k.HeldOutAuc), N(k.RealizedAuc), N(k.EstimatedAuc), N(k.AucStandardError), N(k.ZVersusHeldOut),
                N(k.ZVersusEstimate), N(k.ExpectedPositives), k.Positives, N(k.CalibrationZ), k.Explanation));
    }

    public static AlertView Alert(MonitoringAlert a)
    {
        using var doc = JsonDocument.Parse(string.IsNullOrEmpty(a.DetailsJson) ? "{}" : a.DetailsJson);
        return new AlertView(a.Id, a.Kind, a.ModelVersion, a.Slot, a.WindowStart, a.WindowEnd, a.RaisedAt, a.Message, doc.RootElement.Clone());
    }

    public static MonitoringDriftView Drift(MonitoringResult r)
    {
        var latest = r.LatestDrift;
        return new MonitoringDriftView(r.ModelVersion, r.Slot, r.WindowDays, r.Message, latest?.Drift?.DatasetDrift ?? false, latest?.Start,
            latest?.Drift?.Features.Select(Feature).ToList() ?? [], latest?.Drift?.ScoreDrift is { } s ? Feature(s) : null, r.Windows.Select(DriftWindow).ToList());
    }

    public static MonitoringPerformanceView Performance(MonitoringResult r) =>
        new(r.ModelVersion, r.Slot, r.WindowDays, r.Message, N(r.HeldOutAuc), r.HorizonDays, r.Windows.Select(PerformanceWindow).ToList());

    public static MonitorLogView Log(MonitoringResult r, string? report)
    {
        var d = Drift(r);
        return new MonitorLogView(d.ModelVersion, d.Slot, d.WindowDays, d.Message, d.DatasetDrift, d.LatestWindowStart, d.Features, d.ScoreDrift, d.Windows,
            N(r.HeldOutAuc), r.Windows.Select(PerformanceWindow).ToList(), r.NewAlerts.Select(Alert).ToList(), report, Fairness(r));
    }

    public static FairnessWindowView? FairnessWindow(MonitoringWindow w)
    {
        if (w.Fairness is not { } f) return null;
        var breaches = MonitoringService.FairnessBreaches(f);
        var alerted = breaches.Select(b => (b.Attribute, b.Group.Group)).ToHashSet();
        return new FairnessWindowView(w.Start, w.End, w.Complete, f.Rows, f.MaturedRows, Math.Round(f.AbShare, 9),
            f.Attributes.Select(a => new FairnessAttributeView(a.Attribute, a.Role == Engine.Fairness.FairnessRole.Sensitive ? "sensitive" : "watch", a.BestGroup,
                N(a.LowestRatio), N(a.EqualizedOddsDifference), a.GroupsTooFew,
                a.Groups.Select(g => new FairnessGroupView(g.Group, g.Rows, g.TooFew, N(g.AbShare), N(g.AbRatio), N(g.AbPValue), g.BelowRatio, g.Matured,
                    N(g.Tpr), N(g.Fpr), N(g.TprGap), N(g.FprGap), alerted.Contains((a.Attribute, g.Group)))).ToList())).ToList(),
            breaches.Select(b => b.Sentence).ToList());
    }

    /// <summary>The fairness view of a run, with the thresholds it was judged with.</summary>
    public static MonitoringFairnessView Fairness(MonitoringResult r)
    {
        var windows = r.Windows.Select(FairnessWindow).OfType<FairnessWindowView>().ToList();
        var o = r.FairnessOptions ?? Engine.Fairness.FairnessOptions.Default;
        var message = r.Message ?? (r.FairnessAttributesFrom is null ? "no sensitive or watched attribute is declared or suggested ('leadscore fairness set --sensitive ...')"
            : windows.Count == 0 ? "no logged prediction names a stored lead yet (flat-file scores carry no lead)" : null);
        return new MonitoringFairnessView(r.ModelVersion, r.Slot, r.WindowDays, message, r.FairnessAttributesFrom, o.RatioLimit,
            o.OddsGapLimit, o.MinGroupSize, windows.LastOrDefault(), windows);
    }
}

/// <summary>The views as JSON (snake_case, indented) for the CLI; the API serializes the same records with its own options.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(MonitorLogView))]
[JsonSerializable(typeof(MonitoringDriftView))]
[JsonSerializable(typeof(MonitoringPerformanceView))]
[JsonSerializable(typeof(MonitoringAlertsView))]
[JsonSerializable(typeof(MonitoringFairnessView))]
public sealed partial class MonitoringJsonContext : JsonSerializerContext;
