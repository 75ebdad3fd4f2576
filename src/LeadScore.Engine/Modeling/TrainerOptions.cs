using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace LeadScore.Engine.Modeling;

/// <summary>The model families LeadScore trains (all through ML.NET).</summary>
public enum ModelAlgorithm
{
    LightGbm,
    FastTree,
    FastForest,
    Logistic,
}

/// <summary>How training rows are weighted against class imbalance.</summary>
public enum ClassWeighting
{
    /// <summary>Every row weighs 1.</summary>
    None,
    /// <summary>Positive rows weigh negatives/positives, so both classes weigh the same in total.</summary>
    Balanced,
}

/// <summary>
/// Options of one trainer: the algorithm, its hyperparameters and the class weighting. Built through
/// <see cref="TrainerCatalog"/>; each concrete record has a nested <c>Defaults</c> class. The model
/// always reads one float vector column "Features" and a bool "Label" (plus "Weight" when training):
/// encoding is done by <see cref="Features.Encoding.FeatureEncoder"/>, never by ML.NET transforms, so
/// the compiled scorer reproduces it exactly.
/// </summary>
public abstract record TrainerOptions
{
    public const string FeaturesColumn = "Features";
    public const string LabelColumn = "Label";
    public const string WeightColumn = "Weight";

    public abstract ModelAlgorithm Algorithm { get; }
    public ClassWeighting Weighting { get; init; } = ClassWeighting.None;
    /// <summary>Trainer threads; null = the trainer's default. 1 gives bit-for-bit reproducible trees.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Linear models need imputed, standardised inputs; FastTree and FastForest drop training rows with NaN,
    /// so they get imputed values plus missing-indicator slots too (trees do not care about the scaling).
    /// Only LightGBM handles NaN natively.
    /// </summary>
    public bool NeedsImputation => Algorithm != ModelAlgorithm.LightGbm;

    /// <summary>The hyperparameters as name/value pairs, for the model card.</summary>
    public abstract IReadOnlyDictionary<string, string> Describe();

    internal abstract IEstimator<ITransformer> CreateEstimator(MLContext ml, int seed);

    private protected static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
    private protected static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>LightGBM gradient-boosted trees (histogram based, handles missing values natively).</summary>
public sealed record LightGbmOptions : TrainerOptions
{
    public static class Defaults
    {
        public const int NumberOfTrees = 200;
        public const int NumberOfLeaves = 16;
        public const double LearningRate = 0.05;
        public const int MinimumExampleCountPerLeaf = 30;
        public const double FeatureFraction = 0.8;
        public const double L2Regularization = 1.0;
    }

    public override ModelAlgorithm Algorithm => ModelAlgorithm.LightGbm;
    public int NumberOfTrees { get; init; } = Defaults.NumberOfTrees;
    public int NumberOfLeaves { get; init; } = Defaults.NumberOfLeaves;
    public double LearningRate { get; init; } = Defaults.LearningRate;
    public int MinimumExampleCountPerLeaf { get; init; } = Defaults.MinimumExampleCountPerLeaf;
    public double FeatureFraction { get; init; } = Defaults.FeatureFraction;
    public double L2Regularization { get; init; } = Defaults.L2Regularization;

    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["trees"] = I(NumberOfTrees), ["leaves"] = I(NumberOfLeaves), ["learning_rate"] = F(LearningRate),
        ["min_rows_per_leaf"] = I(MinimumExampleCountPerLeaf), ["feature_fraction"] = F(FeatureFraction),
        ["l2"] = F(L2Regularization), ["class_weighting"] = Weighting.ToString().ToLowerInvariant(),
    };

    internal override IEstimator<ITransformer> CreateEstimator(MLContext ml, int seed) =>
        ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = LabelColumn,
            FeatureColumnName = FeaturesColumn,
            ExampleWeightColumnName = WeightColumn,
            NumberOfIterations = NumberOfTrees,
            NumberOfLeaves = NumberOfLeaves,
            LearningRate = LearningRate,
            MinimumExampleCountPerLeaf = MinimumExampleCountPerLeaf,
            NumberOfThreads = Threads,
            Seed = seed,
            Deterministic = true,
            Silent = true,
            Verbose = false,
            Booster = new GradientBooster.Options
            {
                FeatureFraction = FeatureFraction,
                L2Regularization = L2Regularization,
            },
        });
}

/// <summary>ML.NET FastTree gradient-boosted trees (MART).</summary>
public sealed record FastTreeOptions : TrainerOptions
{
    public static class Defaults
    {
        public const int NumberOfTrees = 150;
        public const int NumberOfLeaves = 16;
        public const double LearningRate = 0.1;
        public const int MinimumExampleCountPerLeaf = 20;
        public const double FeatureFraction = 1.0;
    }

    public override ModelAlgorithm Algorithm => ModelAlgorithm.FastTree;
    public int NumberOfTrees { get; init; } = Defaults.NumberOfTrees;
    public int NumberOfLeaves { get; init; } = Defaults.NumberOfLeaves;
    public double LearningRate { get; init; } = Defaults.LearningRate;
    public int MinimumExampleCountPerLeaf { get; init; } = Defaults.MinimumExampleCountPerLeaf;
    public double FeatureFraction { get; init; } = Defaults.FeatureFraction;

    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["trees"] = I(NumberOfTrees), ["leaves"] = I(NumberOfLeaves), ["learning_rate"] = F(LearningRate),
        ["min_rows_per_leaf"] = I(MinimumExampleCountPerLeaf), ["feature_fraction"] = F(FeatureFraction),
        ["class_weighting"] = Weighting.ToString().ToLowerInvariant(),
    };

    internal override IEstimator<ITransformer> CreateEstimator(MLContext ml, int seed) =>
        ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = LabelColumn,
            FeatureColumnName = FeaturesColumn,
            ExampleWeightColumnName = WeightColumn,
            NumberOfTrees = NumberOfTrees,
            NumberOfLeaves = NumberOfLeaves,
            LearningRate = LearningRate,
            MinimumExampleCountPerLeaf = MinimumExampleCountPerLeaf,
            FeatureFraction = FeatureFraction,
            NumberOfThreads = Threads,
            Seed = seed,
            FeatureSelectionSeed = seed,
        });
}

/// <summary>ML.NET FastForest (random forest of regression trees on the label).</summary>
public sealed record FastForestOptions : TrainerOptions
{
    public static class Defaults
    {
        public const int NumberOfTrees = 100;
        public const int NumberOfLeaves = 32;
        public const int MinimumExampleCountPerLeaf = 10;
        public const double FeatureFraction = 0.7;
        public const double BaggingExampleFraction = 0.7;
    }

    public override ModelAlgorithm Algorithm => ModelAlgorithm.FastForest;
    public int NumberOfTrees { get; init; } = Defaults.NumberOfTrees;
    public int NumberOfLeaves { get; init; } = Defaults.NumberOfLeaves;
    public int MinimumExampleCountPerLeaf { get; init; } = Defaults.MinimumExampleCountPerLeaf;
    public double FeatureFraction { get; init; } = Defaults.FeatureFraction;
    public double BaggingExampleFraction { get; init; } = Defaults.BaggingExampleFraction;

    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["trees"] = I(NumberOfTrees), ["leaves"] = I(NumberOfLeaves), ["min_rows_per_leaf"] = I(MinimumExampleCountPerLeaf),
        ["feature_fraction"] = F(FeatureFraction), ["bagging_fraction"] = F(BaggingExampleFraction),
        ["class_weighting"] = Weighting.ToString().ToLowerInvariant(),
    };

    internal override IEstimator<ITransformer> CreateEstimator(MLContext ml, int seed) =>
        ml.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
        {
            LabelColumnName = LabelColumn,
            FeatureColumnName = FeaturesColumn,
            ExampleWeightColumnName = WeightColumn,
            NumberOfTrees = NumberOfTrees,
            NumberOfLeaves = NumberOfLeaves,
            MinimumExampleCountPerLeaf = MinimumExampleCountPerLeaf,
            FeatureFraction = FeatureFraction,
            BaggingExampleFraction = BaggingExampleFraction,
            NumberOfThreads = Threads,
            Seed = seed,
            FeatureSelectionSeed = seed,
        });
}

/// <summary>L-BFGS logistic regression on one-hot, imputed, standardised inputs.</summary>
public sealed record LogisticOptions : TrainerOptions
{
    public static class Defaults
    {
        public const double L2Regularization = 1.0;
        public const double L1Regularization = 0.0;
    }

    public override ModelAlgorithm Algorithm => ModelAlgorithm.Logistic;
    public double L2Regularization { get; init; } = Defaults.L2Regularization;
    public double L1Regularization { get; init; } = Defaults.L1Regularization;

    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["l2"] = F(L2Regularization), ["l1"] = F(L1Regularization), ["class_weighting"] = Weighting.ToString().ToLowerInvariant(),
    };

    internal override IEstimator<ITransformer> CreateEstimator(MLContext ml, int seed) =>
        ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            LabelColumnName = LabelColumn,
            FeatureColumnName = FeaturesColumn,
            ExampleWeightColumnName = WeightColumn,
            L2Regularization = (float)L2Regularization,
            L1Regularization = (float)L1Regularization,
            NumberOfThreads = Threads,
        });
}

/// <summary>
/// The catalog of trainers, shaped like ML.NET's (<c>catalog.LightGbm(options)</c>): every method takes
/// optional options and falls back to the algorithm's <c>Defaults</c>.
/// </summary>
public sealed class TrainerCatalog
{
    internal TrainerCatalog() { }

    public LightGbmOptions LightGbm(LightGbmOptions? options = null) => options ?? new LightGbmOptions();
    public FastTreeOptions FastTree(FastTreeOptions? options = null) => options ?? new FastTreeOptions();
    public FastForestOptions FastForest(FastForestOptions? options = null) => options ?? new FastForestOptions();
    public LogisticOptions Logistic(LogisticOptions? options = null) => options ?? new LogisticOptions();

    /// <summary>The default options of an algorithm.</summary>
    public TrainerOptions Default(ModelAlgorithm algorithm) => algorithm switch
    {
        ModelAlgorithm.LightGbm => LightGbm(),
        ModelAlgorithm.FastTree => FastTree(),
        ModelAlgorithm.FastForest => FastForest(),
        _ => Logistic(),
    };

    /// <summary>The algorithms' names, as the CLI and the API accept them (besides "auto").</summary>
    public static readonly IReadOnlyList<string> Names = ["lightgbm", "fasttree", "fastforest", "logistic"];

    public static ModelAlgorithm Parse(string name) => TryParse(name, out var a)
        ? a
        : throw new Core.LeadScoreException($"unknown algorithm '{name}' (use auto, lightgbm, fasttree, fastforest or logistic)", "algorithm");

    /// <summary>A name or a common alias (lgbm, forest, randomforest, lr, logisticregression).</summary>
    public static bool TryParse(string name, out ModelAlgorithm algorithm)
    {
        ModelAlgorithm? a = name.Trim().ToLowerInvariant() switch
        {
            "lightgbm" or "lgbm" => ModelAlgorithm.LightGbm,
            "fasttree" => ModelAlgorithm.FastTree,
            "fastforest" or "forest" or "randomforest" => ModelAlgorithm.FastForest,
            "logistic" or "lr" or "logisticregression" => ModelAlgorithm.Logistic,
            _ => null,
        };
        algorithm = a ?? default;
        return a is not null;
    }

    public static string Name(ModelAlgorithm a) => a switch
    {
        ModelAlgorithm.LightGbm => "lightgbm",
        ModelAlgorithm.FastTree => "fasttree",
        ModelAlgorithm.FastForest => "fastforest",
        _ => "logistic",
    };
}
