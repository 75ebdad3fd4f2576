using System.Text.Json;
using LeadScore.Application.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Webhooks;

/// <summary>
/// Turns score changes into queued webhook deliveries. The delivery is in the database before this
/// returns, so nothing is lost if the process stops before the dispatcher sends it.
/// </summary>
/// <remarks>
/// Each event carries the lead's status and company, read once per lead that fires (webhooks fire on a small share of the
/// changes, so two reads per firing lead cost less than streaming every lead's outcomes into each re-score). A company the
/// lead schema marks personal is left out: a webhook's receiver holds no personal_data scope.
/// </remarks>
public sealed class WebhookNotifier(IWebhookStore store, ILeadData leads, IOutcomeData outcomes, Governance.PersonalFields personal, WebhookSignal signal, TimeProvider time)
{
    /// <summary>Queues one delivery per (webhook, change) the webhook's rule fires on; returns how many.</summary>
    public async Task<int> NotifyAsync(IReadOnlyList<ScoreChange> changes, CancellationToken ct = default)
    {
        var deliveries = await DeliveriesAsync(changes, ct);
        await store.EnqueueDeliveriesAsync(deliveries, ct);
        if (deliveries.Count > 0) signal.Pulse();
        return deliveries.Count;
    }

    /// <summary>
    /// The deliveries <see cref="NotifyAsync"/> would queue, for a caller that stores them in its own transaction (a
    /// re-scoring range commits them with its scores and checkpoint) and then calls <see cref="Pulse"/>.
    /// </summary>
    public async Task<IReadOnlyList<NewDelivery>> DeliveriesAsync(IReadOnlyList<ScoreChange> changes, CancellationToken ct = default)
    {
        if (changes.Count == 0) return [];
        var hooks = await store.ListWebhooksAsync(ct);
        if (hooks.Count == 0) return [];
        var now = time.GetUtcNow();
        var deliveries = new List<NewDelivery>();
        var facts = new Dictionary<string, (string Status, string? Company)>(StringComparer.Ordinal);
        IReadOnlySet<string>? personalNames = null;
        foreach (var change in changes)
        {
            foreach (var hook in hooks)
            {
                if (!WebhookRules.Fires(hook, change, out var direction)) continue;
                var type = WebhookRules.EventType(hook.Rule);
                var leadId = change.Current.LeadId;
                if (!facts.TryGetValue(leadId, out var fact))
                {
                    personalNames ??= await personal.NamesAsync(ct);
                    var lead = await leads.GetLeadAsync(leadId, ct);
                    var company = personalNames.Contains(Core.LeadFields.Company) ? null : lead?.Attributes.GetValueOrDefault(Core.LeadFields.Company);
                    facts[leadId] = fact = (LeadStatusRule.Of(await outcomes.GetOutcomesAsync(leadId, ct)), company);
                }
                var evt = new WebhookEvent
                {
                    Id = "evt_" + Guid.CreateVersion7(now).ToString("N"),
                    Type = type,
                    WebhookId = hook.Id,
                    OccurredAt = now,
                    LeadId = leadId,
                    Status = fact.Status,
                    Company = fact.Company,
                    Previous = change.Previous is { } p ? ScoreView.From(p) : null,
                    Current = ScoreView.From(change.Current),
                    Threshold = hook.Rule == WebhookRule.ScoreCrossed ? hook.Threshold : null,
                    Direction = direction,
                };
                deliveries.Add(new NewDelivery(hook.Id, type, change.Current.LeadId, JsonSerializer.Serialize(evt, WebhookJsonContext.Default.WebhookEvent)));
            }
        }
        return deliveries;
    }

    /// <summary>
    /// The model-level deliveries announcing <paramref name="alert"/>: one per webhook subscribed to its kind
    /// (<c>drift_detected</c>, <c>performance_dropped</c>). Monitoring stores them with the alert in one transaction
    /// (<see cref="LeadScore.Storage.IMonitoringAlerts.TryAddAlertAsync"/>) and then calls <see cref="Pulse"/>, so an alert
    /// stored once is sent once, and never stored without its deliveries.
    /// </summary>
    public async Task<IReadOnlyList<NewDelivery>> AlertDeliveriesAsync(MonitoringAlert alert, CancellationToken ct = default)
    {
        if (WebhookRules.ForAlert(alert.Kind) is not { } rule) return [];
        var hooks = (await store.ListWebhooksAsync(ct)).Where(h => h.Rule == rule).ToList();
        if (hooks.Count == 0) return [];
        var now = time.GetUtcNow();
        var type = WebhookRules.EventType(rule);
        using var details = JsonDocument.Parse(string.IsNullOrEmpty(alert.DetailsJson) ? "{}" : alert.DetailsJson);
        return hooks.Select(hook => new NewDelivery(hook.Id, type, "", JsonSerializer.Serialize(new MonitoringWebhookEvent
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
        }, WebhookJsonContext.Default.MonitoringWebhookEvent))).ToList(); // no lead: the lead id is empty (erasure never matches it)
    }

    /// <summary>Wakes the delivery worker after deliveries were queued outside this notifier (alerts).</summary>
    public void Pulse() => signal.Pulse();

    /// <summary>Queues one delivery per webhook with the model rule (<paramref name="rule"/>); returns how many.</summary>
    public async Task<int> NotifyModelAsync(WebhookRule rule, string version, string? previous, string reason, string? figuresJson, CancellationToken ct = default)
    {
        var hooks = (await store.ListWebhooksAsync(ct)).Where(h => h.Rule == rule).ToList();
        if (hooks.Count == 0) return 0;
        var now = time.GetUtcNow();
        var type = WebhookRules.EventType(rule);
        JsonElement? figures = figuresJson is null ? null : JsonDocument.Parse(figuresJson).RootElement.Clone();
        // Deliveries carry a lead id column for lead events; a model event has none.
        var deliveries = hooks.Select(hook => new NewDelivery(hook.Id, type, "", JsonSerializer.Serialize(new ModelWebhookEvent
        {
            Id = "evt_" + Guid.CreateVersion7(now).ToString("N"),
            Type = type,
            WebhookId = hook.Id,
            OccurredAt = now,
            Version = version,
            Previous = previous,
            Reason = reason,
            Figures = figures,
        }, WebhookJsonContext.Default.ModelWebhookEvent))).ToList();
        await store.EnqueueDeliveriesAsync(deliveries, ct);
        signal.Pulse();
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
