using System.Diagnostics;
using System.Globalization;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;

namespace LeadScore.Benchmarks.Monitoring;

/// <summary>
/// The issue-12 figure: monitoring over N logged predictions x F features from a real store (SQLite by default). A
/// logistic champion is trained on F features (every 7th categorical) with its reference; N predictions over 13 weeks
/// (drift in 10 numeric features from week 7), with outcomes for about a tenth of the leads, are written with the store's
/// bulk append in chunks (setup never holds them all); then MonitoringService runs over every weekly window and the wall
/// time, CPU time and the managed heap's peak during the run are printed (sampled every 20 ms).
/// With <c>--ages</c> the reference carries its rows' lead age (14 days, as a workspace model's does) and the log is a live
/// workspace's: N/5 stored leads, each scored at ages 0, 7, 14.2, 21 and 28 days, so monitoring matches each prediction to
/// its lead's age and compares one in five (the predictions at the decision age).
/// <c>dotnet run -c Release --project benchmarks/LeadScore.Benchmarks -- monitor-log 250000,1000000 140 [--no-outcomes] [--ages] [connection string]</c>
/// </summary>
public static class MonitorLogReport
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private const int Weeks = 13, DriftWeek = 7;

    /// <summary>The ages (days) each lead is scored at with <c>--ages</c>; the reference's is 14.</summary>
    private static readonly double[] ScoredAges = [0, 7, 14.2, 21, 28];
    private const double DecisionAge = 14;

    public static async Task RunAsync(TextWriter output, IReadOnlyList<int> sizes, int features, string? connectionString, bool outcomes = true, bool ages = false)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"monitor-log: {Environment.ProcessorCount} cores, load average {LoadAverage()}, {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}"));
        var infos = Enumerable.Range(0, features).Select(j => new FeatureInfo($"f{j:D3}", j % 7 == 6 ? FeatureKind.Categorical : FeatureKind.Numeric, $"feature {j}")).ToArray();
        var sw = Stopwatch.StartNew();
        // LEADSCORE_BENCH_MONLOG_DIR keeps the seeded workspace (SQLite) and reuses it when run again with one size: only the
        // monitoring is measured again (the seeding of 1,000,000 rows takes longer than the runs).
        var keep = Environment.GetEnvironmentVariable("LEADSCORE_BENCH_MONLOG_DIR");
        var reuse = keep is not null && connectionString is null && sizes.Count == 1 && File.Exists(Path.Combine(keep, "leadscore.db"));
        var trained = reuse ? null : Train(infos);
        if (!reuse) output.WriteLine(string.Create(inv, $"trained a logistic model on {features} features in {sw.Elapsed.TotalSeconds:F1} s"));
        foreach (var n in sizes)
        {
            var ws = keep is not null && connectionString is null && sizes.Count == 1 ? keep : Path.Combine(Path.GetTempPath(), $"leadscore-bench-mon-{Guid.NewGuid():N}");
            await using (var store = await LeadStore.OpenAsync(ws, connectionString))
            {
                output.WriteLine($"store: {store.Describe()}{(reuse ? " (reused: not seeded again)" : "")}");
                var version = "v1";
                if (!reuse)
                {
                await new ModelRegistry(store).RegisterAsync(trained!, m => ModelArtifact.ServingEntries(m, null, FlatModelInput.From(
                    infos.Select(i => new ColumnSchema { Name = i.Name, Kind = i.Kind == FeatureKind.Numeric ? ColumnKind.Numeric : ColumnKind.Categorical }).ToArray(), ImportMapping.Default))
                    // With --ages, a workspace model's reference: each training row is its lead at creation + 14 days.
                    .Concat(ModelArtifact.ReferenceEntries(trained!, createdAt: ages ? id => TrainingTime(id).AddDays(-DecisionAge) : null)).ToDictionary(kv => kv.Key, kv => kv.Value));
                sw.Restart();
                await SeedAsync(store, infos, n, outcomes, version, ages);
                output.WriteLine(string.Create(inv, $"wrote {n:N0} predictions x {features} features{(outcomes ? " and their outcomes" : ", no outcomes")}{(ages ? $", {n / ScoredAges.Length:N0} leads each scored at ages {string.Join(", ", ScoredAges)} days (reference age {DecisionAge})" : "")} with the bulk append in {sw.Elapsed.TotalSeconds:F1} s"));
                }
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                var baseline = GC.GetTotalMemory(true);
                var time = new FixedTime(T0.AddDays(7 * Weeks + 40));
                // The floor: reading the window rows from the store, nothing else.
                sw.Restart();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                long read = 0;
                await foreach (var p in store.StreamPredictionsAsync(T0.AddDays(-30), T0.AddDays(7 * Weeks + 1), version, PredictionSlots.Champion)) read += p.Features?.Length ?? 0;
                output.WriteLine(string.Create(inv, $"reading the rows alone (materialised, StreamPredictionsAsync): {sw.Elapsed.TotalSeconds:F2} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds:F1} s CPU ({read / 1048576.0:F0} MB of features)"));
                // The floor monitoring reads through: the cursor, every column it takes, no feature bytes copied.
                sw.Restart();
                cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                long rows = 0, bytes = 0;
                await using (var cursor = await store.OpenPredictionCursorAsync(T0.AddDays(-30), T0.AddDays(7 * Weeks + 1), version, PredictionSlots.Champion))
                    while (await cursor.ReadAsync())
                    {
                        rows++;
                        bytes += cursor.FeatureBytes + (cursor.LeadId?.Length ?? 0) + cursor.Grade.Length + (int)cursor.Probability + (int)(cursor.HorizonDays ?? 0) + cursor.PredictedAt.Offset.Hours;
                    }
                output.WriteLine(string.Create(inv, $"reading the rows through the cursor (no feature bytes copied): {rows:N0} rows in {sw.Elapsed.TotalSeconds:F2} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds:F1} s CPU"));
                {
                    // What every run reads besides the log: each lead's creation time (lead-age matching) and the conversions.
                    sw.Restart();
                    var c1 = Process.GetCurrentProcess().TotalProcessorTime;
                    var leadCount = 0;
                    await foreach (var _ in store.StreamLeadsAsync()) leadCount++;
                    var leadCpu = Process.GetCurrentProcess().TotalProcessorTime - c1;
                    var leadWall = sw.Elapsed;
                    sw.Restart();
                    c1 = Process.GetCurrentProcess().TotalProcessorTime;
                    var outcomeCount = 0;
                    await foreach (var _ in store.StreamOutcomesAsync()) outcomeCount++;
                    output.WriteLine(string.Create(inv, $"reading the {leadCount:N0} leads: {leadWall.TotalSeconds:F2} s wall, {leadCpu.TotalSeconds:F1} s CPU; the {outcomeCount:N0} outcomes: {sw.Elapsed.TotalSeconds:F2} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - c1).TotalSeconds:F1} s CPU"));
                }
                var monitoring = new MonitoringService(store, time);
                for (var run = 1; run <= 2; run++)
                {
                    long peak = 0, live = 0;
                    using var stop = new CancellationTokenSource();
                    var sampler = Task.Run(async () =>
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            peak = Math.Max(peak, GC.GetTotalMemory(false));
                            live = Math.Max(live, GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes);
                            await Task.Delay(20);
                        }
                    });
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    sw.Restart();
                    var result = await monitoring.RunAsync(new MonitoringRequest { RaiseAlerts = false, Since = T0 });
                    var wall = sw.Elapsed;
                    var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                    await stop.CancelAsync();
                    await sampler;
                    var drifted = result.Windows.Count(w => w.Drift?.DatasetDrift == true);
                    if (run == 1 && ages) output.WriteLine(string.Create(inv, $"  lead ages matched: {result.DecisionAgesDays?.Count ?? 0} reference age(s); {result.Windows.Sum(w => w.Compared):N0} of {result.Windows.Sum(w => w.Predictions):N0} predictions compared"));
                    if (run == 1 && result.ReferenceSample is { } refs && result.LatestSample is { } cur)
                    {
                        // Where a window's fixed cost goes: the per-feature tests and the domain classifier.
                        var profile = LeadScore.Engine.Monitoring.ReferenceProfile.Build(refs);
                        foreach (var multivariate in new[] { false, true })
                        {
                            var c0 = Process.GetCurrentProcess().TotalProcessorTime;
                            var t0 = Stopwatch.StartNew();
                            LeadScore.Engine.Monitoring.DriftEngine.Compare(profile, cur, LeadScore.Engine.Monitoring.DriftOptions.Default with { Multivariate = multivariate });
                            output.WriteLine(string.Create(inv, $"  one window's drift comparison, multivariate {(multivariate ? "on" : "off")}: {t0.Elapsed.TotalSeconds:F2} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds:F2} s CPU"));
                        }
                    }
                    if (run == 1)
                        foreach (var w in result.Windows)
                            output.WriteLine(string.Create(inv, $"  {w.Start:yyyy-MM-dd}: {w.Predictions:N0} predictions, {w.Drift?.DriftedFeatures} drifted ({w.Drift?.DriftedImportanceShare:P0} of the importance), multivariate AUC {w.Drift?.Multivariate?.Auc:F2}, est. AUC {w.Estimated?.Auc:F3}, realized {w.Realized?.Auc:F3}"));
                    output.WriteLine(string.Create(inv,
                        $"run {run}: {n:N0} predictions, {result.Windows.Count} windows ({drifted} with dataset drift) in {wall.TotalSeconds:F2} s wall, {cpuUsed.TotalSeconds:F1} s CPU; managed heap peak {peak / 1048576.0:F0} MB with garbage, {live / 1048576.0:F0} MB after a collection (before the run: {baseline / 1048576.0:F0} MB)"));
                }
                {
                    // Live memory: a third run sampled with a full, blocking collection every 250 ms (slower; its time is not a figure).
                    long livePeak = 0;
                    using var stop = new CancellationTokenSource();
                    var sampler = Task.Run(async () =>
                    {
                        while (!stop.IsCancellationRequested) { livePeak = Math.Max(livePeak, GC.GetTotalMemory(true)); await Task.Delay(250); }
                    });
                    await monitoring.RunAsync(new MonitoringRequest { RaiseAlerts = false, Since = T0 });
                    await stop.CancelAsync();
                    await sampler;
                    output.WriteLine(string.Create(inv, $"live managed memory during a run (full collections every 250 ms): peak {livePeak / 1048576.0:F0} MB"));
                }
            }
            if (connectionString is null && ws != keep) Directory.Delete(ws, recursive: true);
        }
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "n/a"; }
    }

    private static FeatureValue Draw(Random r, FeatureInfo f, int j, bool drifted) => f.Kind == FeatureKind.Categorical
        ? FeatureValue.Of("c" + r.Next(5).ToString(CultureInfo.InvariantCulture))
        : FeatureValue.Of(Gaussian(r) + (drifted && j < 20 ? 1.0 : 0.0));

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static TrainingResult Train(FeatureInfo[] infos)
    {
        var r = new Random(5);
        var frame = new FeatureFrame(infos) { Horizon = TimeSpan.FromDays(30), AsOf = T0 };
        var row = new FeatureValue[infos.Length];
        for (var i = 0; i < 4000; i++)
        {
            double logit = -1.5;
            for (var j = 0; j < infos.Length; j++)
            {
                row[j] = Draw(r, infos[j], j, false);
                if (infos[j].Kind == FeatureKind.Numeric && j < 20) logit += 0.3 * row[j].Number;
            }
            frame.Add($"T{i}", row.ToArray(), r.NextDouble() < 1 / (1 + Math.Exp(-logit)), TrainingTime($"T{i}"));
        }
        return new ModelingContext().Train(frame, new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 300 });
    }

    /// <summary>Training row Ti's decision time.</summary>
    private static DateTimeOffset TrainingTime(string id) => T0.AddDays(-400 + int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture) / 10.0);

    private static async Task SeedAsync(ILeadStore store, FeatureInfo[] infos, int n, bool withOutcomes, string version, bool ages)
    {
        var model = ServableModel.Load(version, (await store.GetModelArtifactAsync(version))!);
        var codec = new FeatureRowCodec(model.Engine.Encoder);
        var order = codec.Features.Select(f => Array.FindIndex(infos, i => i.Name == f.Name)).ToArray();
        var r = new Random(9);
        var row = new FeatureValue[codec.Features.Count];
        var span = TimeSpan.FromDays(7 * Weeks);
        var chunk = new List<LoggedPrediction>(20_000);
        var outcomes = new List<Outcome>();
        var leads = new List<Lead>(20_000);
        var perLead = ages ? ScoredAges.Length : 1;
        for (var i = 0; i < n; i++)
        {
            // With ages: lead i / 5 is created at its slot's time and scored at each age (rows are not in time order; the store sorts).
            var lead = i / perLead;
            var created = T0 + span * ((double)lead * perLead / n);
            var at = ages ? created.AddDays(ScoredAges[i % perLead] - DecisionAge) : created;
            var drifted = at >= T0.AddDays(7 * DriftWeek);
            for (var j = 0; j < row.Length; j++) row[j] = Draw(r, infos[order[j]], order[j], drifted);
            var p = model.Engine.Probability(row);
            var id = "L" + (ages ? lead : i).ToString(CultureInfo.InvariantCulture);
            if (ages && i % perLead == 0)
            {
                leads.Add(new Lead { Id = id, CreatedAt = created.AddDays(-DecisionAge), Attributes = new Dictionary<string, string?>() });
                if (leads.Count == leads.Capacity) { await store.UpsertLeadsAsync(leads); leads.Clear(); }
            }
            chunk.Add(new LoggedPrediction
            {
                PredictedAt = at, LeadId = id, ModelVersion = version, Slot = PredictionSlots.Champion, Probability = p,
                Grade = model.Engine.Grades.GradeOf(p), HorizonDays = 30, Source = PredictionSources.Api, Features = codec.Encode(row),
            });
            if ((!ages || i % perLead == 2) && r.NextDouble() < p && withOutcomes) outcomes.Add(new Outcome { LeadId = id, Kind = OutcomeKind.Converted, At = at.AddDays(1 + r.Next(28)) });
            if (chunk.Count == chunk.Capacity) { await store.AppendPredictionsAsync(chunk); chunk.Clear(); }
            if (outcomes.Count >= 20_000) { await store.InsertOutcomesAsync(outcomes); outcomes.Clear(); }
        }
        if (chunk.Count > 0) await store.AppendPredictionsAsync(chunk);
        if (leads.Count > 0) await store.UpsertLeadsAsync(leads);
        if (outcomes.Count > 0) await store.InsertOutcomesAsync(outcomes);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
