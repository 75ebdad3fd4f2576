using System.ComponentModel.DataAnnotations;

namespace LeadScore.Server;

/// <summary>
/// Everything about the server a deployment may tune. Bound from the "LeadScore" configuration
/// section (environment: <c>LeadScore__RateLimit__PermitsPerSecond=500</c>) over the values the
/// caller passes in, and validated at start.
/// </summary>
public sealed class ServerOptions
{
    public const string Section = "LeadScore";

    /// <summary>Where Kestrel listens.</summary>
    [Required] public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Largest accepted request body, in bytes (413 beyond).</summary>
    [Range(1024, 1L << 31)] public long MaxRequestBodyBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Most items in one batch (score or ingest); more is rejected with 413.</summary>
    [Range(1, 1_000_000)] public int MaxBatchItems { get; set; } = 10_000;

    /// <summary>How long a looked-up API key is trusted before the store is asked again (revocation delay).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")] public TimeSpan ApiKeyCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long past <see cref="ApiKeyCacheTtl"/> a key seen before stays valid while the store cannot be reached, so
    /// requests that need no database (POST /score) keep working through an outage. A key the store said is revoked is
    /// never extended.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")] public TimeSpan ApiKeyOutageGrace { get; set; } = TimeSpan.FromMinutes(10);

    public RateLimitOptions RateLimit { get; set; } = new();
    /// <summary>Requests with a wrong API key, per client IP address: beyond it they get 429 without a database lookup.</summary>
    public FailedAuthLimitOptions FailedAuthLimit { get; set; } = new();
    public WebhookOptions Webhooks { get; set; } = new();
}

/// <summary>Token bucket per API key.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second per key.</summary>
    [Range(1, 10_000_000)] public int PermitsPerSecond { get; set; } = 2_000;
    /// <summary>Requests a key may send at once above the sustained rate.</summary>
    [Range(1, 10_000_000)] public int Burst { get; set; } = 4_000;
}

/// <summary>Token bucket per client IP address for failed authentications (unknown or revoked keys).</summary>
public sealed class FailedAuthLimitOptions
{
    /// <summary>Sustained failed authentications per second per client IP.</summary>
    [Range(1, 1_000_000)] public int PermitsPerSecond { get; set; } = 20;
    /// <summary>Failed authentications a client IP may make at once.</summary>
    [Range(1, 1_000_000)] public int Burst { get; set; } = 40;
}

public sealed class WebhookOptions
{
    /// <summary>
    /// Whether webhooks may go to loopback (127.0.0.0/8, ::1) and private networks (10/8, 172.16/12, 192.168/16, 100.64/10,
    /// fc00::/7). Off by default: a webhook URL is a request the server makes, so it must not reach what only the server
    /// can reach. Turn it on when the CRM lives on the private network. Link-local and cloud metadata stay refused.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
    /// <summary>Attempts before a delivery is parked.</summary>
    [Range(1, 100)] public int MaxAttempts { get; set; } = 8;
    /// <summary>Delay before the first retry; doubles on each failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")] public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Longest delay between two attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")] public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>How long a receiver may take to answer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:10:00")] public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How often the queue is checked when nothing new was queued.</summary>
    [Range(typeof(TimeSpan), "00:00:00.01", "00:10:00")] public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Deliveries sent at once.</summary>
    [Range(1, 256)] public int Concurrency { get; set; } = 8;
}
