using LeadScore.Application.Monitoring;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeadScore.Hosting;

/// <summary>
/// Monitoring on a schedule, on the leader only: every <see cref="MonitoringOptions.MonitoringInterval"/> (zero turns it
/// off) it runs a <see cref="MonitoringRounds"/> round (each slot that has a model, windows of <see cref="MonitoringOptions.WindowDays"/>
/// days). Completed windows raise their alerts (stored once per kind, model, slot and window, so a later run or another
/// instance never raises them twice), the alerts go out as <c>model.drift_detected</c> / <c>model.performance_dropped</c>
/// webhooks, and the figures feed the Prometheus gauges. The clock is the <see cref="TimeProvider"/>: <see cref="RunOnceAsync"/>
/// does the work when it is due, the timer only asks.
/// </summary>
public sealed class MonitoringMaintenance(MonitoringRounds rounds, LeaderElection leader, MonitoringOptions options,
    TimeProvider time, ILogger<MonitoringMaintenance> log) : BackgroundService
{
    public static IReadOnlyList<string> Slots => MonitoringRounds.Slots;

    /// <summary>When the next run is due (null: at the first check).</summary>
    public DateTimeOffset? NextRun => rounds.NextRun;

    /// <summary>
    /// Runs monitoring when it is due and this instance leads; returns the results of the slots that have a model, or null
    /// when nothing was due (not the leader, turned off, or the interval has not passed since the last run).
    /// </summary>
    public async Task<IReadOnlyList<MonitoringResult>?> RunOnceAsync(CancellationToken ct = default)
    {
        if (!leader.IsLeader) return null;
        var results = await rounds.RunDueAsync(ct);
        foreach (var r in results ?? [])
            foreach (var a in r.NewAlerts) HostingLog.MonitoringAlert(log, a.Kind, a.ModelVersion, a.Slot, a.WindowStart, a.Message);
        return results;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.MonitoringInterval <= TimeSpan.Zero) return;
        // Checked every minute at most, so a new leader takes the schedule over soon after the old one stopped.
        var tick = options.MonitoringInterval < TimeSpan.FromMinutes(1) ? options.MonitoringInterval : TimeSpan.FromMinutes(1);
        using var timer = new PeriodicTimer(tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await RunOnceAsync(stoppingToken); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    HostingLog.MonitoringFailed(log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
