using LeadScore.Application.Monitoring;
using LeadScore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeadScore.Hosting;

/// <summary>
/// Monitoring on a schedule, on the leader only: every <see cref="MonitoringOptions.MonitoringInterval"/> (zero turns it
/// off) it runs <see cref="MonitoringService"/> for each slot that has a model (champion, challenger, shadow) in windows of
/// <see cref="MonitoringOptions.WindowDays"/> days. Completed windows raise their alerts (stored once per kind, model, slot and
/// window, so a later run or another instance never raises them twice), the alerts go out as <c>model.drift_detected</c> /
/// <c>model.performance_dropped</c> webhooks, and the figures feed the Prometheus gauges. The first run looks at every
/// window; later ones only at the windows that can still change (those within the model's horizon plus two windows).
/// The clock is the <see cref="TimeProvider"/>: <see cref="RunOnceAsync"/> does the work when it is due, the timer only asks.
/// </summary>
public sealed class MonitoringMaintenance(MonitoringService monitoring, MonitoringStatus status, LeaderElection leader, MonitoringOptions options,
    TimeProvider time, ILogger<MonitoringMaintenance> log) : BackgroundService
{
    public static readonly IReadOnlyList<string> Slots = [PredictionSlots.Champion, PredictionSlots.Challenger, PredictionSlots.Shadow];

    private readonly SemaphoreSlim _running = new(1, 1);
    private DateTimeOffset? _next;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>When the next run is due (null: at the first check).</summary>
    public DateTimeOffset? NextRun => _next;

    /// <summary>
    /// Runs monitoring when it is due and this instance leads; returns the results of the slots that have a model, or null
    /// when nothing was due (not the leader, turned off, or the interval has not passed since the last run).
    /// </summary>
    public async Task<IReadOnlyList<MonitoringResult>?> RunOnceAsync(CancellationToken ct = default)
    {
        if (options.MonitoringInterval <= TimeSpan.Zero || !leader.IsLeader) return null;
        await _running.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            if (_next is { } due && now < due) return null;
            _next = now + options.MonitoringInterval;
            var results = new List<MonitoringResult>();
            foreach (var slot in Slots)
            {
                var r = await monitoring.RunAsync(new MonitoringRequest { Slot = slot, WindowDays = options.WindowDays, RecentOnly = _seen.Contains(slot) }, ct);
                if (r.ModelVersion is null) { status.Clear(slot); _seen.Remove(slot); continue; }
                results.Add(r);
                // A model seen here once is looked at incrementally afterwards; a new model in the slot gets a full first run.
                if (r.HasReference) _seen.Add(slot);
                foreach (var a in r.NewAlerts) HostingLog.MonitoringAlert(log, a.Kind, a.ModelVersion, a.Slot, a.WindowStart, a.Message);
            }
            return results;
        }
        finally
        {
            _running.Release();
        }
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
