using System.Data.Common;
using Dapper;

namespace LeadScore.Storage;

/// <summary>Webhooks and their persisted delivery queue (<see cref="IWebhookStore"/>), on both backends.</summary>
public abstract partial class SqlLeadStore
{
    // ---- webhooks ----------------------------------------------------------------------------

    public async Task SaveWebhookAsync(Webhook w, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO webhooks (id, url, rule, threshold, secret, created_at, deleted_at) VALUES (@Id, @Url, @rule, @threshold, @Secret, @created, NULL)",
            new { w.Id, w.Url, rule = w.Rule.ToString(), threshold = (long?)w.Threshold, w.Secret, created = Ms(w.CreatedAt) }, cancellationToken: ct));
    }

    private sealed record WebhookRow(string Id, string Url, string Rule, long? Threshold, string Secret, long CreatedAt);

    private const string WebhookColumns = "id AS Id, url AS Url, rule AS Rule, threshold AS Threshold, secret AS Secret, created_at AS CreatedAt";

    private static Webhook ToWebhook(WebhookRow r) => new()
    {
        Id = r.Id, Url = r.Url, Rule = Enum.Parse<WebhookRule>(r.Rule), Threshold = (int?)r.Threshold, Secret = r.Secret, CreatedAt = Time(r.CreatedAt),
    };

    public async Task<Webhook?> GetWebhookAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookColumns} FROM webhooks WHERE id = @id AND deleted_at IS NULL", new { id }, cancellationToken: ct));
        return r is null ? null : ToWebhook(r);
    }

    public async Task<IReadOnlyList<Webhook>> ListWebhooksAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookColumns} FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id", cancellationToken: ct));
        return rows.Select(ToWebhook).ToList();
    }

    public async Task<bool> DeleteWebhookAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        // The secret is blanked: the row stays for the delivery log, but a deleted webhook must not keep a usable signing key.
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE webhooks SET deleted_at = @now, secret = '' WHERE id = @id AND deleted_at IS NULL", new { id, now = NowMs }, cancellationToken: ct)) > 0;
    }

    // ---- deliveries --------------------------------------------------------------------------

    public Task EnqueueDeliveriesAsync(IReadOnlyList<NewDelivery> deliveries, CancellationToken ct = default)
    {
        if (deliveries.Count == 0) return Task.CompletedTask;
        return InTransactionAsync(async (c, tx) =>
        {
            await InsertDeliveriesAsync(c, tx, deliveries, NowMs, ct);
            return true;
        }, ct);
    }

    /// <summary>Queues deliveries (Pending, due now) inside the caller's transaction.</summary>
    private static async Task InsertDeliveriesAsync(DbConnection c, DbTransaction tx, IReadOnlyList<NewDelivery> deliveries, long now, CancellationToken ct)
    {
        if (deliveries.Count == 0) return;
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhook_deliveries (webhook_id, event_type, lead_id, payload, status, attempts, next_attempt_at, created_at)
            VALUES (@WebhookId, @EventType, @LeadId, @Payload, 'Pending', 0, @now, @now)
            """, deliveries.Select(d => new { d.WebhookId, d.EventType, d.LeadId, d.Payload, now }).ToList(), tx, cancellationToken: ct));
    }

    private sealed record DeliveryRow(long Id, string WebhookId, string EventType, string LeadId, string Payload, string Status, long Attempts,
        long NextAttemptAt, long CreatedAt, long? LastAttemptAt, long? LastStatusCode, string? LastError, long? DeliveredAt);

    private const string DeliveryColumns = """
        id AS Id, webhook_id AS WebhookId, event_type AS EventType, lead_id AS LeadId, payload AS Payload, status AS Status, attempts AS Attempts,
        next_attempt_at AS NextAttemptAt, created_at AS CreatedAt, last_attempt_at AS LastAttemptAt, last_status_code AS LastStatusCode,
        last_error AS LastError, delivered_at AS DeliveredAt
        """;

    private static WebhookDelivery ToDelivery(DeliveryRow r) => new()
    {
        Id = r.Id, WebhookId = r.WebhookId, EventType = r.EventType, LeadId = r.LeadId, Payload = r.Payload,
        Status = Enum.Parse<DeliveryStatus>(r.Status), Attempts = (int)r.Attempts, NextAttemptAt = Time(r.NextAttemptAt),
        CreatedAt = Time(r.CreatedAt), LastAttemptAt = r.LastAttemptAt is { } a ? Time(a) : null, LastStatusCode = (int?)r.LastStatusCode,
        LastError = r.LastError, DeliveredAt = r.DeliveredAt is { } d ? Time(d) : null,
    };

    public async Task<IReadOnlyList<WebhookDelivery>> ClaimDueDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct = default)
    {
        // One statement takes the lease, so two instances never claim the same delivery;
        // PostgreSQL additionally skips rows another transaction is claiming right now.
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<DeliveryRow>(new CommandDefinition($"""
            UPDATE webhook_deliveries SET next_attempt_at = @lease
            WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'Pending' AND next_attempt_at <= @now ORDER BY next_attempt_at, id LIMIT @limit{SkipLocked})
            RETURNING {DeliveryColumns}
            """, new { lease = Ms(leaseUntil), now = Ms(now), limit = (long)limit }, cancellationToken: ct));
        return rows.Select(ToDelivery).OrderBy(d => d.Id).ToList();
    }

    public async Task RecordAttemptAsync(long deliveryId, DeliveryAttempt a, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_deliveries SET attempts = attempts + 1, status = @status, next_attempt_at = @next, last_attempt_at = @at,
                last_status_code = @code, last_error = @error, delivered_at = @delivered
            WHERE id = @deliveryId
            """, new
        {
            deliveryId, status = a.Status.ToString(), next = Ms(a.NextAttemptAt), at = Ms(a.At), code = (long?)a.StatusCode, error = a.Error,
            delivered = a.Status == DeliveryStatus.Delivered ? Ms(a.At) : (long?)null,
        }, cancellationToken: ct));
    }

    public async Task ReleaseDeliveryAsync(long deliveryId, DateTimeOffset dueAt, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_deliveries SET next_attempt_at = @due WHERE id = @deliveryId AND status = 'Pending'",
            new { deliveryId, due = Ms(dueAt) }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string webhookId, int limit, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<DeliveryRow>(new CommandDefinition(
            $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE webhook_id = @webhookId ORDER BY id DESC LIMIT @limit",
            new { webhookId, limit = (long)limit }, cancellationToken: ct));
        return rows.Select(ToDelivery).ToList();
    }

    public async Task<int> CancelPendingDeliveriesOfLeadAsync(string leadId, string reason, DateTimeOffset at, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leadId);
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_deliveries SET status = 'Cancelled', last_error = @reason, next_attempt_at = @at WHERE lead_id = @leadId AND status = 'Pending'",
            new { leadId, reason, at = Ms(at) }, cancellationToken: ct));
    }

    public async Task<int> RequeueParkedAsync(string webhookId, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_deliveries SET status = 'Pending', attempts = 0, next_attempt_at = @now WHERE webhook_id = @webhookId AND status = 'Parked'",
            new { webhookId, now = Ms(now) }, cancellationToken: ct));
    }

    public async Task<IReadOnlyDictionary<DeliveryStatus, long>> CountDeliveriesAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string Status, long N)>(new CommandDefinition(
            "SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status", cancellationToken: ct));
        var counts = Enum.GetValues<DeliveryStatus>().ToDictionary(s => s, _ => 0L);
        foreach (var (status, n) in rows) counts[Enum.Parse<DeliveryStatus>(status)] = n;
        return counts;
    }
}
