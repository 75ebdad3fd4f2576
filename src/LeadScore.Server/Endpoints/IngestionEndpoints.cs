using LeadScore.Core;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Endpoints;

/// <summary>
/// POST /leads, /activities, /enrichment, /outcomes: one item or a batch through the import service,
/// then the affected leads are re-scored and webhooks fire on the changes.
/// </summary>
public static class IngestionEndpoints
{
    public static RouteGroupBuilder MapIngestionEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("", ApiScopes.Ingest, "Ingestion");
        return g;
    }
}
