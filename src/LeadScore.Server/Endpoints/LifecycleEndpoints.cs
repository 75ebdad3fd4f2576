using LeadScore.Application.Lifecycle;
using LeadScore.Core;
using LeadScore.Engine.Lifecycle;
using LeadScore.Server.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Endpoints;

/// <summary>Continuous learning: the retraining policy (with the gate and challenger settings) and the model lifecycle history.</summary>
public static class LifecycleEndpoints
{
    public static RouteGroupBuilder MapLifecycleEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("", ApiScopes.Admin, "Lifecycle");
        g.MapGet("/models/history", HistoryAsync)
            .WithName("GetModelHistory").WithSummary("Every training, gate result, challenge start and end, promotion and rollback, oldest first, with its reason and figures.");
        g.MapGet("/policy", GetPolicyAsync)
            .WithName("GetPolicy").WithSummary("The retraining policy in force: schedule, triggers, training window, promotion gate, challenger and rollback settings.");
        g.MapPut("/policy", PutPolicyAsync)
            .WithName("PutPolicy").WithSummary("Replaces the retraining policy (the whole JSON object of GET /policy); validated before it is saved.")
            .Accepts<System.Text.Json.JsonElement>("application/json");
        return g;
    }

    internal static async Task<Ok<IReadOnlyList<LifecycleEventView>>> HistoryAsync(LifecycleHistory history, DateTimeOffset? since, int? limit, CancellationToken ct)
    {
        var events = await history.ListAsync(since, Math.Clamp(limit ?? 1000, 1, 10_000), ct);
        return TypedResults.Ok<IReadOnlyList<LifecycleEventView>>(events.Select(LifecycleEventView.From).ToList());
    }

    internal static async Task<ContentHttpResult> GetPolicyAsync(RetrainingPolicyService policies, HttpResponse response, CancellationToken ct)
    {
        var (policy, version) = await policies.GetAsync(ct);
        response.Headers.ETag = $"\"{version}\"";
        return TypedResults.Text(policy.ToJson(), "application/json");
    }

    internal static async Task<Results<ContentHttpResult, ValidationProblem>> PutPolicyAsync(HttpRequest request, RetrainingPolicyService policies, HttpResponse response, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(body)) return ApiResults.Invalid("body", "a JSON body is required: the policy object of GET /api/v1/policy");
        RetrainingPolicy policy;
        try { policy = RetrainingPolicy.FromJson(body, "body"); }
        catch (LeadScoreException ex) { return ApiResults.Invalid(ex.Field ?? "body", ex.Message); }
        var (saved, version) = await policies.SaveAsync(policy, ct);
        response.Headers.ETag = $"\"{version}\"";
        return TypedResults.Text(saved.ToJson(), "application/json");
    }
}
