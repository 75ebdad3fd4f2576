using System.Security.Claims;
using LeadScore.Core;
using LeadScore.Server.Auth;
using LeadScore.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;

namespace LeadScore.Server.Dashboard;

/// <summary>
/// The dashboard's session: an API key typed once is exchanged for an encrypted, HttpOnly, SameSite=Strict cookie
/// (ASP.NET cookie authentication over Data Protection) holding the key's id, name and scopes, never the key. The
/// cookie is scoped to <c>/dashboard</c>, so the public <c>/api/v1</c> routes never see ambient credentials and keep
/// answering to keys alone: they need no CSRF defence. Every state-changing dashboard call carries an ASP.NET
/// anti-forgery token (tied to the session's identity), or is refused 403.
/// </summary>
internal static class DashboardAuth
{
    public const string Scheme = "DashboardSession";
    public const string CookieName = "leadscore_session";
    public const string CsrfCookieName = "leadscore_csrf";
    public const string CsrfHeader = "X-CSRF-Token";
    public const string CsrfField = "csrf";
    public const string CookiePath = "/dashboard";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    /// <summary>Where <see cref="Filter"/> leaves the session's authentication result (its expiry) for the handlers.</summary>
    public const string SessionItem = "leadscore.dashboard_session";

    public static AuthenticationBuilder AddDashboardSession(this AuthenticationBuilder auth)
    {
        auth.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = CsrfCookieName;
            o.Cookie.Path = CookiePath;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.HeaderName = CsrfHeader;
            o.FormFieldName = CsrfField;
        });
        // One key ring for every instance on the database: a session signed in through one is read by all.
        auth.Services.AddSharedKeyRing();
        // The session expires on the host's clock (a simulated one included), the clock that set its expiry at sign-in.
        auth.Services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<TimeProvider>((o, time) => o.TimeProvider = time);
        return auth.AddCookie(Scheme, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.Path = CookiePath;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            // Secure when the request came over https; plain http on loopback (the quickstart) still works.
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = Lifetime;
            // A fixed lifetime: a stolen cookie cannot be kept alive by using it.
            o.SlidingExpiration = false;
            // JSON callers get status codes, never a redirect to a login page.
            o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
            o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
            // A key revoked after sign-in ends its sessions at their next request.
            o.Events.OnValidatePrincipal = async c =>
            {
                var keyId = c.Principal?.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value;
                var keys = await c.HttpContext.RequestServices.GetRequiredService<ILeadStore>().ListApiKeysAsync(c.HttpContext.RequestAborted);
                if (keyId is null || !keys.Any(k => k.Id == keyId && k.RevokedAt is null))
                {
                    c.RejectPrincipal();
                    await c.HttpContext.SignOutAsync(Scheme);
                }
            };
        });
    }

    /// <summary>A session principal from the API key's ticket: the same claims (name, key id, scopes), under the cookie scheme.</summary>
    public static ClaimsPrincipal SessionFor(AuthenticationTicket keyTicket) =>
        new(new ClaimsIdentity(keyTicket.Principal.Claims.Select(c => new Claim(c.Type, c.Value)), Scheme));

    public static IReadOnlyList<string> Scopes(ClaimsPrincipal user) =>
        user.FindAll(ApiKeyAuthenticationHandler.ScopeClaim).Select(c => c.Value).ToList();

    /// <summary>Admin may do everything the dashboard offers; other scopes only their own pages.</summary>
    public static bool Holds(ClaimsPrincipal user, string scope) =>
        user.Identity?.IsAuthenticated == true && (user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, scope) || user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.Admin));

    /// <summary>
    /// On every dashboard route: the user is the session cookie's (an X-Api-Key header is ignored here), a non-GET call
    /// must carry a valid anti-forgery token, and a route marked with <see cref="RequiredScope"/> needs a session holding it.
    /// </summary>
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var session = await http.AuthenticateAsync(Scheme);
        http.User = session.Succeeded ? session.Principal : new ClaimsPrincipal(new ClaimsIdentity());
        http.Items[SessionItem] = session;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            try
            {
                await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                return Problem(StatusCodes.Status403Forbidden, "Missing or invalid CSRF token",
                    $"Every change made through the dashboard must carry the session's anti-forgery token (the {CsrfHeader} header or the {CsrfField} form field); reload the page and try again.");
            }
        }
        if (http.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>() is { } needed)
        {
            if (http.User.Identity?.IsAuthenticated != true)
                return Problem(StatusCodes.Status401Unauthorized, "Sign-in required", "Sign in on the dashboard's first page with an API key.");
            if (!Holds(http.User, needed.Scope))
                return Problem(StatusCodes.Status403Forbidden, "Missing scope", $"The API key this session signed in with does not have the '{needed.Scope}' scope.");
        }
        // The audit log's actor for this call: the dashboard user, named by the key the session signed in with.
        if (http.User.Identity is { IsAuthenticated: true, Name: { } user })
        {
            using var _ = http.RequestServices.GetRequiredService<LeadScore.Application.Governance.ActorContext>().Use(LeadScore.Core.Actor.DashboardUser(user));
            return await next(invocation);
        }
        return await next(invocation);
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(detail, statusCode: status, title: title);
}
