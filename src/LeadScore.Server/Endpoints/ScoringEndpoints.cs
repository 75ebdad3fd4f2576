using LeadScore.Core;
using LeadScore.Server.Api;
using LeadScore.Server.Observability;
using LeadScore.Application.Scoring;
using LeadScore.Engine.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace LeadScore.Server.Endpoints;

/// <summary>
/// POST /score and /score/batch: leads scored with the champion without being stored. The hot path:
/// no database access, source-generated JSON, the scoring engine in memory.
/// </summary>
public static class ScoringEndpoints
{
    public const int MaxIdLength = 256;

    public static RouteGroupBuilder MapScoringEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("/score", ApiScopes.Score, "Scoring");
        g.MapPost("", Score)
            .WithName("ScoreLead")
            .WithSummary("Scores one lead (attributes and optional recent activities) without storing it; ?explain=false leaves the reasons out.");
        g.MapPost("/batch", ScoreBatch)
            .WithName("ScoreBatch")
            .WithSummary("Scores up to 10,000 leads without storing them; a lead that cannot be scored gets an error entry, the others are scored.");
        return g;
    }

    /// <summary>The horizon of the model that scored (the champion, unless it was swapped between the score and this read).</summary>
    private static double? HorizonOf(IScoringService scoring, LeadScoreResult r) =>
        scoring.Champion is { } c && c.Version == r.ModelVersion ? c.HorizonDays : null;

    internal static Results<Ok<ScoreResponse>, ValidationProblem, ProblemHttpResult> Score(
        LeadInput lead, string? explain, IScoringService scoring, ApiMetrics metrics, TimeProvider time)
    {
        if (!TryParseExplain(explain, out var withReasons)) return ApiResults.Invalid("explain", "must be true or false");
        if (Validate(lead, "", out var error) is { } field) return ApiResults.Invalid(field, error!);
        if (scoring.ChampionVersion is null) return NoModel();
        var now = time.GetUtcNow();
        var (domainLead, activities) = ToDomain(lead, now);
        var result = scoring.Score(domainLead, activities, withReasons, now);
        metrics.ScoreServed(result.Grade);
        return TypedResults.Ok(Mapping.ToResponse(result, withReasons, HorizonOf(scoring, result)));
    }

    internal static Results<Ok<ScoreBatchResponse>, ValidationProblem, ProblemHttpResult> ScoreBatch(
        ScoreBatchRequest request, string? explain, IScoringService scoring, ApiMetrics metrics, TimeProvider time, IOptions<ServerOptions> options)
    {
        if (!TryParseExplain(explain, out var withReasons)) return ApiResults.Invalid("explain", "must be true or false");
        var max = options.Value.MaxBatchItems;
        if (request.Leads.Count > max) return ApiResults.TooLarge("leads", $"{request.Leads.Count} leads in one batch; the limit is {max}");
        if (request.Leads.Count == 0) return ApiResults.Invalid("leads", "must hold at least one lead");
        for (var i = 0; i < request.Leads.Count; i++)
        {
            // The serializer keeps null items of a list (nullable annotations do not reach elements).
            if (request.Leads[i] is null) return ApiResults.Invalid($"leads[{i}]", "must be a lead object, not null");
            if (Validate(request.Leads[i], $"leads[{i}].", out var error) is { } field) return ApiResults.Invalid(field, error!);
        }
        if (scoring.ChampionVersion is null) return NoModel();

        var now = time.GetUtcNow();
        var results = new BatchItemResult[request.Leads.Count];
        int scored = 0, failed = 0;
        string? version = null;
        for (var i = 0; i < results.Length; i++)
        {
            var (lead, activities) = ToDomain(request.Leads[i], now);
            try
            {
                var r = scoring.Score(lead, activities, withReasons, now);
                version ??= r.ModelVersion;
                metrics.ScoreServed(r.Grade);
                results[i] = new BatchItemResult { Index = i, Result = Mapping.ToResponse(r, withReasons, HorizonOf(scoring, r)) };
                scored++;
            }
            catch (LeadScoreException ex)
            {
                // One lead that cannot be scored (opted out, say) must not fail the other 9,999.
                results[i] = new BatchItemResult { Index = i, Error = ex.Message };
                failed++;
            }
        }
        return TypedResults.Ok(new ScoreBatchResponse(version ?? scoring.ChampionVersion ?? "", scored, failed, results));
    }

    private static ProblemHttpResult NoModel() =>
        ApiResults.Unavailable("no champion model yet: train one (POST /api/v1/train or './leadscore train') and promote it");

    internal static bool TryParseExplain(string? value, out bool explain)
    {
        explain = true;
        if (value is null) return true;
        if (bool.TryParse(value, out explain)) return true;
        if (value == "1") { explain = true; return true; }
        if (value == "0") { explain = false; return true; }
        return false;
    }

    /// <summary>Returns the field at fault (with <paramref name="prefix"/>) and why, or null when the lead is valid.</summary>
    internal static string? Validate(LeadInput lead, string prefix, out string? error)
    {
        error = null;
        if (lead.Id is { } id && (id.Length == 0 || id.Length > MaxIdLength || string.IsNullOrWhiteSpace(id)))
        {
            error = $"must be 1-{MaxIdLength} characters, not blank";
            return prefix + "id";
        }
        if (lead.Activities is { } acts)
        {
            for (var i = 0; i < acts.Count; i++)
            {
                var a = acts[i];
                if (string.IsNullOrWhiteSpace(a.Type) || a.Type.Length > 100)
                {
                    error = "must be 1-100 characters";
                    return $"{prefix}activities[{i}].type";
                }
                if (a.Value is { } v && !double.IsFinite(v))
                {
                    error = "must be a finite number";
                    return $"{prefix}activities[{i}].value";
                }
            }
        }
        return null;
    }

    internal static (Lead Lead, IReadOnlyList<Activity> Activities) ToDomain(LeadInput input, DateTimeOffset now)
    {
        var id = input.Id ?? ScoringService.AnonymousLeadId;
        var lead = new Lead
        {
            Id = id,
            CreatedAt = input.CreatedAt ?? now,
            Attributes = input.Attributes ?? EmptyMap,
        };
        if (input.Activities is not { Count: > 0 } acts) return (lead, []);
        var activities = new Activity[acts.Count];
        for (var i = 0; i < activities.Length; i++)
        {
            var a = acts[i];
            activities[i] = new Activity
            {
                EventId = a.EventId ?? $"{id}#{i}",
                LeadId = id,
                Type = ValueRules.NormalizeActivityType(a.Type),
                Timestamp = a.Timestamp,
                Url = a.Url,
                Value = a.Value,
                Properties = a.Properties ?? EmptyMap,
            };
        }
        return (lead, activities);
    }

    private static readonly IReadOnlyDictionary<string, string?> EmptyMap = new Dictionary<string, string?>();
}
