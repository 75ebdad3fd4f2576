using System.Diagnostics;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace LeadScore.Benchmarks.Scoring;

/// <summary>
/// Throughput per CPU-second of the process, beside wall-clock rates: on a shared machine
/// (several agents on 2 cores) wall-clock benchmarks mostly measure the neighbours, while CPU time
/// measures the code. Run: <c>dotnet LeadScore.Benchmarks.dll scoring-cpu</c>.
/// </summary>
public static class ScoringCpuReport
{
    public static void Run(TextWriter output)
    {
        var bank = BenchmarkData.Bank.Value;
        var enc = FeatureEncoder.Fit(bank);
        var m = enc.EncodeAll(bank);
        var ml = new MLContext(1);
        var model = ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            NumberOfIterations = 100, NumberOfLeaves = 31, MinimumExampleCountPerLeaf = 20, NumberOfThreads = 1, Seed = 1, Deterministic = true,
            Booster = new GradientBooster.Options { MaximumTreeDepth = 6 },
        }).Fit(MlNetFitter.ToDataView(ml, m, enc.SlotCount, bank.Labels));
        var c = CompiledModel.FromMlNet(model, m, enc.SlotCount);
        var engine = new ScoringEngine("cpu", enc, c, ProbabilityCalibrator.Identity, GradeBands.Default);
        var data = MlNetFitter.ToDataView(ml, m, enc.SlotCount);
        var n = bank.Count;
        var s = enc.SlotCount;
        var margins = new double[n];
        var phi = new double[s];
        var lead = bank.Rows[123];
        var explainFrame = bank.Subset(Enumerable.Range(0, 8192).ToArray());

        output.WriteLine($"LightGBM 100 trees, 31 leaves, max depth {c.MaxDepth}; {c.FastShap.FastTrees} trees with Fast TreeSHAP tables; {s} slots; {n:N0} bank rows; {Environment.ProcessorCount} cores");
        var ml1 = Time(() => { double sum = 0; foreach (var v in model.Transform(data).GetColumn<float>("Score")) sum += v; }, 3);
        var one = Time(() => c.Margins(m, margins), 10);
        var par = Time(() => c.MarginsParallel(m, margins), 10);
        var shap = Time(() => { for (var r = 0; r < 4000; r++) c.Contributions(m.AsSpan(r * s, s), phi, out _); }, 2);
        var blockPhi = new double[256 * s];
        var block = Time(() => { for (var b = 0; b < 16; b++) c.Contributions(m.AsSpan(b * 256 * s, 256 * s), blockPhi); }, 2);
        var plain = Time(() => { for (var r = 0; r < 1000; r++) c.TreeShapAllTrees(m.AsSpan(r * s, s), phi); }, 1);
        var batch = Time(() => engine.ScoreBatch(explainFrame, explain: true), 2);
        var lead1 = Time(() => { for (var r = 0; r < 2000; r++) engine.Score("l", lead, explain: true); }, 2);
        var lead0 = Time(() => { for (var r = 0; r < 20000; r++) engine.Score("l", lead, explain: false); }, 2);
        Row(output, "ML.NET Transform (Score column)", n, ml1);
        Row(output, "Compiled Margins, one thread", n, one);
        Row(output, "Compiled MarginsParallel", n, par);
        Row(output, "Fast TreeSHAP contributions, one thread", 4000, shap);
        Row(output, "Fast TreeSHAP, blocks of 256 rows, one thread", 4096, block);
        Row(output, "Plain TreeSHAP, one thread", 1000, plain);
        Row(output, "Engine ScoreBatch with reasons, parallel", explainFrame.Count, batch);
        output.WriteLine($"{"One lead with reasons",-44} {lead1.Wall / 2000 * 1e6,10:F1} us wall {lead1.Cpu / 2000 * 1e6,10:F1} us CPU");
        output.WriteLine($"{"One lead without reasons",-44} {lead0.Wall / 20000 * 1e6,10:F1} us wall {lead0.Cpu / 20000 * 1e6,10:F1} us CPU");
        output.WriteLine($"Compiled vs ML.NET per CPU-second: {ml1.Cpu / one.Cpu:F1}x; load average now: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static void Row(TextWriter o, string name, int rows, (double Wall, double Cpu) t) =>
        o.WriteLine($"{name,-44} {rows / t.Wall,12:N0} rows/s wall {rows / t.Cpu,12:N0} rows per CPU-s");

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
