using System.Globalization;
using LeadScore.Core;
using LeadScore.Server.Api;
using LeadScore.Application.Webhooks;
using LeadScore.Server.Webhooks;
using LeadScore.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Endpoints;

/// <summary>Webhook subscriptions and their delivery log.</summary>
public static class WebhookEndpoints
{
    public static RouteGroupBuilder MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("/webhooks", ApiScopes.Admin, "Webhooks");
        g.MapPost("", CreateAsync)
            .WithName("CreateWebhook").WithSummary("Registers a URL to be told when a rule fires: a lead's grade_changed, score_crossed (with threshold) or became_a; or a model's model_promoted, model_rolled_back, drift_detected or performance_dropped; answers the signing secret once.");
        g.MapGet("", ListAsync).WithName("ListWebhooks").WithSummary("The registered webhooks (without secrets).");
        g.MapGet("/{id}", GetAsync).WithName("GetWebhook").WithSummary("One webhook (without its secret).");
        g.MapDelete("/{id}", DeleteAsync).WithName("DeleteWebhook").WithSummary("Stops deliveries to a webhook; its delivery log is kept.");
        g.MapGet("/{id}/deliveries", DeliveriesAsync)
            .WithName("ListDeliveries").WithSummary("A webhook's deliveries, newest first: status (pending, delivered, parked), attempts, last answer.");
        g.MapPost("/{id}/deliveries/requeue", RequeueAsync)
            .WithName("RequeueDeliveries").WithSummary("Puts a webhook's parked deliveries back in the queue (after fixing the receiver).");
        return g;
    }

    internal static async Task<Results<Created<WebhookResponse>, ValidationProblem>> CreateAsync(
        WebhookCreateRequest request, WebhookRegistry registry, CancellationToken ct)
    {
        if (await registry.CheckUrlAsync(request.Url, ct) is { } refused) return ApiResults.Invalid("url", refused);
        if (WebhookRules.Parse(request.Rule) is not { } rule)
            return ApiResults.Invalid("rule", $"must be one of {string.Join(", ", WebhookRules.Names)}");
        if (rule == WebhookRule.ScoreCrossed && request.Threshold is not (>= 0 and <= 100))
            return ApiResults.Invalid("threshold", "score_crossed needs a threshold from 0 to 100");
        if (rule != WebhookRule.ScoreCrossed && request.Threshold is not null)
            return ApiResults.Invalid("threshold", "only score_crossed takes a threshold");
        if (request.Secret is { } s && WebhookRegistry.CheckSecret(s) is { } badSecret) return ApiResults.Invalid("secret", badSecret);
        var hook = await registry.CreateAsync(request.Url, rule, request.Threshold, request.Secret, ct);
        return TypedResults.Created($"/api/v1/webhooks/{hook.Id}", ToDto(hook) with { Secret = hook.Secret });
    }

    internal static async Task<Ok<WebhookListResponse>> ListAsync(IWebhookStore store, CancellationToken ct) =>
        TypedResults.Ok(new WebhookListResponse((await store.ListWebhooksAsync(ct)).Select(ToDto).ToList()));

    internal static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> GetAsync(string id, IWebhookStore store, CancellationToken ct) =>
        await store.GetWebhookAsync(id, ct) is { } hook ? TypedResults.Ok(ToDto(hook)) : ApiResults.NotFound($"webhook '{id}' not found");

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, WebhookRegistry registry, CancellationToken ct) =>
        await registry.DeleteAsync(id, ct) ? TypedResults.NoContent() : ApiResults.NotFound($"webhook '{id}' not found");

    internal static async Task<Results<Ok<DeliveryListResponse>, ValidationProblem, ProblemHttpResult>> DeliveriesAsync(
        string id, string? limit, IWebhookStore store, CancellationToken ct)
    {
        var n = 100;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > 1000))
            return ApiResults.Invalid("limit", "must be a whole number from 1 to 1000");
        if (await store.GetWebhookAsync(id, ct) is null) return ApiResults.NotFound($"webhook '{id}' not found");
        var deliveries = await store.ListDeliveriesAsync(id, n, ct);
        return TypedResults.Ok(new DeliveryListResponse(id, deliveries.Select(Mapping.ToDto).ToList()));
    }

    internal static async Task<Results<Ok<RequeueResponse>, ProblemHttpResult>> RequeueAsync(
        string id, IWebhookStore store, WebhookRegistry registry, CancellationToken ct)
    {
        if (await store.GetWebhookAsync(id, ct) is null) return ApiResults.NotFound($"webhook '{id}' not found");
        return TypedResults.Ok(new RequeueResponse(await registry.RequeueParkedAsync(id, ct)));
    }

    private static WebhookResponse ToDto(Webhook w) => new()
    {
        Id = w.Id, Url = w.Url, Rule = WebhookRules.NameOf(w.Rule), Threshold = w.Threshold, CreatedAt = w.CreatedAt,
    };
}
