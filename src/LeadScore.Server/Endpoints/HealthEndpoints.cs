using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.Server.Api;
using LeadScore.Server.Auth;
using LeadScore.Server.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace LeadScore.Server.Endpoints;

/// <summary>
/// Liveness and readiness, open to the orchestrator with no key; Prometheus metrics, which show business
/// figures (scores by grade, model version), need a key with the <c>metrics</c> (or <c>admin</c>) scope.
/// </summary>
public static class HealthEndpoints
{
    private static readonly HealthResponse Live = new("live");

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").WithTags("Health").AllowAnonymous();
        health.MapGet("/live", () => TypedResults.Ok(Live))
            .WithName("Live").WithSummary("The process is up and serving requests.");
        health.MapGet("/ready", ReadyAsync)
            .WithName("Ready").WithSummary("Storage reachable and a champion model loaded (503 otherwise); reads says where the lists and exports are read (primary or read replica).");
        app.MapGet("/metrics", (ApiMetrics metrics, HttpContext context) => metrics.WriteAsync(context))
            .WithName("Metrics").WithSummary("Prometheus metrics: request rates and latencies, scores by grade, model version, webhooks.")
            .WithTags("Health").Produces(StatusCodes.Status200OK, contentType: "text/plain")
            .RequireAuthorization(ScopePolicies.For(ApiScopes.Metrics)).WithMetadata(new RequiredScope(ApiScopes.Metrics))
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    private static async Task<Results<Ok<ReadinessResponse>, JsonHttpResult<ReadinessResponse>>> ReadyAsync(
        ILeadStore store, ILaggingReads reads, IScoringService scoring, ApiMetrics metrics, HttpContext context, ILoggerFactory logs, CancellationToken ct)
    {
        bool storage;
        try
        {
            storage = await store.PingAsync(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Readiness is the one question a database outage must not turn into an error: the answer is "not ready".
            ServerLog.PingFailed(logs.CreateLogger("LeadScore.Server.Health"), ex);
            storage = false;
        }
        var champion = scoring.ChampionVersion;
        metrics.ModelServing(champion);
        var ready = storage && champion is not null;
        // A replica that is down or behind does not make the instance unready: its reads fall back to the primary.
        var route = await reads.RouteAsync(ct);
        var body = new ReadinessResponse(ready ? "ready" : "not_ready", storage, champion, new ReadsResponse(route.Target, route.ReplicaState, route.LagSeconds, route.Detail));
        if (ready) return TypedResults.Ok(body);
        context.Response.Headers.RetryAfter = StoreOutage.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
