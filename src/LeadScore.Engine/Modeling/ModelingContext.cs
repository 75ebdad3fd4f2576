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
    /// <summary>Held-out conversion rate per grade: rows, converted, rate.</summary>
    public required IReadOnlyList<GradeRate> GradeRates { get; init; }
}

public sealed record GradeRate(string Grade, int Rows, int Positives, double Rate);

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
    /// hyperparameters within the time budget, calibrates on out-of-fold margins, refits on all training rows
    /// and evaluates on the held-out rows only.
    /// </summary>
    public TrainingResult Train(FeatureFrame frame, TrainingOptions options, FeatureFrame? testFrame = null, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        var notes = new List<string>();
        var excluded = options.ExcludedFeatures.ToList();
        var excludeNames = excluded.Select(e => e.Feature).ToHashSet(StringComparer.Ordinal);
        if (excludeNames.Count > 0)
        {
            frame = frame.Without(excludeNames);
            testFrame = testFrame?.Without(excludeNames);
        }
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
        var train = split.Train;
        var (trainPos, trainNeg) = LeadCounts(train);
        var minority = Math.Min(trainPos, trainNeg);
        if (split.Test.Labels.Count(l => l) == 0 || split.Test.Labels.All(l => l))
            throw new LeadScoreException("the test set holds only one class; cannot evaluate");
        progress?.Report(split.Description);

        var folds = options.Folds ?? (train.Count < 2000 ? 5 : 3);
        var foldOf = DataSplitter.StratifiedFolds(train, folds, options.Seed);
        var encoders = new Dictionary<bool, (FeatureEncoder Encoder, float[] Matrix)>();
        (FeatureEncoder Encoder, float[] Matrix) EncoderFor(TrainerOptions t)
        {
            if (!encoders.TryGetValue(t.NeedsImputation, out var e))
            {
                var enc = FeatureEncoder.Fit(train, new EncoderOptions { ImputeAndStandardize = t.NeedsImputation });
                encoders[t.NeedsImputation] = e = (enc, enc.EncodeAll(train));
            }
            return e;
        }

        var candidates = new List<CandidateResult>();
        var budget = options.TimeBudget;
        (double Auc, double[] Oof, double Seconds) Cv(TrainerOptions t, string stage)
        {
            ct.ThrowIfCancellationRequested();
            var t0 = sw.Elapsed;
            var (enc, matrix) = EncoderFor(t);
            var r = CrossValidate(t with { Threads = options.Threads ?? t.Threads }, options.Seed, matrix, enc.SlotCount, train.Labels, foldOf, folds);
            var secs = (sw.Elapsed - t0).TotalSeconds;
            candidates.Add(new CandidateResult(TrainerCatalog.Name(t.Algorithm), t.Describe(), r.Auc, secs, stage));
            progress?.Report($"{stage}: {TrainerCatalog.Name(t.Algorithm)} cv auc {r.Auc:F4} ({secs:F1}s)");
            return (r.Auc, r.Oof, secs);
        }

        TrainerOptions best;
        (double Auc, double[] Oof, double Seconds) bestCv;
        string selection;
        if (options.Trainer is { } fixedTrainer)
        {
            best = fixedTrainer;
            bestCv = Cv(best, "given");
            selection = $"{TrainerCatalog.Name(best.Algorithm)} with the given hyperparameters ({folds}-fold cross-validated AUC {bestCv.Auc:F4} on the training part)";
        }
        else
        {
            IEnumerable<ModelAlgorithm> families;
            if (options.Algorithm is { } a) families = [a];
            else if (minority < options.SmallDataPerClass)
            {
                families = [ModelAlgorithm.Logistic];
                notes.Add($"Only {minority} {(trainPos <= trainNeg ? "converted" : "lost")} leads in the training part (under {options.SmallDataPerClass}): " +
                          "tree ensembles overfit on so few examples, so a regularised logistic regression was preferred.");
            }
            else families = [ModelAlgorithm.LightGbm, ModelAlgorithm.Logistic, ModelAlgorithm.FastTree, ModelAlgorithm.FastForest];

            // 1. Compare families with their defaults.
            TrainerOptions? found = null;
            bestCv = default;
            foreach (var fam in families)
            {
                if (found is not null && sw.Elapsed > budget * 0.6)
                {
                    notes.Add($"{TrainerCatalog.Name(fam)} was not tried: the time budget ({budget.TotalSeconds:F0}s) ran short.");
                    continue;
                }
                var t = Trainers.Default(fam);
                var r = Cv(t, "compare");
                if (found is null || r.Auc > bestCv.Auc) { found = t; bestCv = r; }
            }
            best = found ?? throw new InvalidOperationException("no algorithm family to try");

            // 2. Class weighting, chosen by validation.
            var weightingWhy = "no class weights (no time left to try balanced weights)";
            if (sw.Elapsed + TimeSpan.FromSeconds(bestCv.Seconds) < budget)
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

            // 3. Bounded random search around the best family.
            var rng = new Random(options.Seed);
            var trials = 0;
            var searchStart = best;
            // Start a trial only if the slowest one so far, then the refit and the evaluation (about one cross-validation
            // of the best), still end inside the budget, with 5% to spare: the budget bounds the whole training.
            var slowest = bestCv.Seconds;
            while (trials < options.MaxTrials && sw.Elapsed + TimeSpan.FromSeconds(slowest + bestCv.Seconds) < budget * 0.95)
            {
                var t = Sample(searchStart, rng) with { Weighting = best.Weighting };
                trials++;
                var r = Cv(t, "search");
                slowest = Math.Max(slowest, r.Seconds);
                if (r.Auc > bestCv.Auc) { best = t; bestCv = r; }
            }
            selection = $"{TrainerCatalog.Name(best.Algorithm)}: best {folds}-fold cross-validated AUC ({bestCv.Auc:F4}) on the training part among " +
                        $"{string.Join(", ", families.Select(TrainerCatalog.Name))}; {weightingWhy}; {trials} hyperparameter trials within {budget.TotalSeconds:F0}s";
        }
        // One thread unless told otherwise: LightGBM's OpenMP threads spin when the cores are shared, which made a
        // 2 s refit take minutes on a busy 2-core machine; single-threaded it is also reproducible bit for bit.
        best = best with { Threads = options.Threads ?? best.Threads ?? 1 };

        // Calibration on out-of-fold margins: rows each fold model did not train on.
        var oof = bestCv.Oof ?? throw new InvalidOperationException("no cross-validation result");
        var (calibrator, calWhy) = CalibrationFitter.FitBest(oof, train.Labels, options.Seed);
        var oofProb = Array.ConvertAll(oof, calibrator.Apply);
        var grades = options.Grades ?? CalibrationFitter.ChooseGrades(oofProb);

        // Refit on all training rows.
        progress?.Report($"refit {TrainerCatalog.Name(best.Algorithm)} on {train.Count} rows");
        var (encoder, trainMatrix) = EncoderFor(best);
        var ml = new MLContext(options.Seed);
        var model = MlNetFitter.Fit(ml, best, options.Seed, trainMatrix, encoder.SlotCount, train.Labels);
        var trainSeconds = sw.Elapsed.TotalSeconds;

        // Held-out evaluation.
        var testMatrix = EncodeAligned(encoder, split.Test);
        var testMargins = MlNetFitter.Margins(ml, model, testMatrix, encoder.SlotCount);
        var testProb = Array.ConvertAll(testMargins, calibrator.Apply);
        var metrics = Evaluator.Evaluate(testProb, split.Test.Labels, split.Test);
        var curves = Evaluator.Curves(testProb, split.Test.Labels);
        var importance = options.ImportanceRows > 0 ? PermutationImportance(ml, model, encoder, split.Test, options.ImportanceRows, options.Seed) : [];
        var gradeRates = new[] { "A", "B", "C", "D" }.Select(g =>
        {
            var idx = Enumerable.Range(0, testProb.Length).Where(i => grades.GradeOf(testProb[i]) == g).ToArray();
            var p = idx.Count(i => split.Test.Labels[i]);
            return new GradeRate(g, idx.Length, p, idx.Length == 0 ? 0 : (double)p / idx.Length);
        }).ToArray();

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
            Split = split.Description,
            SplitKind = split.Kind,
            Horizon = options.Horizon,
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
        card = card with { Version = ContentId(card, metrics) };
        return new TrainingResult
        {
            Model = new TrainedModel(ml, model, encoder, calibrator, grades, card, trainMatrix),
            Metrics = metrics,
            Curves = curves,
            Importance = importance,
            Test = split.Test,
            TestProbabilities = testProb,
            GradeRates = gradeRates,
        };
    }

    /// <summary>Fits one model with the given options on the whole frame (no calibration, no evaluation); for benchmarks and tests.</summary>
    public (ITransformer Model, FeatureEncoder Encoder, float[] Matrix) Fit(FeatureFrame train, TrainerOptions options, int seed = TrainingOptions.Defaults.Seed)
    {
        var enc = FeatureEncoder.Fit(train, new EncoderOptions { ImputeAndStandardize = options.NeedsImputation });
        var m = enc.EncodeAll(train);
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
            var trM = Rows(matrix, slots, trIdx);
            var vaM = Rows(matrix, slots, vaIdx);
            var ml = new MLContext(seed);
            var model = MlNetFitter.Fit(ml, single, seed, trM, slots, trIdx.Select(i => labels[i]).ToArray());
            var margins = MlNetFitter.Margins(ml, model, vaM, slots);
            for (var j = 0; j < vaIdx.Length; j++) oof[vaIdx[j]] = margins[j];
            aucs[k] = Ranking.Auc(margins, vaIdx.Select(i => labels[i]).ToArray());
        });
        return (aucs.Average(), oof);
    }

    private static float[] Rows(float[] matrix, int slots, int[] idx)
    {
        var m = new float[idx.Length * slots];
        for (var j = 0; j < idx.Length; j++) Array.Copy(matrix, idx[j] * slots, m, j * slots, slots);
        return m;
    }

    private static float[] EncodeAligned(FeatureEncoder encoder, FeatureFrame frame)
    {
        var map = encoder.Features.Select(f => frame.IndexOf(f.Name)).ToArray();
        var m = new float[frame.Count * encoder.SlotCount];
        var row = new FeatureValue[map.Length];
        for (var r = 0; r < frame.Count; r++)
        {
            for (var j = 0; j < map.Length; j++) row[j] = map[j] >= 0 ? frame.Rows[r][map[j]] : FeatureValue.Missing;
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
        var baseAuc = Ranking.Auc(MlNetFitter.Margins(ml, model, EncodeAligned(encoder, sample), encoder.SlotCount), labels);
        var result = new List<PermutationImportance>();
        for (var f = 0; f < encoder.Features.Count; f++)
        {
            var col = sample.IndexOf(encoder.Features[f].Name);
            if (col < 0) continue;
            var perm = Enumerable.Range(0, sample.Count).ToArray();
            rng.Shuffle(perm);
            var shuffled = new FeatureFrame(sample.Features);
            for (var r = 0; r < sample.Count; r++)
            {
                var row = (FeatureValue[])sample.Rows[r].Clone();
                row[col] = sample.Rows[perm[r]][col];
                shuffled.Add(sample.Ids[r], row);
            }
            var auc = Ranking.Auc(MlNetFitter.Margins(ml, model, EncodeAligned(encoder, shuffled), encoder.SlotCount), labels);
            result.Add(new PermutationImportance(encoder.Features[f].Name, baseAuc - auc));
        }
        return result.OrderByDescending(r => r.AucDrop).ThenBy(r => r.Feature, StringComparer.Ordinal).ToArray();
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
