using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Webhooks;

/// <summary>Registering, removing and re-queuing webhooks: the writes behind the webhook endpoints, in one place.</summary>
/// <remarks>Without a configured <see cref="WebhookUrlPolicy"/> (the CLI registers none) the strict default applies.</remarks>
public sealed class WebhookRegistry(IWebhookStore store, WebhookSignal signal, TimeProvider time, Governance.AuditLog audit, WebhookUrlPolicy? policy = null)
{
    private readonly WebhookUrlPolicy _policy = policy ?? WebhookUrlPolicy.Default;

    /// <summary>Why the URL policy refuses <paramref name="url"/> (resolving its host now), or null when it may be registered.</summary>
    public Task<string?> CheckUrlAsync(string url, CancellationToken ct = default) => _policy.CheckAsync(url, ct);

    /// <summary>Why <paramref name="secret"/> cannot sign deliveries, or null: it goes into an HMAC and, for the admin, into logs and shells.</summary>
    public static string? CheckSecret(string secret) =>
        secret.Length is < 16 or > 200 ? "must be 16-200 characters"
        : secret.Any(char.IsControl) ? "must not contain control characters (NUL, CR, LF, ...)"
        : null;

    /// <summary>Stores a new webhook (a random signing secret when none is given) and returns it with its secret.</summary>
    public async Task<Webhook> CreateAsync(string url, WebhookRule rule, int? threshold, string? secret, CancellationToken ct = default)
    {
        if (await _policy.CheckAsync(url, ct) is { } refused) throw new LeadScoreException(refused, "url");
        if (secret is not null && CheckSecret(secret) is { } bad) throw new LeadScoreException(bad, "secret");
        var now = time.GetUtcNow();
        var hook = new Webhook
        {
            Id = "wh_" + Guid.CreateVersion7(now).ToString("N")[..20],
            Url = url,
            Rule = rule,
            Threshold = threshold,
            Secret = secret ?? WebhookSecrets.New(),
            CreatedAt = now,
        };
        await store.SaveWebhookAsync(hook, ct);
        await audit.RecordAsync(AuditActions.WebhookCreate, AuditTargets.Webhook, hook.Id, new Dictionary<string, object?> { ["rule"] = rule.ToString(), ["threshold"] = threshold }, ct: ct);
        signal.Pulse();
        return hook;
    }

    /// <summary>Removes a webhook (its secret is blanked, its pending deliveries stop); false when unknown.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken ct = default)
    {
        if (!await store.DeleteWebhookAsync(id, ct)) return false;
        await audit.RecordAsync(AuditActions.WebhookDelete, AuditTargets.Webhook, id, ct: ct);
        return true;
    }

    /// <summary>Puts a webhook's parked deliveries back in the queue; returns how many.</summary>
    public async Task<int> RequeueParkedAsync(string id, CancellationToken ct = default)
    {
        if (await store.GetWebhookAsync(id, ct) is null) throw new NotFoundException($"webhook '{id}' not found");
        var n = await store.RequeueParkedAsync(id, time.GetUtcNow(), ct);
        signal.Pulse();
        return n;
    }
}

/// <summary>Signing secrets for webhooks.</summary>
public static class WebhookSecrets
{
    /// <summary>A new random secret (192 bits, hex).</summary>
    public static string New() => "whsec_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
}
