using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Modeling;

/// <summary>How to train: which algorithm (or auto), budget, seed, split, what was excluded and why.</summary>
public sealed record TrainingOptions
{
    public static class Defaults
    {
        public const int Seed = 42;
        /// <summary>
        /// A safety cap, not the stopping rule: the search is bounded by <see cref="MaxTrials"/>, so the default result is the
        /// same on any machine. The cap only stops a search that would run far longer than expected (the card then says so).
        /// </summary>
        public const double TimeBudgetSeconds = 600;
        public const double TestFraction = 0.2;
        public const int MinimumPerClass = 40;
        /// <summary>Below this many rows in the smaller class, auto prefers regularised logistic regression.</summary>
        public const int SmallDataPerClass = 200;
        /// <summary>Hyperparameter trials of the default search (after the family comparison and the class-weighting check).</summary>
        public const int MaxTrials = 8;
        public const string Horizon = "the outcome window recorded in the training data";
        /// <summary>
        /// Matured rows a training splits, trains and evaluates on; above it, a seeded sample of whole leads. At 1M leads the
        /// workspace's set holds 5.3 M matured rows (leads at several ages), and training on all of them took more than the
        /// 17 GB a 24 GB machine leaves beside PostgreSQL (killed by the OOM killer, 2026-12-04).
        /// </summary>
        public const int MaxRows = 1_000_000;
    }

    /// <summary>null = auto: compare all families by cross-validation.</summary>
    public ModelAlgorithm? Algorithm { get; init; }
    /// <summary>Use exactly these trainer options (no search); overrides <see cref="Algorithm"/>.</summary>
    public TrainerOptions? Trainer { get; init; }
    /// <summary>
    /// Upper bound on the time for model selection and search (the final refit and evaluation come on top, and are short).
    /// A safety cap: when it stops the search before <see cref="MaxTrials"/>, the result depends on the machine's speed,
    /// and the card says so.
    /// </summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromSeconds(Defaults.TimeBudgetSeconds);
    /// <summary>Hyperparameter trials of the search: the stopping rule (the time budget only caps it).</summary>
    public int MaxTrials { get; init; } = Defaults.MaxTrials;
    public int Seed { get; init; } = Defaults.Seed;
    /// <summary>Cross-validation folds; null = 3, or 5 below 2,000 training rows.</summary>
    public int? Folds { get; init; }
    public double TestFraction { get; init; } = Defaults.TestFraction;
    /// <summary>
    /// At most this many matured rows go into the split (training and held-out together): above it, a seeded sample of
    /// leads, each with all its rows, stated in the card's notes. 0 = every row.
    /// </summary>
    public int MaxRows { get; init; } = Defaults.MaxRows;
    public int MinimumPerClass { get; init; } = Defaults.MinimumPerClass;
    public int SmallDataPerClass { get; init; } = Defaults.SmallDataPerClass;
    /// <summary>Features to leave out, with the reason (leakage audit findings, user exclusions...).</summary>
    public IReadOnlyList<ExcludedFeature> ExcludedFeatures { get; init; } = [];
    /// <summary>What the probability means (converting within ...), stated in the card and report.</summary>
    public string Horizon { get; init; } = Defaults.Horizon;
    /// <summary>Decision points the training-set builder left out as censored (still open, horizon not over at the as-of time), recorded in the card.</summary>
    public int? CensoredRows { get; init; }
    public string DataSource { get; init; } = "in-memory frame";
    public string? DataHash { get; init; }
    /// <summary>Where the separate test rows came from (a file name), when a test frame is given.</summary>
    public string? TestDataSource { get; init; }
    /// <summary>Grade bands; null = chosen from the score distribution.</summary>
    public GradeBands? Grades { get; init; }
    /// <summary>Trainer threads; null = trainer default. 1 makes tree training bit-for-bit reproducible.</summary>
    public int? Threads { get; init; }
    /// <summary>Rows sampled from the test set for permutation importance (0 = skip).</summary>
    public int ImportanceRows { get; init; } = 4000;
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
