using System.Diagnostics;
using LeadScore.Core;
using Activity = LeadScore.Core.Activity;
using LeadScore.Engine.Scoring;

namespace LeadScore.Benchmarks.Api;

/// <summary>
/// The pieces of POST /api/v1/score's scoring step, in process, on a workspace's champion and the quickstart's example lead
/// (attributes and three activities): the feature row, the score without reasons, the score with reasons. Each piece is run
/// in batches of 2,000 calls on one thread; the best batch (a shared machine preempts the others) gives time per call, and
/// the thread's allocated bytes per call are exact. Run: <c>dotnet LeadScore.Benchmarks.dll api-path WORKSPACE</c>.
/// </summary>
public static class ApiPathReport
{
    public static void Run(TextWriter output, string workspace)
    {
        var store = LeadScore.Storage.LeadStore.OpenAsync(workspace).GetAwaiter().GetResult();
        var model = LeadScore.Application.Scoring.BatchScoring.LoadModelAsync(store, null).GetAwaiter().GetResult();
        var now = new DateTimeOffset(2026, 12, 1, 22, 0, 0, TimeSpan.Zero);
        var lead = LeadScore.Benchmarks.Api.QuickstartExampleLead.Lead;
        var activities = LeadScore.Benchmarks.Api.QuickstartExampleLead.Activities;
        var domain = model.Features.EnrichmentDomain(lead);
        var enrichment = domain is null ? [] : store.GetEnrichmentAsync(domain).GetAwaiter().GetResult();
        var row = model.Row(lead, activities, enrichment, now);
        output.WriteLine($"api-path: champion {model.Version}, {model.Engine.Encoder.SlotCount} slots, {model.Engine.Features.Count} features, {Environment.ProcessorCount} cores, " +
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Measure(output, "feature row (FeatureComputer + mapping)", () => model.Row(lead, activities, enrichment, now));
        Measure(output, "score without reasons", () => model.Engine.Score(lead.Id, row, explain: false));
        Measure(output, "score with reasons", () => model.Engine.Score(lead.Id, row, explain: true));
        // SHAP alone, by algorithm (the engine's own choice is the first).
        var slots = model.Engine.Encoder.Encode(row);
        var phi = new double[slots.Length];
        foreach (var method in Enum.GetValues<ShapMethod>())
        {
            var m = model.Engine.Model.WithShapMethod(method);
            Measure(output, $"SHAP only, {method}", () => { m.Contributions(slots, phi, out var b); return b; });
        }
    }

    private static void Measure(TextWriter output, string name, Func<object> call)
    {
        const int Batch = 2000;
        object? keep = null;
        for (var i = 0; i < 20_000; i++) keep = call(); // JIT tiers up
        var best = double.MaxValue;
        long bytes = 0;
        for (var b = 0; b < 15; b++)
        {
            var a0 = GC.GetAllocatedBytesForCurrentThread();
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < Batch; i++) keep = call();
            var us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / Batch;
            bytes = (GC.GetAllocatedBytesForCurrentThread() - a0) / Batch;
            best = Math.Min(best, us);
        }
        GC.KeepAlive(keep);
        output.WriteLine($"  {name,-42} {best,8:F2} us/call (best batch of {Batch})   {bytes,7:N0} bytes allocated/call");
    }
}
