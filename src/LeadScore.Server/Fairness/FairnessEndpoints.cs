using LeadScore.Application.Fairness;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Server.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Fairness;

/// <summary>The fairness settings (admin): which attributes every model card checks, and whether mitigation is on.</summary>
public static class FairnessEndpoints
{
    public static RouteGroupBuilder MapFairnessEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("/fairness", ApiScopes.Admin, "Fairness");
        g.MapGet("/settings", GetAsync).WithName("GetFairnessSettings")
            .WithSummary("The sensitive and watched attributes training checks (the declared ones, or the schema's suggestion while none are declared).");
        g.MapPut("/settings", PutAsync).WithName("PutFairnessSettings")
            .WithSummary("Declares the sensitive and watched attributes, the minimum group size and the mitigated attribute (null = mitigation off) for models trained from now on.");
        return g;
    }

    internal static async Task<Ok<FairnessSettingsResponse>> GetAsync(FairnessService fairness, CancellationToken ct) =>
        TypedResults.Ok(ToDto(await fairness.GetAsync(ct)));

    internal static async Task<Results<Ok<FairnessSettingsResponse>, ValidationProblem>> PutAsync(FairnessSettingsRequest request, FairnessService fairness, CancellationToken ct)
    {
        var settings = new FairnessSettings
        {
            Sensitive = request.Sensitive,
            Watch = request.Watch ?? [],
            MinGroupSize = request.MinGroupSize ?? FairnessOptions.Default.MinGroupSize,
            Mitigate = request.Mitigate,
            RatioThreshold = request.RatioThreshold ?? FairnessOptions.Default.RatioLimit,
            GapThreshold = request.GapThreshold ?? FairnessOptions.Default.OddsGapLimit,
        };
        try
        {
            return TypedResults.Ok(ToDto(await fairness.SetAsync(settings, ct)));
        }
        catch (LeadScoreException e)
        {
            return ApiResults.Invalid(e.Field ?? "body", e.Message);
        }
    }

    private static FairnessSettingsResponse ToDto(FairnessConfiguration c) => new()
    {
        Sensitive = c.Effective.Sensitive,
        Watch = c.Effective.Watch,
        MinGroupSize = c.Effective.MinGroupSize,
        Mitigate = c.Effective.Mitigate,
        RatioThreshold = c.Effective.RatioThreshold,
        GapThreshold = c.Effective.GapThreshold,
        Declared = c.Declared,
        Source = c.Source,
        SuggestedSensitive = c.Suggested.Sensitive,
        SuggestedWatch = c.Suggested.Watch,
        Version = c.Version,
    };
}

/// <summary>The fairness settings to declare.</summary>
public sealed record FairnessSettingsRequest
{
    /// <summary>Sensitive attributes (lead attribute or column names), e.g. ["country", "age_band"]; [] for none.</summary>
    public required IReadOnlyList<string> Sensitive { get; init; }
    /// <summary>Attributes watched as possible proxies, e.g. ["company_size"].</summary>
    public IReadOnlyList<string>? Watch { get; init; }
    /// <summary>Figures on fewer rows are shown as too few (default 30).</summary>
    public int? MinGroupSize { get; init; }
    /// <summary>A sensitive attribute whose group-aware grade thresholds models trained from now on apply; null = off.</summary>
    public string? Mitigate { get; init; }
    /// <summary>The 80% rule's ratio for monitoring alerts and the promotion gate (default 0.8; above 0, at most 1).</summary>
    public double? RatioThreshold { get; init; }
    /// <summary>The TPR/FPR gap above which monitoring alerts (default 0.1; above 0, at most 1).</summary>
    public double? GapThreshold { get; init; }
}

/// <summary>The fairness settings in effect.</summary>
public sealed record FairnessSettingsResponse
{
    public required IReadOnlyList<string> Sensitive { get; init; }
    public required IReadOnlyList<string> Watch { get; init; }
    public required int MinGroupSize { get; init; }
    public string? Mitigate { get; init; }
    public required double RatioThreshold { get; init; }
    public required double GapThreshold { get; init; }
    /// <summary>False while nothing is declared: the suggestion is in effect.</summary>
    public required bool Declared { get; init; }
    public required string Source { get; init; }
    public required IReadOnlyList<string> SuggestedSensitive { get; init; }
    public required IReadOnlyList<string> SuggestedWatch { get; init; }
    public required long Version { get; init; }
}
