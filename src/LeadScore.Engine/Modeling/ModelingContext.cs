using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Scoring;
using Microsoft.ML;

namespace LeadScore.Engine.Modeling;

/// <summary>How much a feature matters: the drop in held-out AUC when its values are shuffled across rows.</summary>
public sealed record PermutationImportance(string Feature, double AucDrop);

/// <summary>A trained model with its held-out evaluation.</summary>
public sealed record TrainingResult
{
    public required TrainedModel Model { get; init; }
    public required EvaluationMetrics Metrics { get; init; }
    public required EvaluationCurves Curves { get; init; }
    public required IReadOnlyList<PermutationImportance> Importance { get; init; }
    /// <summary>The held-out rows and their calibrated probabilities (for reports and champion comparisons).</summary>
    public required FeatureFrame Test { get; init; }
    public required double[] TestProbabilities { get; init; }
    /// <summary>The rows the model was refitted on, after exclusions (for the reference kept with it, and analyses that must not be fitted on the held-out rows); null when not kept.</summary>
    public FeatureFrame? Train { get; init; }
    /// <summary>Held-out conversion rate per grade: rows, converted, rate.</summary>
    public required IReadOnlyList<GradeRate> GradeRates { get; init; }
    /// <summary>Calibrated out-of-fold probabilities of the training rows (each from a fold model that did not see the row).</summary>
    public double[]? TrainOutOfFoldProbabilities { get; init; }
}

public sealed record GradeRate(string Grade, int Rows, int Positives, double Rate);

/// <summary>
/// The rows a training uses (<see cref="ModelingContext.SelectRows"/>): the matured rows, sampled to the row budget,
/// without the excluded features; how many rows had not matured; and the sample in words, when one was taken.
/// </summary>
public sealed record TrainingRows(FeatureFrame Frame, int Unmatured, string? Sampled);

/// <summary>
/// The modeling entry point, shaped like ML.NET's <c>MLContext</c>: <see cref="Trainers"/> is the catalog of
/// algorithms, <see cref="Train(FeatureFrame, TrainingOptions, FeatureFrame?, IProgress{string}?, CancellationToken)"/>
/// selects, calibrates and evaluates a model.
/// </summary>
public sealed class ModelingContext
{
    public TrainerCatalog Trainers { get; } = new();

    public static string LeadScoreVersion { get; } =
        typeof(ModelingContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// Trains on <paramref name="frame"/>: splits off a test set (or uses <paramref name="testFrame"/>), compares
    /// algorithms by cross-validation (auto) or takes the one asked for, tries class weighting, searches
    /// hyperparameters (a fixed number of trials, the time budget only as a cap), calibrates on out-of-fold margins, refits on all training rows
    /// and evaluates on the held-out rows only.
    /// </summary>
    public TrainingResult Train(FeatureFrame frame, TrainingOptions options, FeatureFrame? testFrame = null, IProgress<string>? progress = null, CancellationToken ct = default) =>
        Train(SelectRows(frame, options, progress), options, testFrame, progress, ct);

    /// <summary>
    /// Trains on rows chosen by <see cref="SelectRows"/>. A caller holding a large frame selects first and lets go of the
    /// frame, so that only the selected rows stay in memory while the model trains (at 1M leads the whole stored set is
    /// 5.4 M rows, the row budget 1 M).
    /// </summary>
    public TrainingResult Train(TrainingRows rows, TrainingOptions options, FeatureFrame? testFrame = null, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sw = Stopwatch.StartNew();
        var notes = new List<string>();
        var excluded = options.ExcludedFeatures.ToList();
        var split = SplitData(rows.Frame, testFrame, excluded, options, progress);
        var unmatured = rows.Unmatured;
        if (unmatured > 0)
            notes.Add($"{unmatured} rows whose decision time + {rows.Frame.Horizon!.Value.TotalDays:0.##} days is after the as-of time ({rows.Frame.AsOf:yyyy-MM-dd}) were left out of training, the split and every held-out metric: only the fast outcomes of recent leads are known yet.");
        if (rows.Sampled is { } sampled) notes.Add(sampled);
        var (horizon, asOf) = (rows.Frame.Horizon, rows.Frame.AsOf);
        var train = split.Train;

        var search = new TrainerSearch(Trainers, options, train, sw, notes, progress, ct);
        var (best, bestCv, selection) = search.SelectTrainer();
        // One thread unless told otherwise: LightGBM's OpenMP threads spin when the cores are shared, which made a
        // 2 s refit take minutes on a busy 2-core machine; single-threaded it is also reproducible bit for bit.
        best = best with { Threads = options.Threads ?? best.Threads ?? 1 };

        var (calibrator, calWhy, grades, oofProbabilities) = Calibrate(bestCv.Oof, train.Labels, train.Weights.Count == train.Count ? train.Weights : null, options);

        // Refit on all training rows.
        progress?.Report($"refit {TrainerCatalog.Name(best.Algorithm)} on {train.Count} rows");
        var (encoder, trainMatrix) = search.EncoderFor(best);
        var ml = new MLContext(options.Seed);
        var model = MlNetFitter.Fit(ml, best, options.Seed, trainMatrix, encoder.SlotCount, train.Labels);
        var trainSeconds = sw.Elapsed.TotalSeconds;

        var evaluation = Evaluate(ml, model, encoder, calibrator, grades, split.Test, options);
        var card = BuildCard(split, unmatured, horizon, asOf, encoder, excluded, best, selection, search.Candidates, calWhy, grades, evaluation.Metrics, trainSeconds, notes, evaluation.Importance, options);
        return new TrainingResult
        {
            Model = new TrainedModel(ml, model, encoder, calibrator, grades, card, trainMatrix),
            Metrics = evaluation.Metrics,
            Curves = evaluation.Curves,
            Importance = evaluation.Importance,
            Test = split.Test,
            TestProbabilities = evaluation.TestProbabilities,
            GradeRates = evaluation.GradeRates,
            Train = train,
            TrainOutOfFoldProbabilities = oofProbabilities,
        };
    }

    /// <summary>
    /// The rows a training uses: matured rows only (decision + horizon at or before the as-of time), and above
    /// <see cref="TrainingOptions.MaxRows"/> a seeded sample of whole leads; without <see cref="TrainingOptions.ExcludedFeatures"/>.
    /// The selection holds the selected rows only, not <paramref name="frame"/>: the rest can be collected once the caller lets go of it.
    /// </summary>
    public static TrainingRows SelectRows(FeatureFrame frame, TrainingOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(options);
        // Matured rows only, before anything else: a recent row is known only if its outcome came fast, so those rows would
        // make the most recent part (the time split's test set) look far better converting than it is, and bias training the same way.
        var rows = Enumerable.Range(0, frame.Count).Where(frame.IsMatured).ToArray();
        var unmatured = frame.Count - rows.Length;
        // Above the row budget, a seeded sample of whole leads, taken in the same pass (one copy of the frame, not two).
        string? sampled = null;
        if (options.MaxRows > 0 && rows.Length > options.MaxRows)
        {
            var all = rows.Length;
            (rows, var leads, var allLeads) = SampleLeads(frame, rows, options.MaxRows, options.Seed);
            sampled = $"trained and evaluated on a seeded sample of {rows.Length:N0} of the {all:N0} matured rows ({leads:N0} of {allLeads:N0} leads, each with all its rows, seed {options.Seed}): " +
                      $"the row budget is {options.MaxRows:N0} (TrainingOptions.MaxRows; train --max-rows 0 uses every row)";
            progress?.Report(sampled);
        }
        var selected = rows.Length != frame.Count ? frame.Subset(rows) : frame;
        // The excluded features are dropped from the selected rows only (a copy of those rows, none of the frame's).
        var excluded = ExcludedIn(selected, options.ExcludedFeatures);
        return new TrainingRows(excluded.Count > 0 ? selected.Without(excluded) : selected, unmatured, sampled);
    }

    /// <summary>The names of <paramref name="excluded"/> that are features of <paramref name="frame"/>.</summary>
    private static HashSet<string> ExcludedIn(FeatureFrame frame, IReadOnlyList<ExcludedFeature> excluded)
    {
        var names = excluded.Select(e => e.Feature).ToHashSet(StringComparer.Ordinal);
        names.IntersectWith(frame.Features.Select(f => f.Name));
        return names;
    }

    /// <summary>Drops excluded features, applies the small-data rule and splits off the held-out rows.</summary>
    private static DataSplit SplitData(FeatureFrame frame, FeatureFrame? testFrame, IReadOnlyList<ExcludedFeature> excluded, TrainingOptions options, IProgress<string>? progress)
    {
        if (testFrame is not null) testFrame = MaturedOnly(testFrame).Frame;
        // Rows from SelectRows come without them; a test frame may still hold them.
        if (ExcludedIn(frame, excluded) is { Count: > 0 } inFrame) frame = frame.Without(inFrame);
        if (testFrame is not null && ExcludedIn(testFrame, excluded) is { Count: > 0 } inTest) testFrame = testFrame.Without(inTest);
        if (frame.Features.Count == 0) throw new LeadScoreException("no features left to train on");
        if (frame.Labels.Count != frame.Count) throw new LeadScoreException("every training row needs a label (converted or not)");

        // Small-data rule, on all labelled leads we were given (a lead seen at several ages counts once).
        var (nPos, nNeg) = LeadCounts(frame);
        if (testFrame is not null)
        {
            var (tp, tn) = LeadCounts(testFrame);
            nPos += tp; nNeg += tn;
        }
        if (nPos < options.MinimumPerClass || nNeg < options.MinimumPerClass)
            throw new LeadScoreException($"not enough outcomes to train: {nPos} converted and {nNeg} lost leads; at least {options.MinimumPerClass} of each are needed");

        var split = testFrame is null ? DataSplitter.Split(frame, options.TestFraction, options.Seed) : DataSplitter.Given(frame, testFrame, options.TestDataSource ?? "the test frame");
        if (split.Test.Labels.Count(l => l) == 0 || split.Test.Labels.All(l => l))
            throw new LeadScoreException("the test set holds only one class; cannot evaluate");
        progress?.Report(split.Description);
        return split;
    }

    /// <summary>
    /// Whole leads (all their rows among <paramref name="rows"/>), in a seeded random order, until <paramref name="maxRows"/>
    /// rows are taken: the rows in their original order, and how many leads were taken of how many. A frame that does not
    /// group rows by lead samples rows.
    /// </summary>
    internal static (int[] Rows, int Leads, int AllLeads) SampleLeads(FeatureFrame frame, int[] rows, int maxRows, int seed)
    {
        var groupOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var members = new List<List<int>>();
        foreach (var i in rows)
        {
            var key = frame.GroupRowsById && frame.Ids.Count == frame.Count ? frame.Ids[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!groupOf.TryGetValue(key, out var g)) { groupOf[key] = g = members.Count; members.Add([]); }
            members[g].Add(i);
        }
        var order = Enumerable.Range(0, members.Count).ToArray();
        new Random(seed).Shuffle(order);
        var kept = new List<int>(maxRows);
        var leads = 0;
        foreach (var g in order)
        {
            if (kept.Count + members[g].Count > maxRows) continue;
            kept.AddRange(members[g]);
            leads++;
            if (kept.Count == maxRows) break;
        }
        kept.Sort();
        return (kept.ToArray(), leads, members.Count);
    }

    /// <summary>The rows of a frame whose label is final (<see cref="FeatureFrame.IsMatured"/>), and how many were dropped.</summary>
    public static (FeatureFrame Frame, int Dropped) MaturedOnly(FeatureFrame frame)
    {
        var keep = Enumerable.Range(0, frame.Count).Where(frame.IsMatured).ToArray();
        return keep.Length == frame.Count ? (frame, 0) : (frame.Subset(keep), frame.Count - keep.Length);
    }

    /// <summary>A cross-validation result: mean fold AUC, out-of-fold margins per training row, and the time it took.</summary>
    private readonly record struct CvResult(double Auc, double[] Oof, double Seconds);

    /// <summary>
    /// Chooses the trainer on the training part by cross-validation: one run of <see cref="SelectTrainer"/>, with the
    /// folds, the encoders (one per imputation mode, fitted once) and the candidates tried so far.
    /// </summary>
    private sealed class TrainerSearch
    {
        private readonly TrainerCatalog _trainers;
        private readonly TrainingOptions _options;
        private readonly FeatureFrame _train;
        private readonly Stopwatch _sw;
        private readonly List<string> _notes;
        private readonly IProgress<string>? _progress;
        private readonly CancellationToken _ct;
        private readonly int _folds;
        private readonly int[] _foldOf;
        private readonly Dictionary<(bool Impute, bool OneHot), (FeatureEncoder Encoder, float[] Matrix)> _encoders = [];
        /// <summary>True once cross-validation preferred one-hot over target encoding for the high-cardinality features.</summary>
        private bool _oneHotOnly;
        private readonly List<CandidateResult> _candidates = [];

        public TrainerSearch(TrainerCatalog trainers, TrainingOptions options, FeatureFrame train, Stopwatch sw, List<string> notes, IProgress<string>? progress, CancellationToken ct)
        {
            _trainers = trainers;
            _options = options;
            _train = train;
            _sw = sw;
            _notes = notes;
            _progress = progress;
            _ct = ct;
            _folds = options.Folds ?? (train.Count < 2000 ? 5 : 3);
            _foldOf = DataSplitter.StratifiedFolds(train, _folds, options.Seed);
        }

        public IReadOnlyList<CandidateResult> Candidates => _candidates;

        public (FeatureEncoder Encoder, float[] Matrix) EncoderFor(TrainerOptions t)
        {
            var key = (t.NeedsImputation, _oneHotOnly);
            if (!_encoders.TryGetValue(key, out var e))
            {
                var enc = FeatureEncoder.Fit(_train, new EncoderOptions { ImputeAndStandardize = t.NeedsImputation, TargetEncodeAbove = _oneHotOnly ? null : new EncoderOptions().TargetEncodeAbove });
                _encoders[key] = e = (enc, enc.EncodeTraining(_train, _foldOf, _folds));
            }
            return e;
        }

        /// <summary>
        /// Drops the encoded matrices only other trainers or the encoding not chosen read: each is rows x slots floats
        /// (about 1 GB at 800,000 training rows), and from here on only <paramref name="best"/>'s is read.
        /// </summary>
        private void KeepEncodingOf(TrainerOptions best)
        {
            foreach (var key in _encoders.Keys.ToList())
                if (key != (best.NeedsImputation, _oneHotOnly)) _encoders.Remove(key);
        }

        /// <summary>
        /// High-cardinality categories: target encoding (the default when a feature has hundreds of repeated levels) or
        /// one-hot of the most frequent levels, whichever cross-validates better with the trainer chosen so far (target encoding must win by more than 0.002 AUC).
        /// </summary>
        private const double TargetEncodingMargin = 0.002;

        private void ChooseEncoding(ref TrainerOptions best, ref CvResult bestCv)
        {
            var (enc, _) = EncoderFor(best);
            if (!enc.HasTargetEncoding) return;
            var names = string.Join(", ", enc.Features.Where((_, f) => enc.Encodings[f].TargetValues is not null).Select(f => f.Name));
            _oneHotOnly = true;
            var oneHot = Cv(best, "encoding");
            // One-hot is the plainer encoding: target encoding has to win by more than cross-validation noise to replace it.
            if (oneHot.Auc >= bestCv.Auc - TargetEncodingMargin)
            {
                _notes.Add($"High-cardinality categories ({names}): one-hot of the {new EncoderOptions().MaxCategories} most frequent levels was kept; target encoding did not cross-validate better by more than {TargetEncodingMargin} AUC ({bestCv.Auc:F4} vs {oneHot.Auc:F4}).");
                bestCv = oneHot;
            }
            else
            {
                _oneHotOnly = false;
                _notes.Add($"High-cardinality categories ({names}): target-encoded (out-of-fold smoothed conversion log-odds per level, rare levels pooled); it cross-validated better than one-hot of the most frequent levels ({bestCv.Auc:F4} vs {oneHot.Auc:F4}).");
            }
        }

        private CvResult Cv(TrainerOptions t, string stage)
        {
            _ct.ThrowIfCancellationRequested();
            var t0 = _sw.Elapsed;
            var (enc, matrix) = EncoderFor(t);
            var r = CrossValidate(t with { Threads = _options.Threads ?? t.Threads }, _options.Seed, matrix, enc.SlotCount, _train.Labels, _foldOf, _folds);
            var secs = (_sw.Elapsed - t0).TotalSeconds;
            _candidates.Add(new CandidateResult(TrainerCatalog.Name(t.Algorithm), t.Describe(), r.Auc, secs, stage));
            _progress?.Report($"{stage}: {TrainerCatalog.Name(t.Algorithm)} cv auc {r.Auc:F4} ({secs:F1}s)");
            return new CvResult(r.Auc, r.Oof, secs);
        }

        /// <summary>The given trainer, or: compare families, try class weighting, then a random search of MaxTrials trials (the budget caps it).</summary>
        public (TrainerOptions Best, CvResult Cv, string Selection) SelectTrainer()
        {
            var options = _options;
            if (options.Trainer is { } fixedTrainer)
            {
                var given = Cv(fixedTrainer, "given");
                ChooseEncoding(ref fixedTrainer, ref given);
                return (fixedTrainer, given, $"{TrainerCatalog.Name(fixedTrainer.Algorithm)} with the given hyperparameters ({_folds}-fold cross-validated AUC {given.Auc:F4} on the training part)");
            }

            var (trainPos, trainNeg) = LeadCounts(_train);
            var minority = Math.Min(trainPos, trainNeg);
            IEnumerable<ModelAlgorithm> families;
            if (options.Algorithm is { } a) families = [a];
            else if (minority < options.SmallDataPerClass)
            {
                families = [ModelAlgorithm.Logistic];
                _notes.Add($"Only {minority} {(trainPos <= trainNeg ? "converted" : "lost")} leads in the training part (under {options.SmallDataPerClass}): " +
                           "tree ensembles overfit on so few examples, so a regularised logistic regression was preferred.");
            }
            else families = [ModelAlgorithm.LightGbm, ModelAlgorithm.Logistic, ModelAlgorithm.FastTree, ModelAlgorithm.FastForest];
            var budget = options.TimeBudget;

            // 1. Compare families with their defaults.
            TrainerOptions? found = null;
            CvResult bestCv = default;
            foreach (var fam in families)
            {
                if (found is not null && _sw.Elapsed > budget * 0.6)
                {
                    _notes.Add($"{TrainerCatalog.Name(fam)} was not tried: the time budget ({budget.TotalSeconds:F0}s) ran short.");
                    continue;
                }
                var t = _trainers.Default(fam);
                var r = Cv(t, "compare");
                if (found is null || r.Auc > bestCv.Auc) { found = t; bestCv = r; }
            }
            var best = found ?? throw new InvalidOperationException("no algorithm family to try");
            KeepEncodingOf(best);

            // 2. Class weighting, chosen by validation.
            var weightingWhy = "no class weights (no time left to try balanced weights)";
            if (_sw.Elapsed + TimeSpan.FromSeconds(bestCv.Seconds) < budget)
            {
                var weighted = best with { Weighting = ClassWeighting.Balanced };
                var r = Cv(weighted, "class weighting");
                if (r.Auc > bestCv.Auc)
                {
                    best = weighted; bestCv = r;
                    weightingWhy = "balanced class weights (better cross-validated AUC than none)";
                }
                else weightingWhy = "no class weights (balanced weights did not improve cross-validated AUC)";
            }

            ChooseEncoding(ref best, ref bestCv);
            KeepEncodingOf(best);

            // 3. Bounded random search around the best family.
            var rng = new Random(options.Seed);
            var trials = 0;
            var searchStart = best;
            // Start a trial only if the slowest one so far, then the refit and the evaluation (about one cross-validation
            // of the best), still end inside the budget, with 5% to spare: the budget bounds the whole training.
            var slowest = bestCv.Seconds;
            while (trials < options.MaxTrials && _sw.Elapsed + TimeSpan.FromSeconds(slowest + bestCv.Seconds) < budget * 0.95)
            {
                var t = Sample(searchStart, rng) with { Weighting = best.Weighting };
                trials++;
                var r = Cv(t, "search");
                slowest = Math.Max(slowest, r.Seconds);
                if (r.Auc > bestCv.Auc) { best = t; bestCv = r; }
            }
            if (trials < options.MaxTrials && budget > TimeSpan.Zero)
                _notes.Add($"The time cap ({budget.TotalSeconds:F0}s) stopped the search after {trials} of {options.MaxTrials} hyperparameter trials, " +
                           "so this result depends on the machine's speed; a larger --time-budget (API: time_budget_seconds) lets the search finish.");
            var selection = $"{TrainerCatalog.Name(best.Algorithm)}: best {_folds}-fold cross-validated AUC ({bestCv.Auc:F4}) on the training part among " +
                            $"{string.Join(", ", families.Select(TrainerCatalog.Name))}; {weightingWhy}; {trials} of {options.MaxTrials} hyperparameter trials " +
                            $"(time cap {budget.TotalSeconds:F0}s)";
            return (best, bestCv, selection);
        }
    }

    /// <summary>Calibration on out-of-fold margins (rows each fold model did not train on), then the grade bands.</summary>
    private static (ProbabilityCalibrator Calibrator, string Why, GradeBands Grades, double[] OutOfFold) Calibrate(double[]? oofMargins, IReadOnlyList<bool> labels, IReadOnlyList<double>? weights, TrainingOptions options)
    {
        var oof = oofMargins ?? throw new InvalidOperationException("no cross-validation result");
        var (calibrator, calWhy) = CalibrationFitter.FitBest(oof, labels, options.Seed);
        var oofProb = Array.ConvertAll(oof, calibrator.Apply);
        var grades = options.Grades ?? CalibrationFitter.ChooseGrades(oofProb, weights: weights);
        return (calibrator, calWhy, grades, oofProb);
    }

    private sealed record Evaluation(EvaluationMetrics Metrics, EvaluationCurves Curves, IReadOnlyList<PermutationImportance> Importance, double[] TestProbabilities, IReadOnlyList<GradeRate> GradeRates);

    /// <summary>Held-out evaluation of the refitted model: metrics, curves, permutation importance and conversion per grade.</summary>
    private static Evaluation Evaluate(MLContext ml, ITransformer model, FeatureEncoder encoder, ProbabilityCalibrator calibrator, GradeBands grades, FeatureFrame test, TrainingOptions options)
    {
        var testMatrix = EncodeAligned(encoder, test);
        var testMargins = MlNetFitter.Margins(ml, model, testMatrix, encoder.SlotCount);
        var testProb = Array.ConvertAll(testMargins, calibrator.Apply);
        var metrics = Evaluator.Evaluate(testProb, test.Labels, test);
        var curves = Evaluator.Curves(testProb, test.Labels);
        var importance = options.ImportanceRows > 0 ? PermutationImportance(ml, model, encoder, test, options.ImportanceRows, options.Seed) : [];
        var gradeRates = new[] { "A", "B", "C", "D" }.Select(g =>
        {
            var idx = Enumerable.Range(0, testProb.Length).Where(i => grades.GradeOf(testProb[i]) == g).ToArray();
            var p = idx.Count(i => test.Labels[i]);
            return new GradeRate(g, idx.Length, p, idx.Length == 0 ? 0 : (double)p / idx.Length);
        }).ToArray();
        return new Evaluation(metrics, curves, importance, testProb, gradeRates);
    }

    /// <summary>
    /// A short fingerprint of the held-out rows (ids and decision times, in order-independent form): two cards with the same
    /// one measured their metrics on the same rows, so their AUCs compare.
    /// </summary>
    private static string TestSetId(FeatureFrame test)
    {
        var keys = new List<string>(test.Count);
        for (var i = 0; i < test.Count; i++)
            keys.Add(test.Ids[i] + "@" + (i < test.Times.Count ? test.Times[i].ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) : ""));
        keys.Sort(StringComparer.Ordinal);
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", keys)));
        return Convert.ToHexStringLower(hash)[..12];
    }

    /// <summary>The model card: data, split, selection, calibration, metrics and notes, with its content id as the version.</summary>
    private static ModelCard BuildCard(DataSplit split, int unmatured, TimeSpan? horizon, DateTimeOffset? asOf, FeatureEncoder encoder, IReadOnlyList<ExcludedFeature> excluded, TrainerOptions best, string selection,
        IReadOnlyList<CandidateResult> candidates, string calWhy, GradeBands grades, EvaluationMetrics metrics, double trainSeconds, IReadOnlyList<string> notes,
        IReadOnlyList<PermutationImportance> importance, TrainingOptions options)
    {
        var train = split.Train;
        var allTimes = train.Times.Concat(split.Test.Times).ToList();
        var card = new ModelCard
        {
            CreatedAt = options.Clock.GetUtcNow(),
            DataSource = options.DataSource,
            DataHash = options.DataHash,
            RowsTrain = train.Count,
            RowsTest = split.Test.Count,
            PositivesTrain = train.Labels.Count(l => l),
            PositivesTest = split.Test.Labels.Count(l => l),
            DataFrom = allTimes.Count > 0 ? allTimes.Min() : null,
            DataTo = allTimes.Count > 0 ? allTimes.Max() : null,
            TestFrom = split.Test.Times.Count > 0 ? split.Test.Times.Min() : null,
            TestTo = split.Test.Times.Count > 0 ? split.Test.Times.Max() : null,
            TestIdsHash = TestSetId(split.Test),
            Split = split.Description,
            SplitKind = split.Kind,
            Horizon = options.Horizon,
            HorizonDays = horizon?.TotalDays,
            AsOf = horizon is null ? null : asOf,
            CensoredRows = horizon is null ? null : options.CensoredRows,
            UnmaturedRows = horizon is null ? null : unmatured,
            FeaturesUsed = encoder.Features.Select(f => f.Name).ToArray(),
            ExcludedFeatures = excluded,
            Algorithm = TrainerCatalog.Name(best.Algorithm),
            Hyperparameters = best.Describe(),
            Selection = selection,
            Candidates = candidates,
            Calibration = calWhy,
            GradeA = grades.A,
            GradeB = grades.B,
            GradeC = grades.C,
            Metrics = metrics,
            TrainSeconds = Math.Round(trainSeconds, 2),
            Seed = options.Seed,
            LeadScoreVersion = LeadScoreVersion,
            Notes = notes,
            Importance = importance,
        };
        return card with { Version = ContentId(card, metrics) };
    }

    /// <summary>Fits one model with the given options on the whole frame (no calibration, no evaluation); for benchmarks and tests.</summary>
    public (ITransformer Model, FeatureEncoder Encoder, float[] Matrix) Fit(FeatureFrame train, TrainerOptions options, int seed = TrainingOptions.Defaults.Seed)
    {
        var enc = FeatureEncoder.Fit(train, new EncoderOptions { ImputeAndStandardize = options.NeedsImputation });
        var m = enc.EncodeTraining(train, DataSplitter.StratifiedFolds(train, 5, seed), 5);
        var ml = new MLContext(seed);
        return (MlNetFitter.Fit(ml, options, seed, m, enc.SlotCount, train.Labels), enc, m);
    }

    /// <summary>
    /// k-fold cross-validation. Folds are started in parallel, each trainer on one thread (unless told otherwise):
    /// on a small shared machine this beats one multi-threaded fit at a time, whose OpenMP threads spin when cores
    /// are busy. LightGBM folds still fit one at a time (<see cref="LightGbmNative"/> holds a process-wide gate);
    /// the others overlap. Every fold has its own seeded context, so the result does not depend on the order.
    /// </summary>
    private static (double Auc, double[] Oof) CrossValidate(TrainerOptions t, int seed, float[] matrix, int slots, IReadOnlyList<bool> labels, int[] foldOf, int folds)
    {
        var oof = new double[labels.Count];
        var aucs = new double[folds];
        var single = t with { Threads = t.Threads ?? 1 };
        Parallel.For(0, folds, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, k =>
        {
            var trIdx = Enumerable.Range(0, labels.Count).Where(i => foldOf[i] != k).ToArray();
            var vaIdx = Enumerable.Range(0, labels.Count).Where(i => foldOf[i] == k).ToArray();
            // The folds read their rows of the one matrix (no copy per fold).
            var ml = new MLContext(seed);
            var model = MlNetFitter.Fit(ml, single, seed, matrix, slots, trIdx.Select(i => labels[i]).ToArray(), trIdx);
            var margins = MlNetFitter.Margins(ml, model, matrix, slots, vaIdx);
            for (var j = 0; j < vaIdx.Length; j++) oof[vaIdx[j]] = margins[j];
            aucs[k] = Ranking.Auc(margins, vaIdx.Select(i => labels[i]).ToArray());
        });
        return (aucs.Average(), oof);
    }

    private static float[] EncodeAligned(FeatureEncoder encoder, FeatureFrame frame)
    {
        var map = encoder.Features.Select(f => frame.IndexOf(f.Name)).ToArray();
        var m = new float[frame.Count * encoder.SlotCount];
        var row = new FeatureValue[map.Length];
        for (var r = 0; r < frame.Count; r++)
        {
            for (var j = 0; j < map.Length; j++) row[j] = map[j] >= 0 ? frame[r, map[j]] : FeatureValue.Missing;
            encoder.Encode(row, m.AsSpan(r * encoder.SlotCount, encoder.SlotCount));
        }
        return m;
    }

    /// <summary>
    /// Permutation importance per original feature: all one-hot slots of a feature are shuffled together
    /// (shuffling the feature's values across rows), which is the grouped form of summing slot importances
    /// and never produces impossible rows with two categories set.
    /// </summary>
    public static IReadOnlyList<PermutationImportance> PermutationImportance(MLContext ml, ITransformer model, FeatureEncoder encoder, FeatureFrame test, int maxRows, int seed)
    {
        var rng = new Random(seed);
        var idx = Enumerable.Range(0, test.Count).ToArray();
        if (idx.Length > maxRows) { rng.Shuffle(idx); idx = idx[..maxRows]; Array.Sort(idx); }
        var sample = test.Subset(idx);
        var labels = sample.Labels;
        // The sample is encoded once: a feature writes only its own contiguous slots, so shuffling a feature's values across
        // rows is shuffling its slot block across rows of the encoded matrix (the same rows as re-encoding a shuffled copy).
        var matrix = EncodeAligned(encoder, sample);
        var k = encoder.SlotCount;
        var baseAuc = Ranking.Auc(MlNetFitter.Margins(ml, model, matrix, k), labels);
        var first = new int[encoder.Features.Count];
        var count = new int[encoder.Features.Count];
        Array.Fill(first, -1);
        for (var slot = 0; slot < k; slot++)
        {
            var f = encoder.SlotFeature[slot];
            if (first[f] < 0) first[f] = slot;
            count[f]++;
        }
        // The permutations are drawn in feature order on one generator (the result does not depend on the threads).
        var work = new List<(int Feature, int[] Perm)>();
        for (var f = 0; f < encoder.Features.Count; f++)
        {
            if (sample.IndexOf(encoder.Features[f].Name) < 0) continue;
            var perm = Enumerable.Range(0, sample.Count).ToArray();
            rng.Shuffle(perm);
            work.Add((f, perm));
        }
        var drops = new double[work.Count];
        Parallel.For(0, work.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new float[matrix.Length],
            (w, _, shuffled) =>
            {
                var (f, perm) = work[w];
                Array.Copy(matrix, shuffled, matrix.Length);
                if (first[f] >= 0)
                    for (var r = 0; r < perm.Length; r++)
                        Array.Copy(matrix, (long)perm[r] * k + first[f], shuffled, (long)r * k + first[f], count[f]);
                drops[w] = baseAuc - Ranking.Auc(MlNetFitter.Margins(ml, model, shuffled, k), labels);
                return shuffled;
            },
            _ => { });
        return work.Select((x, w) => new PermutationImportance(encoder.Features[x.Feature].Name, drops[w]))
            .OrderByDescending(r => r.AucDrop).ThenBy(r => r.Feature, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Converted and lost leads of a frame (a lead seen at several ages counts once).</summary>
    private static (int Positive, int Negative) LeadCounts(FeatureFrame frame)
    {
        var labels = DataSplitter.LeadLabels(frame);
        var pos = labels.Count(l => l);
        return (pos, labels.Count - pos);
    }

    private static TrainerOptions Sample(TrainerOptions start, Random rng)
    {
        T Pick<T>(params T[] xs) => xs[rng.Next(xs.Length)];
        return start switch
        {
            LightGbmOptions => new LightGbmOptions
            {
                NumberOfTrees = Pick(100, 200, 300, 500), NumberOfLeaves = Pick(8, 16, 31, 63), LearningRate = Pick(0.02, 0.03, 0.05, 0.08, 0.1),
                MinimumExampleCountPerLeaf = Pick(10, 20, 30, 50, 100), FeatureFraction = Pick(0.5, 0.7, 0.8, 0.9, 1.0), L2Regularization = Pick(0.0, 0.1, 1.0, 5.0, 10.0),
            },
            FastTreeOptions => new FastTreeOptions
            {
                NumberOfTrees = Pick(100, 200, 300), NumberOfLeaves = Pick(8, 16, 31), LearningRate = Pick(0.05, 0.1, 0.2),
                MinimumExampleCountPerLeaf = Pick(10, 20, 50), FeatureFraction = Pick(0.7, 0.85, 1.0),
            },
            FastForestOptions => new FastForestOptions
            {
                NumberOfTrees = Pick(100, 200), NumberOfLeaves = Pick(16, 32, 64), MinimumExampleCountPerLeaf = Pick(5, 10, 20, 50),
                FeatureFraction = Pick(0.5, 0.7, 0.9), BaggingExampleFraction = Pick(0.5, 0.7, 0.9),
            },
            _ => new LogisticOptions { L2Regularization = Pick(0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0), L1Regularization = Pick(0.0, 0.01, 0.1, 1.0) },
        };
    }

    private static string ContentId(ModelCard card, EvaluationMetrics m)
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"{card.DataHash}|{card.Algorithm}|{string.Join(",", card.Hyperparameters.OrderBy(k => k.Key).Select(k => k.Key + "=" + k.Value))}|{m.Auc:R}|{m.LogLoss:R}|{card.Seed}");
        var h = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s));
        return "m-" + Convert.ToHexStringLower(h)[..10];
    }
}
