using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Server.Api;
using LeadScore.Server.Webhooks;
using LeadScore.Storage;
using LeadScore.Storage.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace LeadScore.Server.Endpoints;

/// <summary>
/// POST /leads, /activities, /enrichment, /outcomes: one item (a JSON object) or a batch (an array)
/// through the import service, which validates, stores and quarantines exactly as file imports do.
/// The leads the accepted items touch are then re-scored and webhooks fire on the changes.
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

        var summary = await c.Import.ImportItemsAsync(kind, items, ct);
        var rejected = summary.Errors.Select(e => e.Index).ToHashSet();
        var accepted = Enumerable.Range(0, items.Count).Where(i => !rejected.Contains(i)).Select(i => items[i]).ToList();

        var changes = await RescoreAsync(kind, accepted, c, ct);
        var queued = await c.Notifier.NotifyAsync(changes, ct);
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
            Rescored = changes.Count,
            WebhooksQueued = queued,
        };
        return summary.Accepted == 0 && summary.Rejected > 0 ? ApiResults.NothingAccepted(response) : TypedResults.Ok(response);
    }

    private static async Task<IReadOnlyList<ScoreChange>> RescoreAsync(ImportKind kind, IReadOnlyList<JsonElement> accepted, IngestContext c, CancellationToken ct)
    {
        if (c.Parts.Scoring is not { } scoring || accepted.Count == 0) return [];
        if (kind == ImportKind.Enrichment && scoring is ScoringService s) await s.RefreshEnrichmentAsync(ct);
        if (scoring.ChampionVersion is null) return [];
        var ids = kind == ImportKind.Enrichment
            ? await LeadsOfDomainsAsync(c.Parts.Store, accepted.Select(e => Text(e, "domain")).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase), ct)
            : accepted.Select(e => Text(e, "lead_id")).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        return await scoring.RescoreAsync(ids, ScoreCause.NewData, ct);
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()?.Trim(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    /// <summary>Leads whose domain (or e-mail domain) is one of <paramref name="domains"/>: one pass over the leads.</summary>
    private static async Task<IReadOnlyList<string>> LeadsOfDomainsAsync(ILeadStore store, HashSet<string> domains, CancellationToken ct)
    {
        var ids = new List<string>();
        if (domains.Count == 0) return ids;
        await foreach (var lead in store.StreamLeadsAsync(ct))
        {
            var d = lead.Get(LeadFields.Domain);
            if (d is null && lead.Get(LeadFields.Email) is { } email && email.IndexOf('@') is var at and >= 0) d = email[(at + 1)..];
            if (d is not null && domains.Contains(d.Trim())) ids.Add(lead.Id);
        }
        return ids;
    }
}

/// <summary>What an ingestion request needs, resolved once per request.</summary>
internal sealed class IngestContext(ImportService import, WebhookNotifier notifier, LeadScoreParts parts, IOptions<ServerOptions> options)
{
    public ImportService Import { get; } = import;
    public WebhookNotifier Notifier { get; } = notifier;
    public LeadScoreParts Parts { get; } = parts;
    public IOptions<ServerOptions> Options { get; } = options;
}
