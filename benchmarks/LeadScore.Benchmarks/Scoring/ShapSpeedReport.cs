using System.Diagnostics;
using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace LeadScore.Benchmarks.Scoring;

/// <summary>
/// Exact reasons, the SHAP algorithms side by side in one run, through the whole engine (encoding, margins,
/// SHAP, points and sentences): the algorithm before Linear TreeSHAP (Fast TreeSHAP tables where they fit, plain
/// TreeSHAP elsewhere), the default now (Linear TreeSHAP on every tree), tables with Linear TreeSHAP elsewhere,
/// and plain TreeSHAP everywhere. Wall-clock and CPU time of the process (the machine is shared: CPU time measures the code).
/// Run: <c>dotnet LeadScore.Benchmarks.dll shap-speed [WORKSPACE ...]</c>; each workspace's champion (say, the model
/// <c>train</c> auto picked on bank) is measured on the bank rows too.
/// </summary>
public static class ShapSpeedReport
{
    private static readonly (ShapMethod Method, string Name)[] Methods =
    [
        (ShapMethod.TablesAndPlain, "before: tables + plain TreeSHAP"),
        (ShapMethod.Linear, "Linear TreeSHAP on every tree"),
        (ShapMethod.Auto, "now: per-tree choice (cost model)"),
        (ShapMethod.TablesAndLinear, "tables + Linear TreeSHAP"),
        (ShapMethod.Plain, "plain TreeSHAP on every tree"),
    ];

    public static void Run(TextWriter output, IReadOnlyList<string> workspaces, bool small = false)
    {
        if (workspaces is ["--kernel", var workspace, var method])
        {
            // SHAP alone, one thread, one row at a time over 4,096 bank rows of a workspace champion, each row
            // timed on its own: the minimum and the median escape most of a shared machine's preemptions.
            var champion = LoadChampion(workspace).Model.Engine;
            var model = champion.Model.WithShapMethod(Enum.Parse<ShapMethod>(method));
            var n = champion.Encoder.SlotCount;
            var m = champion.Encoder.EncodeAll(Align(BenchmarkData.Bank.Value, champion.Encoder.Features).Subset(Enumerable.Range(0, 4096).ToArray()));
            var phi = new double[n];
            var times = new double[4096];
            for (var pass = 0; pass < 3; pass++)
                for (var r = 0; r < 4096; r++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    model.Contributions(m.AsSpan(r * n, n), phi, out _);
                    var us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                    times[r] = pass == 0 ? us : Math.Min(times[r], us);
                }
            Array.Sort(times);
            output.WriteLine($"kernel {method}: per row best {times[0]:F1} us, median of per-row bests {times[2048]:F1} us, 90th {times[3686]:F1} us");
            return;
        }
        var quick = workspaces is ["--quick", ..];
        if (quick) workspaces = [];
        output.WriteLine($"shap-speed: {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Trim()}");
        var bank = BenchmarkData.Bank.Value;
        if (small) bank = bank.Subset(Enumerable.Range(0, 2000).Select(i => i * 20).ToArray());

        // As the issue measured: LightGBM 100 trees x 63 leaves on bank (what auto picked there), all rows explained.
        var lgbm = Train(bank, ml => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            NumberOfIterations = small ? 10 : 100, NumberOfLeaves = 63, MinimumExampleCountPerLeaf = 20, LearningRate = 0.05,
            NumberOfThreads = 1, Seed = 1, Deterministic = true,
        }));
        Measure(output, "LightGBM 100 trees x 63 leaves, bank", lgbm, bank, quick);
        if (quick) return;

        // The shallow model of the scoring-cpu report (depth 6: every tree fits the tables), where the tables were fastest.
        var shallow = Train(bank, ml => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            NumberOfIterations = small ? 10 : 100, NumberOfLeaves = 31, MinimumExampleCountPerLeaf = 20,
            NumberOfThreads = 1, Seed = 1, Deterministic = true, Booster = new GradientBooster.Options { MaximumTreeDepth = 6 },
        }));
        Measure(output, "LightGBM 100 trees x 31 leaves, depth 6, bank", shallow, bank);

        // FastForest with LeadScore's defaults (100 trees x 32 leaves) on 8,000 flat rows.
        var flat = bank.Subset(Enumerable.Range(0, Math.Min(8000, bank.Count)).Select(i => i * bank.Count / Math.Min(8000, bank.Count)).ToArray());
        var ff = Train(flat, ml => ml.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
        {
            NumberOfTrees = small ? 10 : FastForestOptions.Defaults.NumberOfTrees, NumberOfLeaves = FastForestOptions.Defaults.NumberOfLeaves,
            MinimumExampleCountPerLeaf = FastForestOptions.Defaults.MinimumExampleCountPerLeaf, FeatureFraction = FastForestOptions.Defaults.FeatureFraction,
            BaggingExampleFraction = FastForestOptions.Defaults.BaggingExampleFraction, NumberOfThreads = 1, Seed = 1, FeatureSelectionSeed = 1,
        }));
        Measure(output, $"FastForest 100 trees x 32 leaves, {flat.Count:N0} flat rows", ff, flat);

        foreach (var ws in workspaces)
        {
            var (model, leads) = LoadChampion(ws);
            // A flat-table model (bank) is measured on the bank rows; a workspace model (quickstart) on its stored leads.
            var rows = model.Flat is not null ? Align(bank, model.Engine.Encoder.Features) : leads;
            Measure(output, $"champion {model.Version} of {ws}", model.Engine, rows);
        }
    }

    internal static ScoringEngine Train(FeatureFrame frame, Func<MLContext, IEstimator<ITransformer>> trainer)
    {
        var enc = FeatureEncoder.Fit(frame);
        var m = enc.EncodeAll(frame);
        var ml = new MLContext(1);
        var model = trainer(ml).Fit(MlNetFitter.ToDataView(ml, m, enc.SlotCount, frame.Labels));
        return new ScoringEngine("bench", enc, CompiledModel.FromMlNet(model, m, enc.SlotCount),
            new ProbabilityCalibrator { Kind = CalibratorKind.Platt, A = 1, B = 0 }, GradeBands.Default);
    }

    private static void Measure(TextWriter output, string title, ScoringEngine engine, FeatureFrame frame, bool quick = false)
    {
        var c = engine.Model;
        var unique = 0;
        for (var t = 0; t < c.TreeCount; t++) unique = Math.Max(unique, LinearTreeShap.MaxUnique(c, c.TreeRoots[t], []));
        output.WriteLine();
        output.WriteLine($"{title}: {c.TreeCount} trees, max depth {c.MaxDepth}, up to {unique} unique features on a path; " +
            $"{FastTreeShap.Build(c, ShapMethod.TablesAndPlain).FastTrees} trees would fit the tables; {frame.Count:N0} rows");
        var lead = frame.Rows[Math.Min(123, frame.Count - 1)];
        var none = Time(() => engine.ScoreBatch(frame, explain: false), 1);
        output.WriteLine($"  {"without reasons",-34} {frame.Count / none.Wall,10:N0} rows/s wall {frame.Count / none.Cpu,10:N0} rows per CPU-s (ScoreBatch, all cores)");
        foreach (var (method, name) in Methods)
        {
            if (quick && method is ShapMethod.Plain or ShapMethod.TablesAndPlain) continue;
            var e = new ScoringEngine(engine.ModelVersion, engine.Encoder, c.WithShapMethod(method), engine.Calibrator, engine.Grades);
            // The slow algorithms get fewer rows, so the run stays within minutes.
            var slow = method is ShapMethod.Plain or ShapMethod.TablesAndPlain && c.FastShap.FastTrees < c.TreeCount;
            var rows = slow ? frame.Subset(Enumerable.Range(0, Math.Min(frame.Count, 2048)).ToArray()) : frame;
            var kernel = KernelMicroseconds(e, frame);
            var batch = Time(() => e.ScoreBatch(rows, explain: true), 1);
            var reps = slow ? 200 : 5000;
            var one = Time(() => { for (var r = 0; r < reps; r++) e.Score("l", lead, explain: true); }, 1);
            output.WriteLine($"  {name,-34} {rows.Count / batch.Wall,10:N0} rows/s wall {rows.Count / batch.Cpu,10:N0} rows per CPU-s " +
                $"(ScoreBatch with reasons, {rows.Count:N0} rows); one lead {one.Wall / reps * 1e6,8:F1} us wall {one.Cpu / reps * 1e6,8:F1} us CPU; " +
                $"SHAP alone {kernel,6:F1} us/row (one thread, best of 15 blocks)");
        }
    }

    /// <summary>
    /// Contributions alone, one thread, blocks of 256 rows as the engine runs them: the best of 15 blocks, which
    /// on a shared machine is the one least disturbed by the neighbours.
    /// </summary>
    private static double KernelMicroseconds(ScoringEngine e, FeatureFrame frame)
    {
        var rows = Math.Min(256, frame.Count);
        var n = e.Encoder.SlotCount;
        var m = e.Encoder.EncodeAll(frame.Subset(Enumerable.Range(0, rows).ToArray()));
        var phi = new double[m.Length];
        e.Model.Contributions(m, phi);
        var best = double.MaxValue;
        for (var i = 0; i < 15; i++)
        {
            var sw = Stopwatch.StartNew();
            e.Model.Contributions(m, phi);
            best = Math.Min(best, sw.Elapsed.TotalMicroseconds / rows);
        }
        _ = n;
        return best;
    }

    /// <summary>The bank rows in the order of the model's features (by name).</summary>
    internal static FeatureFrame Align(FeatureFrame bank, IReadOnlyList<FeatureInfo> features)
    {
        var index = features.Select(f => bank.IndexOf(f.Name)).ToArray();
        var frame = new FeatureFrame(features);
        for (var r = 0; r < bank.Count; r++)
        {
            var row = new FeatureValue[features.Count];
            for (var i = 0; i < row.Length; i++) row[i] = index[i] >= 0 ? bank.Rows[r][index[i]] : FeatureValue.Missing;
            frame.Add(bank.Ids[r], row, bank.Labels[r]);
        }
        return frame;
    }

    /// <summary>
    /// The workspace's champion and, for a workspace model, the feature rows of up to 2,000 stored leads as
    /// of now (as the scoring service computes them).
    /// </summary>
    internal static (ServableModel Model, FeatureFrame Leads) LoadChampion(string workspace)
    {
        var store = LeadScore.Storage.LeadStore.OpenAsync(workspace).GetAwaiter().GetResult();
        try
        {
            var model = LeadScore.Application.Scoring.BatchScoring.LoadModelAsync(store, null).GetAwaiter().GetResult();
            var frame = new FeatureFrame(model.Engine.Encoder.Features);
            if (model.Flat is not null) return (model, frame);
            var now = DateTimeOffset.UtcNow;
            var leads = new List<Lead>();
            var stream = store.StreamLeadsAsync().GetAsyncEnumerator();
            try
            {
                while (leads.Count < 2000 && stream.MoveNextAsync().AsTask().GetAwaiter().GetResult()) leads.Add(stream.Current);
            }
            finally
            {
                stream.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            foreach (var lead in leads)
            {
                var id = lead.Id;
                var activities = model.Features.UsesHistory ? store.GetActivitiesAsync(id, now).GetAwaiter().GetResult() : [];
                var domain = model.Features.EnrichmentDomain(lead);
                var enrichment = domain is null ? [] : store.GetEnrichmentAsync(domain).GetAwaiter().GetResult();
                frame.Add(id, model.Row(lead, activities, enrichment, now));
            }
            return (model, frame);
        }
        finally
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static (double Wall, double Cpu) Time(Action a, int reps)
    {
        a();
        var p = Process.GetCurrentProcess();
        var sw = Stopwatch.StartNew();
        var c0 = p.TotalProcessorTime;
        for (var i = 0; i < reps; i++) a();
        p.Refresh();
        return (sw.Elapsed.TotalSeconds / reps, (p.TotalProcessorTime - c0).TotalSeconds / reps);
    }
}
