namespace LeadScore.Storage;

/// <summary>
/// Webhook subscriptions and their delivery queue. The queue lives in the database so a restart
/// or a crash loses nothing: a delivery is pending until a receiver accepted it, or parked after
/// too many failures (kept for a person to look at and requeue).
/// </summary>
public interface IWebhookStore
{
    Task SaveWebhookAsync(Webhook webhook, CancellationToken ct = default);
    Task<Webhook?> GetWebhookAsync(string id, CancellationToken ct = default);
    /// <summary>Active webhooks, oldest first.</summary>
    Task<IReadOnlyList<Webhook>> ListWebhooksAsync(CancellationToken ct = default);
    /// <summary>Stops new deliveries to the webhook (its log is kept). False when unknown or already deleted.</summary>
    Task<bool> DeleteWebhookAsync(string id, CancellationToken ct = default);

    /// <summary>Queues deliveries, due at once. One transaction.</summary>
    Task EnqueueDeliveriesAsync(IReadOnlyList<NewDelivery> deliveries, CancellationToken ct = default);

    /// <summary>
    /// Takes up to <paramref name="limit"/> pending deliveries due at <paramref name="now"/> and leases them
    /// until <paramref name="leaseUntil"/>, so another instance (or a restart) retries them only if this one
    /// never reports back.
    /// </summary>
    Task<IReadOnlyList<WebhookDelivery>> ClaimDueDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct = default);

    /// <summary>Records the outcome of one attempt.</summary>
    Task RecordAttemptAsync(long deliveryId, DeliveryAttempt attempt, CancellationToken ct = default);

    /// <summary>Gives a leased delivery back (shutdown before it was attempted): due again at <paramref name="dueAt"/>.</summary>
    Task ReleaseDeliveryAsync(long deliveryId, DateTimeOffset dueAt, CancellationToken ct = default);

    /// <summary>A webhook's deliveries, newest first.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string webhookId, int limit, CancellationToken ct = default);

    /// <summary>Puts a webhook's parked deliveries back in the queue, due at <paramref name="now"/>; returns how many.</summary>
    Task<int> RequeueParkedAsync(string webhookId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// Cancels the lead's deliveries still waiting to be sent (pending, leased or not), recording <paramref name="reason"/>;
    /// returns how many. A delivery already being sent at that moment is caught by the sender's own opt-out check.
    /// </summary>
    Task<int> CancelPendingDeliveriesOfLeadAsync(string leadId, string reason, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>Number of deliveries in each status.</summary>
    Task<IReadOnlyDictionary<DeliveryStatus, long>> CountDeliveriesAsync(CancellationToken ct = default);
}

/// <summary>What makes a webhook fire.</summary>
public enum WebhookRule
{
    /// <summary>The lead's grade differs from its previous grade.</summary>
    GradeChanged,
    /// <summary>The score moved across <see cref="Webhook.Threshold"/> (either way; a first score at or above it counts).</summary>
    ScoreCrossed,
    /// <summary>The lead is now grade A and was not before.</summary>
    BecameA,
    /// <summary>A model became champion (promotion by a person, by the champion rule, or by the continuous-learning loop).</summary>
    ModelPromoted,
    /// <summary>The champion was rolled back to its previous version (by a person or automatically).</summary>
    ModelRolledBack,
    /// <summary>Monitoring found dataset drift in a completed window (a model-level event, no lead).</summary>
    DriftDetected,
    /// <summary>Monitoring found a matured cohort doing significantly worse than the model promised (a model-level event).</summary>
    PerformanceDropped,
    /// <summary>Monitoring found a group of a sensitive attribute below the 80%-rule ratio or beyond the equalized-odds gap (a model-level event).</summary>
    FairnessAlert,
}

public sealed record Webhook
{
    public required string Id { get; init; }
    public required string Url { get; init; }
    public required WebhookRule Rule { get; init; }
    /// <summary>0-100, for <see cref="WebhookRule.ScoreCrossed"/> only.</summary>
    public int? Threshold { get; init; }
    /// <summary>HMAC-SHA256 key for the signature header.</summary>
    public required string Secret { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

public enum DeliveryStatus
{
    Pending,
    Delivered,
    /// <summary>Failed too often: kept, no longer retried until requeued.</summary>
    Parked,
    /// <summary>Not sent, and never will be: the lead opted out of profiling (or was erased) after it was queued; the reason is in <see cref="WebhookDelivery.LastError"/>.</summary>
    Cancelled,
}

/// <summary>A delivery to queue; <paramref name="LeadId"/> is empty for a model-level event (drift, performance).</summary>
public sealed record NewDelivery(string WebhookId, string EventType, string LeadId, string Payload);

public sealed record WebhookDelivery
{
    public required long Id { get; init; }
    public required string WebhookId { get; init; }
    public required string EventType { get; init; }
    public required string LeadId { get; init; }
    /// <summary>The JSON body exactly as sent (and signed).</summary>
    public required string Payload { get; init; }
    public required DeliveryStatus Status { get; init; }
    public required int Attempts { get; init; }
    public required DateTimeOffset NextAttemptAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastAttemptAt { get; init; }
    public int? LastStatusCode { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
}

/// <summary>One attempt: the status it leaves the delivery in and, when pending, when to try again.</summary>
public sealed record DeliveryAttempt(DateTimeOffset At, DeliveryStatus Status, DateTimeOffset NextAttemptAt, int? StatusCode, string? Error);
