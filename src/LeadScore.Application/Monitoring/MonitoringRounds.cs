using LeadScore.Storage;

namespace LeadScore.Application.Monitoring;

/// <summary>
/// One round of scheduled monitoring, the use case the leader's <c>MonitoringMaintenance</c> and <c>simulate</c> both call:
/// when <see cref="MonitoringOptions.MonitoringInterval"/> has passed on the clock since the last round, it runs
/// <see cref="MonitoringService"/> for each slot that has a model (champion, challenger, shadow) in windows of
/// <see cref="MonitoringOptions.WindowDays"/> days. A model seen once is looked at incrementally afterwards (only the windows
/// that can still change); a new model in a slot gets a full first run. Alerts are stored once per kind, model, slot and window.
/// </summary>
public sealed class MonitoringRounds(MonitoringService monitoring, MonitoringStatus status, MonitoringOptions options, TimeProvider time)
{
    public static readonly IReadOnlyList<string> Slots = [PredictionSlots.Champion, PredictionSlots.Challenger, PredictionSlots.Shadow];

    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private DateTimeOffset? _next;

    /// <summary>When the next round is due (null: at the first call).</summary>
    public DateTimeOffset? NextRun => _next;

    /// <summary>
    /// Runs a round when it is due; returns the results of the slots that have a model, or null when nothing was due (turned
    /// off, or the interval has not passed since the last round). The caller decides who may run it (the leader only).
    /// </summary>
    public async Task<IReadOnlyList<MonitoringResult>?> RunDueAsync(CancellationToken ct = default)
    {
        if (options.MonitoringInterval <= TimeSpan.Zero) return null;
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
                if (r.HasReference) _seen.Add(slot);
            }
            return results;
        }
        finally
        {
            _running.Release();
        }
    }
}
