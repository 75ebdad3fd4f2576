using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Server.Api;
using LeadScore.Application.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace LeadScore.Server.Endpoints;

/// <summary>
/// POST /leads, /activities, /enrichment, /outcomes: one item (a JSON object) or a batch (an array)
/// through the ingestion use case, the same one as file imports: it validates, stores and quarantines,
/// then re-scores the leads the accepted items touch and queues webhooks for the changes.
/// </summary>
public static class IngestionEndpoints
{
    public static RouteGroupBuilder MapIngestionEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("", ApiScopes.Ingest, "Ingestion");
        g.ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        g.MapPost("/leads", (JsonElement body, IngestContext c, CancellationToken ct) => IngestAsync(ImportKind.Leads, body, c, ct))
            .WithName("IngestLeads").WithSummary("Upserts leads by lead_id (created_at, attributes as fields); re-scores them.");
        g.MapPost("/activities", (JsonElement body, IngestContext c, CancellationToken ct) => IngestAsync(ImportKind.Activities, body, c, ct))
            .WithName("IngestActivities").WithSummary("Adds activities (lead_id, type, timestamp, url, value, event_id, more fields as properties); re-scores their leads.");
        g.MapPost("/enrichment", (JsonElement body, IngestContext c, CancellationToken ct) => IngestAsync(ImportKind.Enrichment, body, c, ct))
            .WithName("IngestEnrichment").WithSummary("Upserts company data by (domain, as_of); re-scores the leads of those domains.");
        g.MapPost("/outcomes", (JsonElement body, IngestContext c, CancellationToken ct) => IngestAsync(ImportKind.Outcomes, body, c, ct))
            .WithName("IngestOutcomes").WithSummary("Records outcomes (lead_id, outcome converted/lost/reopened, date).");
        return g;
    }

    internal static async Task<Results<Ok<IngestResponse>, ValidationProblem, ProblemHttpResult>> IngestAsync(
        ImportKind kind, JsonElement body, IngestContext c, CancellationToken ct)
    {
        IReadOnlyList<JsonElement> items;
        switch (body.ValueKind)
        {
            case JsonValueKind.Object:
                items = [body];
                break;
            case JsonValueKind.Array:
                var max = c.Options.Value.MaxBatchItems;
                var n = body.GetArrayLength();
                if (n > max) return ApiResults.TooLarge("body", $"{n} items in one batch; the limit is {max}");
                if (n == 0) return ApiResults.Invalid("body", "the batch is empty");
                items = body.EnumerateArray().ToList();
                break;
            default:
                return ApiResults.Invalid("body", "must be one object or an array of objects");
        }

        var (summary, rescored, queued) = await c.Ingestion.ImportItemsAsync(kind, items, ct);
        var response = new IngestResponse
        {
            ImportId = summary.ImportId,
            Kind = summary.Kind,
            Received = summary.RowsRead,
            Accepted = summary.Accepted,
            Inserted = summary.Inserted,
            Updated = summary.Updated,
            Unchanged = summary.Unchanged,
            Rejected = summary.Rejected,
            Errors = summary.Errors.Select(e => new IngestError(e.Index, e.Field, e.Reason)).ToList(),
            Rescored = rescored,
            WebhooksQueued = queued,
        };
        return summary.Accepted == 0 && summary.Rejected > 0 ? ApiResults.NothingAccepted(response) : TypedResults.Ok(response);
    }
}

/// <summary>What an ingestion request needs, resolved once per request.</summary>
internal sealed class IngestContext(IngestionService ingestion, IOptions<ServerOptions> options)
{
    public IngestionService Ingestion { get; } = ingestion;
    public IOptions<ServerOptions> Options { get; } = options;
}
