using System.Diagnostics;
using System.Globalization;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Storage;
using Activity = LeadScore.Core.Activity;

namespace LeadScore.Benchmarks.Monitoring;

/// <summary>
/// The prediction log's CPU cost per prediction, in process and side by side: the scoring step of POST /api/v1/score (the
/// quickstart's example lead on a workspace's champion: feature row and score, with and without reasons) with the log
/// off, on with the online feature budget (<see cref="MonitoringOptions.FeatureRowsPerSecond"/>, 100 by default) and on
/// with every row's features (the budget off, as before it existed). The predictions are stamped 7,000 a second (the rate
/// the API reaches on a quiet machine) and a writer drains the channel every 200 ms into the workspace's store, as the
/// server's PredictionLogWriter does; the process's CPU time (request thread, writer, GC) per prediction is the figure.
/// Modes alternate for <c>rounds</c> rounds and the best round of each counts (a shared machine preempts the others).
/// The scoring step excludes HTTP and JSON, so the log's share of a real request is smaller than the share printed here.
/// Run: <c>dotnet LeadScore.Benchmarks.dll prediction-log-cost WORKSPACE [rounds] [predictions]</c>.
/// </summary>
public static class PredictionLogCostReport
{
    public static async Task RunAsync(TextWriter output, string workspace, int rounds, int predictions)
    {
        var inv = CultureInfo.InvariantCulture;
        await using var store = await LeadStore.OpenAsync(workspace);
        var model = await LeadScore.Application.Scoring.BatchScoring.LoadModelAsync(store, null);
        var lead = LeadScore.Benchmarks.Api.QuickstartExampleLead.Lead;
        var activities = LeadScore.Benchmarks.Api.QuickstartExampleLead.Activities;
        var domain = model.Features.EnrichmentDomain(lead);
        var enrichment = domain is null ? [] : await store.GetEnrichmentAsync(domain);
        var t0 = new DateTimeOffset(2026, 12, 1, 22, 0, 0, TimeSpan.Zero);
        output.WriteLine(string.Create(inv, $"prediction-log-cost: champion {model.Version}, {model.Engine.Features.Count} features, {predictions:N0} predictions a round stamped 7,000/s, " +
            $"{rounds} rounds, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Trim()}"));

        (string Name, MonitoringOptions? Options)[] modes =
        [
            ("log off", null),
            ("log on, budget 100/s (default)", new MonitoringOptions()),
            ("log on, every row's features", new MonitoringOptions { FeatureRowsPerSecond = 0 }),
        ];
        foreach (var explain in new[] { false, true })
        {
            var best = new double[modes.Length];
            Array.Fill(best, double.MaxValue);
            var offset = 0L;
            for (var round = 0; round <= rounds; round++) // round 0 warms up (JIT tiers, connection pool)
                for (var m = 0; m < modes.Length; m++)
                {
                    var logger = modes[m].Options is { } o ? new PredictionLogger(store, o) : null;
                    using var stop = new CancellationTokenSource();
                    var writer = logger is null ? Task.CompletedTask : Task.Run(async () =>
                    {
                        try
                        {
                            while (!stop.IsCancellationRequested)
                            {
                                await Task.Delay(200, stop.Token);
                                while (await logger.WriteBatchAsync() >= 5_000) { }
                            }
                        }
                        catch (OperationCanceledException) { }
                    });
                    GC.Collect();
                    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                    for (var i = 0; i < predictions; i++)
                    {
                        // A distinct stamp every 1/7000 s, rounds after rounds (the budget sees the traffic it would).
                        var at = t0.AddTicks((offset + i) * TimeSpan.TicksPerSecond / 7000);
                        var row = model.Row(lead, activities, enrichment, at);
                        var result = model.Engine.Score(lead.Id, row, explain);
                        logger?.Log(at, lead.Id, model, PredictionSlots.Champion, result.Probability, result.Grade, PredictionSources.Api, row);
                    }
                    await stop.CancelAsync();
                    await writer;
                    if (logger is not null) await logger.FlushAsync();
                    var us = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / predictions;
                    offset += predictions;
                    if (round > 0) best[m] = Math.Min(best[m], us);
                }
            output.WriteLine(explain ? "  with reasons:" : "  explain=false:");
            for (var m = 0; m < modes.Length; m++)
                output.WriteLine(string.Create(inv, $"    {modes[m].Name,-34} {best[m],7:F1} us CPU per prediction   {(m == 0 ? "" : $"{(best[m] / best[0] - 1) * 100:+0.0;-0.0}% of the scoring step")}"));
        }
        var (withFeatures, total) = (0L, 0L);
        await using (var cursor = await store.OpenPredictionCursorAsync(t0, t0.AddDays(1), model.Version, PredictionSlots.Champion))
            while (await cursor.ReadAsync()) { total++; if (cursor.FeatureBytes > 0) withFeatures++; }
        output.WriteLine(string.Create(inv, $"  logged: {total:N0} predictions, {withFeatures:N0} with features (the budget's rounds keep about 100 a second of stamps)"));
    }
}
