using System.Diagnostics;
using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace LeadScore.Benchmarks.Scoring;

/// <summary>
/// The per-tree choice of SHAP algorithm, measured tree by tree: for every tree of a model, the time per row of the
/// precomputed tables (where they fit) and of Linear TreeSHAP, on one thread over a block of 256 rows (best of 9),
/// beside <see cref="ShapCostModel"/>'s estimates. Prints a summary per model (the sum over trees of each method, of
/// the cost model's choice and of the per-tree best) and, with <c>--csv FILE</c>, one line per tree to fit the model's
/// constants. Models: LightGBM depth 6 and FastForest 200 x 16 (shallow), FastForest 100 x 32, and workspace champions.
/// Run: <c>dotnet LeadScore.Benchmarks.dll shap-trees [--csv FILE] [WORKSPACE ...]</c>.
/// </summary>
public static class ShapTreeCostReport
{
    public static void Run(TextWriter output, IReadOnlyList<string> args)
    {
        var list = args.ToList();
        string? csvPath = null;
        var at = list.IndexOf("--csv");
        if (at >= 0) { csvPath = list[at + 1]; list.RemoveRange(at, 2); }
        using var csv = csvPath is null ? null : new StreamWriter(csvPath);
        csv?.WriteLine("model,tree,inner,leaves,sum_leaf_unique,max_unique,points,table_bytes,tables_ns,linear_ns,est_tables_ns,est_linear_ns,auto_tables");
        output.WriteLine($"shap-trees: {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Trim()}");
        var bank = BenchmarkData.Bank.Value;
        var flat = bank.Subset(Enumerable.Range(0, 8000).Select(i => i * bank.Count / 8000).ToArray());
        var models = new List<(string Name, ScoringEngine Engine, FeatureFrame Rows)>
        {
            ("LightGBM 100 x 31, depth 6", ShapSpeedReport.Train(bank, ml => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                NumberOfIterations = 100, NumberOfLeaves = 31, MinimumExampleCountPerLeaf = 20, NumberOfThreads = 1, Seed = 1, Deterministic = true,
                Booster = new GradientBooster.Options { MaximumTreeDepth = 6 },
            })), bank),
            ("FastForest 200 x 16, 8,000 rows", ShapSpeedReport.Train(flat, ml => ml.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
            {
                NumberOfTrees = 200, NumberOfLeaves = 16, MinimumExampleCountPerLeaf = 5, FeatureFraction = 0.5, BaggingExampleFraction = 0.5,
                NumberOfThreads = 1, Seed = 1, FeatureSelectionSeed = 1,
            })), flat),
            ("FastForest 100 x 32, 8,000 rows", ShapSpeedReport.Train(flat, ml => ml.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
            {
                NumberOfTrees = FastForestOptions.Defaults.NumberOfTrees, NumberOfLeaves = FastForestOptions.Defaults.NumberOfLeaves,
                MinimumExampleCountPerLeaf = FastForestOptions.Defaults.MinimumExampleCountPerLeaf, FeatureFraction = FastForestOptions.Defaults.FeatureFraction,
                BaggingExampleFraction = FastForestOptions.Defaults.BaggingExampleFraction, NumberOfThreads = 1, Seed = 1, FeatureSelectionSeed = 1,
            })), flat),
        };
        foreach (var ws in list)
        {
            var (model, leads) = ShapSpeedReport.LoadChampion(ws);
            models.Add(($"champion {model.Version} of {ws}", model.Engine, model.Flat is not null ? ShapSpeedReport.Align(bank, model.Engine.Encoder.Features) : leads));
        }
        foreach (var (name, engine, rows) in models) Measure(output, csv, name, engine, rows);
    }

    private static void Measure(TextWriter output, StreamWriter? csv, string name, ScoringEngine engine, FeatureFrame frame)
    {
        var c = engine.Model;
        var n = c.SlotCount;
        var rows = Math.Min(256, frame.Count);
        var m = engine.Encoder.EncodeAll(frame.Subset(Enumerable.Range(0, rows).ToArray()));
        var phi = new double[m.Length];
        var tables = FastTreeShap.Build(c, ShapMethod.TablesAndLinear);
        var linear = FastTreeShap.Build(c, ShapMethod.Linear);
        var auto = FastTreeShap.Build(c, ShapMethod.Auto);
        // Warm up every method on every tree (the walks are generic per width: each width is its own compiled code),
        // then wait for the JIT's optimised tier, so no tree is timed on unoptimised code.
        for (var pass = 0; pass < 40; pass++)
            foreach (var e in new[] { tables, linear, auto }) e.ContributionsBlock(c, m.AsSpan(0, Math.Min(rows, 8) * n), phi.AsSpan(0, Math.Min(rows, 8) * n), Math.Min(rows, 8));
        Thread.Sleep(1000);
        foreach (var e in new[] { tables, linear, auto }) e.ContributionsBlock(c, m, phi, rows);
        double sumLinear = 0, sumTablesWhereFit = 0, sumAuto = 0, sumBest = 0;
        int fit = 0, chosen = 0, wrong = 0;
        for (var t = 0; t < c.TreeCount; t++)
        {
            var s = ShapCostModel.Shape(c, t);
            if (s.Inner == 0) continue;
            var lin = Best(() => linear.TreeBlock(c, t, m, phi, rows)) / rows;
            var tab = tables.UsesTables(t) ? Best(() => tables.TreeBlock(c, t, m, phi, rows)) / rows : double.PositiveInfinity;
            var useTables = auto.UsesTables(t);
            sumLinear += lin;
            sumTablesWhereFit += Math.Min(tab, double.IsInfinity(tab) ? lin : tab);
            sumAuto += useTables ? tab : lin;
            sumBest += Math.Min(tab, lin);
            if (!double.IsInfinity(tab)) fit++;
            if (useTables) chosen++;
            if (useTables != tab < lin) wrong++;
            csv?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"\"{name}\",{t},{s.Inner},{s.Leaves},{s.SumLeafUnique},{s.MaxUnique},{s.Points},{s.TableDoubles * 8},{(double.IsInfinity(tab) ? "" : tab.ToString("F1", CultureInfo.InvariantCulture))},{lin:F1},{(double.IsInfinity(ShapCostModel.Tables(s)) ? "" : ShapCostModel.Tables(s).ToString("F1", CultureInfo.InvariantCulture))},{ShapCostModel.Linear(s):F1},{(useTables ? 1 : 0)}"));
        }
        output.WriteLine();
        output.WriteLine($"{name}: {c.TreeCount} trees, {fit} fit the tables, the cost model picks the tables for {chosen}; {wrong} trees where the other method measured faster");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  SHAP per row, sum over trees (one thread, blocks of {rows} rows, best of 9 per tree): Linear everywhere {sumLinear / 1000:F1} us; tables where they fit {sumTablesWhereFit / 1000:F1} us; cost model's choice {sumAuto / 1000:F1} us; per-tree best {sumBest / 1000:F1} us"));
    }

    private static double Best(Action a)
    {
        a();
        var best = double.MaxValue;
        for (var i = 0; i < 9; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            a();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalNanoseconds);
        }
        return best;
    }
}
