using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using LeadScore.Core;
using LeadScore.Application.Security;
using LeadScore.Server.Api;
using LeadScore.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LeadScore.Server.Auth;

/// <summary>
/// Authenticates requests by API key (<c>X-Api-Key: KEY</c> or <c>Authorization: Bearer KEY</c>).
/// Keys are looked up by their SHA-256 through <see cref="ApiKeyCache"/>, so the hot path does no
/// database access; unauthenticated requests get 401 and wrong scopes 403, both as ProblemDetails.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyCache cache, FailedAuthLimiter limiter)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string ScopeClaim = "scope";
    public const string KeyIdClaim = "key_id";
    private const string LimitedItem = "leadscore.failed_auth_limited";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request);
        if (key is null) return AuthenticateResult.NoResult();
        if (cache.FindFresh(key) is { } known) return AuthenticateResult.Success(known);
        // Wrong keys cost a lookup each: a client that keeps sending them is cut off before the lookup, per address.
        var client = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        // Keys this server has seen valid are still looked up (a revocation must be seen), so a flood of wrong keys from a
        // shared address does not lock out the clients behind it that already use valid keys.
        if (limiter.IsLimited(client) && !cache.WasValid(key))
        {
            Context.Items[LimitedItem] = true;
            return AuthenticateResult.Fail("too many failed authentications from this address");
        }
        var ticket = await cache.FindAsync(key, Context.RequestAborted);
        if (ticket is not null) return AuthenticateResult.Success(ticket);
        limiter.Failed(client);
        return AuthenticateResult.Fail("unknown or revoked API key");
    }

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var v) && v.Count == 1 && !string.IsNullOrEmpty(v[0])) return v[0];
        var auth = request.Headers.Authorization;
        if (auth.Count == 1 && auth[0] is { } a && a.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return a[7..].Trim();
        return null;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(LimitedItem))
        {
            Response.Headers.RetryAfter = FailedAuthLimiter.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return WriteProblem(StatusCodes.Status429TooManyRequests, "Too many failed authentications",
                $"Too many requests with a wrong API key came from this address; retry after {FailedAuthLimiter.RetryAfterSeconds} s with a valid key.");
        }
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\"";
        return WriteProblem(StatusCodes.Status401Unauthorized, "API key required",
            $"Send a valid, unrevoked key in the {HeaderName} header (create one with './leadscore apikey create').");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var needed = Context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>()?.Scope ?? "another";
        return WriteProblem(StatusCodes.Status403Forbidden, "Missing scope", $"This API key does not have the '{needed}' scope.");
    }

    private Task WriteProblem(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: new Dictionary<string, object?> { ["field"] = HeaderName }).ExecuteAsync(Context);
}

/// <summary>Marks an endpoint group with the scope it needs (read back for the 403 message).</summary>
internal sealed record RequiredScope(string Scope);

/// <summary>
/// Key hash to authentication ticket, cached for <see cref="ServerOptions.ApiKeyCacheTtl"/>: a revoked key stops working
/// within that time. Unknown and revoked keys are remembered as such for the same time, in a bounded set, so repeating
/// a wrong key does not cost a lookup each time and random keys cannot grow memory. While the store cannot be reached,
/// a key seen before stays valid for <see cref="ServerOptions.ApiKeyOutageGrace"/> past its TTL, so what needs no
/// database (POST /score) keeps working; a key the store said is revoked is never extended, since it is not kept.
/// </summary>
internal sealed class ApiKeyCache(ILeadStore store, TimeProvider time, IOptions<ServerOptions> options, ILogger<ApiKeyCache> log)
{
    /// <summary>Most wrong keys remembered at once; beyond it the set starts over (a flood cannot grow memory).</summary>
    internal const int MaxUnknown = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _unknown = new(StringComparer.Ordinal);
    private readonly long _ttl = (long)(options.Value.ApiKeyCacheTtl.TotalSeconds * time.TimestampFrequency);
    private readonly long _grace = (long)(options.Value.ApiKeyOutageGrace.TotalSeconds * time.TimestampFrequency);

    private sealed record Entry(AuthenticationTicket Ticket, string KeyId, long ExpiresAt);

    /// <summary>The ticket of a key looked up within its TTL, without asking the store; null otherwise.</summary>
    public AuthenticationTicket? FindFresh(string key)
    {
        if (key.Length > 200) return null;
        return _entries.TryGetValue(ApiKeys.Hash(key), out var e) && e.ExpiresAt > time.GetTimestamp() ? e.Ticket : null;
    }

    /// <summary>Whether the store said this key was valid at its last lookup (however long ago).</summary>
    public bool WasValid(string key) => key.Length <= 200 && _entries.ContainsKey(ApiKeys.Hash(key));

    public async ValueTask<AuthenticationTicket?> FindAsync(string key, CancellationToken ct)
    {
        if (key.Length > 200) return null;
        var hash = ApiKeys.Hash(key);
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(hash, out var e) && e.ExpiresAt > now) return e.Ticket;
        if (_unknown.TryGetValue(hash, out var until) && until > now) return null;
        ApiKey? record;
        try
        {
            record = await store.FindApiKeyByHashAsync(hash, ct);
        }
        catch (Exception ex) when (StoreOutage.Is(ex) && e is not null && now < e.ExpiresAt + _grace)
        {
            ServerLog.ApiKeyServedDuringOutage(log, e.KeyId);
            return e.Ticket;
        }
        if (record is null || record.RevokedAt is not null)
        {
            _entries.TryRemove(hash, out _);
            if (_ttl > 0)
            {
                if (_unknown.Count >= MaxUnknown) _unknown.Clear();
                _unknown[hash] = now + _ttl;
            }
            return null;
        }
        _unknown.TryRemove(hash, out _);
        var ticket = TicketFor(record);
        _entries[hash] = new Entry(ticket, record.Id, now + _ttl);
        return ticket;
    }

    /// <summary>Forgets every cached key (after a revocation through the API, or in tests).</summary>
    public void Clear()
    {
        _entries.Clear();
        _unknown.Clear();
    }

    private static AuthenticationTicket TicketFor(ApiKey k)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, k.Name), new(ApiKeyAuthenticationHandler.KeyIdClaim, k.Id) };
        claims.AddRange(k.Scopes.Select(s => new Claim(ApiKeyAuthenticationHandler.ScopeClaim, s)));
        return new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyAuthenticationHandler.SchemeName)), ApiKeyAuthenticationHandler.SchemeName);
    }
}

/// <summary>
/// A token bucket per client IP address, spent by failed authentications only ( <see cref="ServerOptions.FailedAuthLimit"/>):
/// valid keys are never slowed down by it, wrong ones are answered 429 without a database lookup once it is empty.
/// Idle buckets are dropped by the partitioned limiter, so many addresses cannot grow memory for long.
/// </summary>
internal sealed class FailedAuthLimiter(IOptions<ServerOptions> options) : IDisposable
{
    /// <summary>The bucket refills once a second.</summary>
    public const int RetryAfterSeconds = 1;

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(client =>
        RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Value.FailedAuthLimit.Burst,
            TokensPerPeriod = options.Value.FailedAuthLimit.PermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(RetryAfterSeconds),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public bool IsLimited(string client) => _limiter.GetStatistics(client) is { CurrentAvailablePermits: <= 0 };

    public void Failed(string client)
    {
        using var lease = _limiter.AttemptAcquire(client);
    }

    public void Dispose() => _limiter.Dispose();
}

internal static class ScopePolicies
{
    public static string For(string scope) => "scope:" + scope;
    public static readonly IReadOnlyList<string> All = ApiScopes.All;
}
