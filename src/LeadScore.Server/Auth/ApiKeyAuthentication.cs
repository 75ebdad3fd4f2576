using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using LeadScore.Core;
using LeadScore.Application.Security;
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
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string ScopeClaim = "scope";
    public const string KeyIdClaim = "key_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request);
        if (key is null) return AuthenticateResult.NoResult();
        var ticket = await cache.FindAsync(key, Context.RequestAborted);
        return ticket is null ? AuthenticateResult.Fail("unknown or revoked API key") : AuthenticateResult.Success(ticket);
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
/// Key hash to authentication ticket, cached for <see cref="ServerOptions.ApiKeyCacheTtl"/>: a revoked
/// key stops working within that time. Unknown keys are not cached, so the cache cannot be filled
/// by sending random keys.
/// </summary>
internal sealed class ApiKeyCache(ILeadStore store, TimeProvider time, IOptions<ServerOptions> options)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl = options.Value.ApiKeyCacheTtl;

    private sealed record Entry(AuthenticationTicket Ticket, long ExpiresAt);

    public async ValueTask<AuthenticationTicket?> FindAsync(string key, CancellationToken ct)
    {
        if (key.Length > 200) return null;
        var hash = ApiKeys.Hash(key);
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(hash, out var e) && e.ExpiresAt > now) return e.Ticket;
        var record = await store.FindApiKeyByHashAsync(hash, ct);
        if (record is null || record.RevokedAt is not null)
        {
            _entries.TryRemove(hash, out _);
            return null;
        }
        var ticket = TicketFor(record);
        _entries[hash] = new Entry(ticket, now + (long)(_ttl.TotalSeconds * time.TimestampFrequency));
        return ticket;
    }

    /// <summary>Forgets every cached key (after a revocation through the API, or in tests).</summary>
    public void Clear() => _entries.Clear();

    private static AuthenticationTicket TicketFor(ApiKey k)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, k.Name), new(ApiKeyAuthenticationHandler.KeyIdClaim, k.Id) };
        claims.AddRange(k.Scopes.Select(s => new Claim(ApiKeyAuthenticationHandler.ScopeClaim, s)));
        return new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyAuthenticationHandler.SchemeName)), ApiKeyAuthenticationHandler.SchemeName);
    }
}

internal static class ScopePolicies
{
    public static string For(string scope) => "scope:" + scope;
    public static readonly IReadOnlyList<string> All = ApiScopes.All;
}
