using System.Diagnostics;
using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Monitoring;

namespace LeadScore.Benchmarks.Monitoring;

/// <summary>
/// Drift over 1,000,000 predictions x 140 features fed window by window (52 weekly windows of about 19,231 rows)
/// against a 5,000-row reference sample, through the seeded <see cref="WindowSampler"/> (capacity 20,000: one window's
/// column arrays, reused). Prints the drift time (generation of the synthetic rows excluded), CPU time, and the managed
/// heap after each window, to show memory stays flat in the number of predictions. Half the windows after week 26
/// shift 10 numeric features. Run: <c>dotnet LeadScore.Benchmarks.dll monitoring-drift [rows] [features] [windows]</c>.
/// </summary>
public static class DriftBenchReport
{
    public static void Run(TextWriter output, int rows = 1_000_000, int features = 140, int windows = 52)
    {
        var inv = CultureInfo.InvariantCulture;
        var categorical = features / 7; // 20 of 140
        var schema = Enumerable.Range(0, features).Select(f => (Name: $"f{f:000}", Kind: f < features - categorical ? FeatureKind.Numeric : FeatureKind.Categorical)).ToArray();
        var rng = new Random(1);
        var reference = Generate(schema, 5000, rng, shift: false);
        var options = new DriftOptions { Multivariate = false };
        var profile = ReferenceProfile.Build(reference);
        var perWindow = rows / windows;
        var sampler = new WindowSampler(schema, 20_000, seed: 7);
        double driftSeconds = 0, driftCpu = 0;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var heaps = new List<long>();
        long fed = 0;
        var flagged = 0; var featureWindows = 0;
        for (var w = 0; w < windows; w++)
        {
            sampler.Reset();
            var n = w == windows - 1 ? rows - perWindow * (windows - 1) : perWindow;
            // Fed in batches of 4,096 rows, as a log reader would.
            for (var done = 0; done < n; done += 4096)
                sampler.AddBatch(Generate(schema, Math.Min(4096, n - done), rng, shift: w >= windows / 2));
            fed += n;
            var c0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var report = DriftEngine.Compare(profile, sampler.ToSample(), options);
            driftSeconds += sw.Elapsed.TotalSeconds;
            driftCpu += (Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds;
            flagged += report.DriftedFeatures; featureWindows += report.Features.Count;
            heaps.Add(GC.GetTotalMemory(forceFullCollection: false));
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        output.WriteLine(string.Create(inv, $"monitoring-drift: {fed:N0} rows x {features} features ({features - categorical} numeric, {categorical} categorical) in {windows} windows against a {reference.Rows:N0}-row reference; {Environment.ProcessorCount} cores"));
        output.WriteLine(string.Create(inv, $"  drift (DriftEngine.Compare, all windows): {driftSeconds:F2} s wall, {driftCpu:F2} s CPU (wall on an idle machine is about CPU / cores); whole run incl. generating the rows {cpu:F1} s CPU"));
        output.WriteLine(string.Create(inv, $"  flagged feature-windows: {flagged:N0} of {featureWindows:N0}"));
        output.WriteLine(string.Create(inv, $"  managed heap after windows 1, 13, 26, 39, 52: {string.Join(", ", new[] { 0, 12, 25, 38, windows - 1 }.Where(i => i < heaps.Count).Select(i => $"{heaps[i] / 1048576.0:F0} MB"))}; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB"));

        var one = Generate(schema, perWindow, rng, shift: true);
        var sw2 = Stopwatch.StartNew();
        var multi = DomainClassifier.Run(reference, one, DriftOptions.Default);
        output.WriteLine(string.Create(inv, $"  domain classifier, one window (1,000 + 1,000 rows, 5 folds, 40 trees): {sw2.Elapsed.TotalSeconds:F2} s, AUC {multi.Auc:F3}"));
    }

    private static DriftSample Generate((string Name, FeatureKind Kind)[] schema, int n, Random rng, bool shift)
    {
        var cols = new FeatureColumn[schema.Length];
        string[] cats = ["Google", "Direct", "Referral", "LinkedIn", "Event", "Partner", "Email", "Other"];
        var scores = new double[n];
        for (var f = 0; f < schema.Length; f++)
        {
            if (schema[f].Kind == FeatureKind.Numeric)
            {
                var v = new double[n];
                var s = shift && f < 10 ? 0.5 : 0.0;
                for (var i = 0; i < n; i++) v[i] = Math.Round((f % 3 == 0 ? rng.Next(0, 12) : s + Gauss(rng)) * 100) / 100;
                cols[f] = FeatureColumn.Numeric(schema[f].Name, v);
            }
            else
            {
                var c = new string?[n];
                for (var i = 0; i < n; i++) c[i] = rng.NextDouble() < 0.02 ? null : cats[Math.Min(cats.Length - 1, (int)(rng.NextDouble() * rng.NextDouble() * cats.Length * 1.5))];
                cols[f] = FeatureColumn.Categorical(schema[f].Name, c);
            }
        }
        for (var i = 0; i < n; i++) scores[i] = 1 / (1 + Math.Exp(-(-2 + Gauss(rng))));
        return new DriftSample(cols) { Scores = scores };
    }

    private static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
