using System.Diagnostics;
using System.Globalization;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;
using LeadScore.Application.Features;
using LeadScore.Application.Modeling;

namespace LeadScore.Benchmarks.Features;

/// <summary>
/// The issue-4 figure from a real store: loads N generated leads (about 55 activities each) into SQLite or
/// PostgreSQL, then times building the point-in-time training set from the store's streams.
/// <c>dotnet run -c Release --project benchmarks/LeadScore.Benchmarks -- store-trainingset 100000 [connection string]</c>
/// </summary>
public static class StoreTrainingSetReport
{
    public static async Task RunAsync(TextWriter output, int leads, string? connectionString)
    {
        var inv = CultureInfo.InvariantCulture;
        var ws = Path.Combine(Path.GetTempPath(), $"leadscore-bench-{Guid.NewGuid():N}");
        await using var store = await LeadStore.OpenAsync(ws, connectionString);
        output.WriteLine($"store: {store.Describe()}");
        var sw = Stopwatch.StartNew();
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = leads, Seed = 7 });
        output.WriteLine(string.Create(inv, $"generated {data.Leads.Count:N0} leads, {data.Activities.Count:N0} activities in {sw.Elapsed.TotalSeconds:F1} s"));
        sw.Restart();
        foreach (var chunk in data.Leads.Chunk(5000)) await store.UpsertLeadsAsync(chunk);
        foreach (var chunk in data.Activities.Chunk(50_000)) await store.InsertActivitiesAsync(chunk);
        foreach (var chunk in data.Enrichment.Chunk(5000)) await store.UpsertEnrichmentAsync(chunk);
        foreach (var chunk in data.Outcomes.Chunk(5000)) await store.InsertOutcomesAsync(chunk);
        output.WriteLine(string.Create(inv, $"loaded into the store in {sw.Elapsed.TotalSeconds:F1} s"));
        data = null;
        GC.Collect();

        var training = Support.BenchServices.Get<TrainingService>(store, ws);
        var (defs, _) = await Support.BenchServices.Get<FeatureDefinitionsRepository>(store, ws).GetAsync();
        for (var run = 1; run <= 3; run++)
        {
            sw.Restart();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var set = await training.BuildTrainingSetAsync(defs, TimeSpan.FromDays(14));
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            output.WriteLine(string.Create(inv,
                $"run {run}: training set {set.Frame.Count:N0} rows x {set.Frame.Features.Count} features from {set.ActivitiesRead:N0} activities in {sw.Elapsed.TotalSeconds:F1} s wall, {cpuUsed.TotalSeconds:F1} s CPU"));
        }
        if (connectionString is null) Directory.Delete(ws, recursive: true);
    }
}
