using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Webhooks;

/// <summary>Registering, removing and re-queuing webhooks: the writes behind the webhook endpoints, in one place.</summary>
public sealed class WebhookRegistry(IWebhookStore store, WebhookSignal signal, TimeProvider time)
{
    /// <summary>Stores a new webhook (a random signing secret when none is given) and returns it with its secret.</summary>
    public async Task<Webhook> CreateAsync(string url, WebhookRule rule, int? threshold, string? secret, CancellationToken ct = default)
    {
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
        signal.Pulse();
        return hook;
    }

    /// <summary>Removes a webhook (its secret is blanked, its pending deliveries stop); false when unknown.</summary>
    public Task<bool> DeleteAsync(string id, CancellationToken ct = default) => store.DeleteWebhookAsync(id, ct);

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
