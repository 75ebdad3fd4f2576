using System.Text.Json;
using LeadScore.Core;
using LeadScore.Server.Api;
using LeadScore.Application.Jobs;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Engine.Modeling;
using LeadScore.Server.Observability;
using LeadScore.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Endpoints;

/// <summary>The model registry (list, show, promote, rollback) and background training jobs.</summary>
public static class ModelEndpoints
{
    public static RouteGroupBuilder MapModelEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("", ApiScopes.Admin, "Models");
        g.MapGet("/models", ListAsync)
            .WithName("ListModels").WithSummary("Every model version, newest first, with its aliases and held-out AUC; each AUC is measured on that version's own test rows (test_rows, test_from, test_to, test_set): versions with another test_set do not compare.");
        g.MapGet("/models/{version}", GetAsync)
            .WithName("GetModel").WithSummary("A model version with its model card (data, features, algorithm, metrics).");
        g.MapPost("/models/{version}/promote", PromoteAsync)
            .WithName("PromoteModel").WithSummary("Makes a version the champion that serves scores; the scoring engine swaps at once and a job re-scores the stored leads.");
        g.MapPost("/models/rollback", RollbackAsync)
            .WithName("RollbackModel").WithSummary("Makes the previous champion the champion again (swap and re-scoring job as for promote).");
        g.MapGet("/grades", GetGradesAsync)
            .WithName("GetGradeBands").WithSummary("The A-D grade bands the champion grades with now, and where they came from (its own bands or the override).");
        g.MapPut("/grades", PutGradesAsync)
            .WithName("SetGradeBands").WithSummary("Overrides the grade bands for every model, as probabilities {a, b, c} or as shares of the stored leads {shares: [0.1, 0.3, 0.6]}; applies without retraining and queues a job re-scoring the stored leads.");
        g.MapDelete("/grades", DeleteGradesAsync)
            .WithName("ResetGradeBands").WithSummary("Removes the grade-band override: every model grades with its own bands again; queues a re-scoring job.");
        g.MapPost("/train", TrainAsync)
            .WithName("Train").WithSummary("Starts training on the workspace's data in the background; follow it with GET /jobs/{id}.");
        g.MapGet("/jobs/{id}", GetJobAsync)
            .WithName("GetJob").WithSummary("A background job's status and progress, and its result when done.");
        return g;
    }

    internal static async Task<Ok<ModelListResponse>> ListAsync(ILeadStore store, CancellationToken ct)
    {
        var models = await store.ListModelsAsync(ct);
        var champion = await store.GetAliasAsync(ModelAliases.Champion, ct);
        return TypedResults.Ok(new ModelListResponse(champion, models.Select(Mapping.ToSummary).ToList()));
    }

    internal static async Task<Results<Ok<ModelDetail>, ProblemHttpResult>> GetAsync(string version, ILeadStore store, GradeBandSettings grades, CancellationToken ct)
    {
        var model = await store.GetModelAsync(version, ct);
        if (model is null) return ApiResults.NotFound($"model version '{version}' not found");
        var card = Mapping.CardElement(model.CardJson);
        var own = ModelGrades.OfCard(model.CardJson);
        return TypedResults.Ok(new ModelDetail { Model = Mapping.ToSummary(model), Card = card, GradesInEffect = ToDto(await grades.InEffectForAsync(model.Version, own, ct)) });
    }

    internal static async Task<Ok<GradeBandsResponse>> GetGradesAsync(GradeBandSettings grades, CancellationToken ct) =>
        TypedResults.Ok(ToDto(await grades.InEffectAsync(ct)));

    internal static async Task<Results<Ok<GradeBandsResponse>, ValidationProblem>> PutGradesAsync(GradeBandsRequest? request, GradeBandSettings grades, CancellationToken ct)
    {
        if (request is null) return ApiResults.Invalid("body", "give {a, b, c} (probabilities) or {shares: [a, ab, abc]}");
        (GradeBandsInEffect Bands, string Job) r;
        if (request.Shares is { } shares)
        {
            if (request.A is not null || request.B is not null || request.C is not null) return ApiResults.Invalid("shares", "give either shares or a, b and c");
            if (shares.Count != 3) return ApiResults.Invalid("shares", "must hold three cumulative fractions of leads for A, A-B and A-C, e.g. [0.1, 0.3, 0.6]");
            r = await grades.SetByShareAsync(shares[0], shares[1], shares[2], ct);
        }
        else
        {
            foreach (var (name, v) in new[] { ("a", request.A), ("b", request.B), ("c", request.C) })
                if (v is null) return ApiResults.Invalid(name, "a, b and c are all required (probabilities, e.g. 0.6, 0.3, 0.1), unless shares are given");
            var bands = new Engine.Scoring.GradeBands(request.A!.Value, request.B!.Value, request.C!.Value);
            if (bands.Problem() is { } problem) return ApiResults.Invalid(problem.StartsWith("b ", StringComparison.Ordinal) ? "b" : problem.StartsWith("c ", StringComparison.Ordinal) ? "c" : "a", problem);
            r = await grades.SetAsync(bands, ct);
        }
        return TypedResults.Ok(ToDto(r.Bands) with { RescoreJob = r.Job });
    }

    internal static async Task<Ok<GradeBandsResponse>> DeleteGradesAsync(GradeBandSettings grades, CancellationToken ct)
    {
        var (bands, job) = await grades.ResetAsync(ct);
        return TypedResults.Ok(ToDto(bands) with { RescoreJob = job });
    }

    private static GradeBandsResponse ToDto(GradeBandsInEffect g) => new()
    {
        ModelVersion = g.ModelVersion, A = g.Bands.A, B = g.Bands.B, C = g.Bands.C, Source = g.Source, Description = g.Describe(),
    };

    internal static async Task<Results<Ok<ChampionResponse>, ProblemHttpResult>> PromoteAsync(
        string version, ModelLifecycle lifecycle, IScoringService scoring, ApiMetrics metrics, CancellationToken ct)
    {
        var change = await lifecycle.PromoteAsync(version, ct: ct);
        metrics.ModelServing(scoring.ChampionVersion);
        return TypedResults.Ok(new ChampionResponse(change.Version, change.Previous, change.RescoreJobId));
    }

    internal static async Task<Results<Ok<ChampionResponse>, ProblemHttpResult>> RollbackAsync(
        ModelLifecycle lifecycle, IScoringService scoring, ApiMetrics metrics, CancellationToken ct)
    {
        var change = await lifecycle.RollbackAsync(ct: ct);
        metrics.ModelServing(scoring.ChampionVersion);
        return TypedResults.Ok(new ChampionResponse(change.Version, change.Previous, change.RescoreJobId));
    }

    internal static async Task<Results<Accepted<JobResponse>, ValidationProblem, ProblemHttpResult>> TrainAsync(
        TrainRequest? request, JobQueue jobs, JobRunner runner, CancellationToken ct)
    {
        request ??= new TrainRequest();
        // Every member is optional: an omitted algorithm means auto.
        request = request with { Algorithm = string.IsNullOrWhiteSpace(request.Algorithm) ? "auto" : request.Algorithm.Trim().ToLowerInvariant() };
        // The CLI's names and aliases (lgbm, lr, ...) through the one catalog.
        if (request.Algorithm != "auto" && !TrainerCatalog.TryParse(request.Algorithm, out _))
            return ApiResults.Invalid("algorithm", $"'{request.Algorithm}' is not one of auto, {string.Join(", ", TrainerCatalog.Names)}");
        if (request.TimeBudgetSeconds is { } t && (t < 0 || t > 3600)) return ApiResults.Invalid("time_budget_seconds", "must be from 0 (each algorithm with its defaults, no search) to 3600");
        if (request.DecisionAgesDays is { } ages && (ages.Count is 0 or > 50 || ages.Any(a => !double.IsFinite(a) || a < 0 || a > 3650)))
            return ApiResults.Invalid("decision_ages_days", "must hold 1 to 50 numbers of days from 0 to 3650");
        if (request.HorizonDays is { } h && (!double.IsFinite(h) || h < 1 || h > 3650))
            return ApiResults.Invalid("horizon_days", "must be a number of days from 1 to 3650");
        if (!runner.CanRun(JobKinds.Train)) return ApiResults.Unavailable("this server cannot train: no trainer is configured");
        var job = await jobs.EnqueueTrainingAsync(new TrainJobRequest
        {
            Algorithm = request.Algorithm, TimeBudgetSeconds = request.TimeBudgetSeconds, Seed = request.Seed, DecisionAgesDays = request.DecisionAgesDays,
            HorizonDays = request.HorizonDays,
        }, ct);
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", Mapping.ToDto(job));
    }

    internal static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> GetJobAsync(string id, JobQueue jobs, CancellationToken ct)
    {
        var job = await jobs.GetAsync(id, ct);
        return job is null ? ApiResults.NotFound($"job '{id}' not found") : TypedResults.Ok(Mapping.ToDto(job));
    }
}
