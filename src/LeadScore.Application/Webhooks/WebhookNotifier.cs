using System.Text.Json;
using LeadScore.Application.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Webhooks;

/// <summary>
/// Turns score changes into queued webhook deliveries. The delivery is in the database before this
/// returns, so nothing is lost if the process stops before the dispatcher sends it.
/// </summary>
public sealed class WebhookNotifier(IWebhookStore store, WebhookSignal signal, TimeProvider time)
{
    /// <summary>Queues one delivery per (webhook, change) the webhook's rule fires on; returns how many.</summary>
    public async Task<int> NotifyAsync(IReadOnlyList<ScoreChange> changes, CancellationToken ct = default)
    {
        if (changes.Count == 0) return 0;
        var hooks = await store.ListWebhooksAsync(ct);
        if (hooks.Count == 0) return 0;
        var now = time.GetUtcNow();
        var deliveries = new List<NewDelivery>();
        foreach (var change in changes)
        {
            foreach (var hook in hooks)
            {
                if (!WebhookRules.Fires(hook, change, out var direction)) continue;
                var type = WebhookRules.EventType(hook.Rule);
                var evt = new WebhookEvent
                {
                    Id = "evt_" + Guid.CreateVersion7(now).ToString("N"),
                    Type = type,
                    WebhookId = hook.Id,
                    OccurredAt = now,
                    LeadId = change.Current.LeadId,
                    Previous = change.Previous is { } p ? ScoreView.From(p) : null,
                    Current = ScoreView.From(change.Current),
                    Threshold = hook.Rule == WebhookRule.ScoreCrossed ? hook.Threshold : null,
                    Direction = direction,
                };
                deliveries.Add(new NewDelivery(hook.Id, type, change.Current.LeadId, JsonSerializer.Serialize(evt, WebhookJsonContext.Default.WebhookEvent)));
            }
        }
        await store.EnqueueDeliveriesAsync(deliveries, ct);
        if (deliveries.Count > 0) signal.Pulse();
        return deliveries.Count;
    }

    /// <summary>
    /// Queues one model-level delivery per (webhook, alert) for the webhooks subscribed to the alert's kind
    /// (<c>drift_detected</c>, <c>performance_dropped</c>); returns how many. Monitoring calls it with the alerts it has just
    /// stored, and an alert is stored once, so each is sent once.
    /// </summary>
    public async Task<int> NotifyAlertsAsync(IReadOnlyList<MonitoringAlert> alerts, CancellationToken ct = default)
    {
        if (alerts.Count == 0) return 0;
        var hooks = await store.ListWebhooksAsync(ct);
        if (hooks.Count == 0) return 0;
        var now = time.GetUtcNow();
        var deliveries = new List<NewDelivery>();
        foreach (var alert in alerts)
        {
            if (WebhookRules.ForAlert(alert.Kind) is not { } rule) continue;
            using var details = JsonDocument.Parse(string.IsNullOrEmpty(alert.DetailsJson) ? "{}" : alert.DetailsJson);
            foreach (var hook in hooks.Where(h => h.Rule == rule))
            {
                var type = WebhookRules.EventType(rule);
                var evt = new ModelWebhookEvent
                {
                    Id = "evt_" + Guid.CreateVersion7(now).ToString("N"),
                    Type = type,
                    WebhookId = hook.Id,
                    OccurredAt = now,
                    ModelVersion = alert.ModelVersion,
                    Slot = alert.Slot,
                    Window = new ModelEventWindow(alert.WindowStart, alert.WindowEnd),
                    Message = alert.Message,
                    Details = details.RootElement.Clone(),
                };
                // No lead: the delivery's lead id is empty (the column is not null; erasure never matches it).
                deliveries.Add(new NewDelivery(hook.Id, type, "", JsonSerializer.Serialize(evt, WebhookJsonContext.Default.ModelWebhookEvent)));
            }
        }
        await store.EnqueueDeliveriesAsync(deliveries, ct);
        if (deliveries.Count > 0) signal.Pulse();
        return deliveries.Count;
    }
}

/// <summary>Wakes this instance's dispatcher when deliveries were queued, so they go out at once instead of at the next poll.</summary>
public sealed class WebhookSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Pulse()
    {
        try { _semaphore.Release(); }
        catch (SemaphoreFullException) { /* already signalled */ }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { await _semaphore.WaitAsync(timeout, ct); }
        catch (OperationCanceledException) { /* shutting down */ }
    }
}
