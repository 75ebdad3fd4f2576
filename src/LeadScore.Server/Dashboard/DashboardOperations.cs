using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Server.Api;
using LeadScore.Server.Auth;
using LeadScore.Server.Endpoints;
using LeadScore.Server.Fairness;
using LeadScore.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Dashboard;

/// <summary>
/// The dashboard's monitoring, model lifecycle and governance routes. Each calls the Application service its public API
/// endpoint calls (<see cref="MonitoringService"/>, <see cref="LifecycleHistory"/>, <see cref="RetrainingPolicyService"/>,
/// <see cref="AuditLog"/>, <see cref="PrivacyService"/>, the fairness settings' <see cref="FairnessEndpoints"/>), with the same validation, so a page can never do or show more
/// than the API would for the same scope.
/// </summary>
internal static class DashboardOperations
{
    public const int AuditShown = 200;
    private const int AuditScanned = 10_000;

    public static RouteGroupBuilder MapDashboardOperations(this RouteGroupBuilder api)
    {
        api.MapGet("/monitoring", MonitoringAsync).WithMetadata(new RequiredScope(ApiScopes.Monitoring));
        api.MapGet("/lifecycle", LifecycleAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapPost("/policy", SavePolicyAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapGet("/governance", GovernanceAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        // The fairness settings: the very handlers (binding, validation, audit) of GET and PUT /api/v1/fairness/settings.
        api.MapGet("/fairness", FairnessEndpoints.GetAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapPost("/fairness", FairnessEndpoints.PutAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapGet("/audit", AuditAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapGet("/audit/verify", VerifyAuditAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapGet("/privacy/export", ExportAsync).WithMetadata(new RequiredScope(ApiScopes.Privacy));
        api.MapPost("/privacy/opt-out", (string? id, PrivacyService p, CancellationToken ct) => OptAsync(id, true, p, ct)).WithMetadata(new RequiredScope(ApiScopes.Privacy));
        api.MapPost("/privacy/opt-in", (string? id, PrivacyService p, CancellationToken ct) => OptAsync(id, false, p, ct)).WithMetadata(new RequiredScope(ApiScopes.Privacy));
        api.MapPost("/privacy/erase", EraseAsync).WithMetadata(new RequiredScope(ApiScopes.Privacy));
        api.MapGet("/quarantine.csv", ExportQuarantineAsync).WithMetadata(new RequiredScope(ApiScopes.Ingest));
        api.MapPost("/quarantine/retry", RetryQuarantineAsync).WithMetadata(new RequiredScope(ApiScopes.Ingest));
        return api;
    }

    private static IResult Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) => TypedResults.Json(value, type);

    /// <summary>Drift, performance (realized and CBPE-estimated per window) and the open alerts, from one monitoring run (read only: raises nothing).</summary>
    internal static async Task<IResult> MonitoringAsync(string? window, string? slot, MonitoringService monitoring, MonitoringOptions options, IMonitoringAlerts alerts,
        ILeadStore store, CancellationToken ct)
    {
        if (MonitoringEndpoints.Parse(window, null, slot, null, options, out var request) is { } bad) return bad;
        var result = await monitoring.RunAsync(request, ct);
        var stored = await alerts.ListAlertsAsync(null, 100, ct);
        // A feature's importance is the model card's (AUC lost when it is shuffled on held-out rows): what a drift in it can cost.
        var importance = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (result.ModelVersion is { } version && await store.GetModelAsync(version, ct) is { } model)
        {
            var card = Mapping.CardElement(model.CardJson);
            if (card.ValueKind == JsonValueKind.Object && card.TryGetProperty("importance", out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var i in list.EnumerateArray())
                    if (i.TryGetProperty("feature", out var f) && f.ValueKind == JsonValueKind.String && i.TryGetProperty("auc_drop", out var d) && d.ValueKind == JsonValueKind.Number)
                        importance[f.GetString()!] = d.GetDouble();
        }
        return Json(new MonitoringPageResponse(MonitoringViews.Drift(result), MonitoringViews.Performance(result), stored.Select(MonitoringViews.Alert).ToList(), importance),
            DashboardJsonContext.Default.MonitoringPageResponse);
    }

    /// <summary>Champion, challenger (with its mode, share and latest look), the lifecycle history with each gate's rules, and the retraining policy.</summary>
    internal static async Task<IResult> LifecycleAsync(HttpContext http, ILeadStore store, LifecycleHistory history, LifecycleStateStore states, RetrainingPolicyService policies, CancellationToken ct)
    {
        var champion = await store.GetAliasAsync(ModelAliases.Champion, ct);
        var challenger = await store.GetAliasAsync(ServingModels.ChallengerAlias, ct);
        var shadow = await store.GetAliasAsync(ServingModels.ShadowAlias, ct);
        var state = await states.GetAsync(ct);
        var (policy, version) = await policies.GetAsync(ct);
        ChallengerView? challengerView = null;
        var contender = challenger ?? shadow;
        if (contender is not null)
        {
            var c = state.Challenge is { } s && s.Version == contender ? s : null;
            var looks = await history.EvaluationsOfAsync(contender, ct);
            var latest = looks.LastOrDefault(e => e.Kind == "challenge");
            challengerView = new ChallengerView(contender, c?.Mode ?? (challenger is not null ? policy.Challenger.Mode : "shadow"),
                c is { Mode: "split" } ? c.SplitPercent : null, c?.StartedAt, c?.Looks ?? 0, c?.AlphaSpent, latest is null ? null : Evaluation(latest));
        }
        var events = await history.ListAsync(null, 1000, ct);
        var rows = new List<LifecycleRow>(events.Count);
        foreach (var e in events.Reverse())
        {
            var evaluation = e.EvaluationId is null ? null : await history.GetEvaluationAsync(e.EvaluationId, ct);
            rows.Add(new LifecycleRow(LifecycleEventView.From(e), evaluation is null ? null : Evaluation(evaluation)));
        }
        using var policyJson = JsonDocument.Parse(policy.ToJson());
        return Json(new LifecyclePageResponse(champion, challengerView, state.Watch is { } w ? new WatchView(w.Version, w.Previous, w.PromotedAt, w.Looks) : null,
            rows, policyJson.RootElement.Clone(), version, DashboardAuth.Holds(http.User, ApiScopes.Admin)), DashboardJsonContext.Default.LifecyclePageResponse);
    }

    private static EvaluationView Evaluation(ModelEvaluation e)
    {
        using var figures = JsonDocument.Parse(string.IsNullOrWhiteSpace(e.FiguresJson) ? "{}" : e.FiguresJson);
        using var rules = JsonDocument.Parse(string.IsNullOrWhiteSpace(e.RulesJson) ? "[]" : e.RulesJson);
        return new EvaluationView(e.Id, e.At, e.Kind, e.Candidate, e.Champion, e.Passed, e.Rows, e.Summary, figures.RootElement.Clone(), rules.RootElement.Clone());
    }

    /// <summary>Replaces the policy: the very handler (parse, validate, save) of PUT /api/v1/policy.</summary>
    internal static Task<Results<ContentHttpResult, ValidationProblem>> SavePolicyAsync(HttpRequest request, RetrainingPolicyService policies, HttpResponse response, CancellationToken ct) =>
        LifecycleEndpoints.PutPolicyAsync(request, policies, response, ct);

    /// <summary>The champion's fairness section of its model card (null on cards before fairness), as stored: groups below the minimum carry no figures.</summary>
    internal static async Task<IResult> GovernanceAsync(ILeadStore store, CancellationToken ct)
    {
        var champion = await store.GetAliasAsync(ModelAliases.Champion, ct);
        JsonElement? fairness = null;
        if (champion is not null && await store.GetModelAsync(champion, ct) is { } model)
        {
            var card = Mapping.CardElement(model.CardJson);
            if (card.ValueKind == JsonValueKind.Object && card.TryGetProperty("fairness", out var f) && f.ValueKind == JsonValueKind.Object) fairness = f.Clone();
        }
        return Json(new GovernancePageResponse(champion, fairness), DashboardJsonContext.Default.GovernancePageResponse);
    }

    /// <summary>Audit entries, newest first, by action (as the API filters) and by actor (a part of its name, any case).</summary>
    internal static async Task<IResult> AuditAsync(string? action, string? actor, AuditLog audit, CancellationToken ct)
    {
        action = string.IsNullOrWhiteSpace(action) ? null : action.Trim();
        actor = string.IsNullOrWhiteSpace(actor) ? null : actor.Trim();
        if (action is { Length: > 100 }) return ApiResults.Invalid("action", "is at most 100 characters");
        if (actor is { Length: > 200 }) return ApiResults.Invalid("actor", "is at most 200 characters");
        var entries = await audit.ListAsync(null, action, null, actor is null ? AuditShown + 1 : AuditScanned, ct);
        var matching = actor is null ? entries : entries.Where(e => e.Actor.Contains(actor, StringComparison.OrdinalIgnoreCase)).ToList();
        return Json(new AuditPageResponse(matching.Take(AuditShown).Select(AuditView.From).ToList(), matching.Count > AuditShown), DashboardJsonContext.Default.AuditPageResponse);
    }

    internal static async Task<IResult> VerifyAuditAsync(AuditLog audit, CancellationToken ct)
    {
        var v = await audit.VerifyAsync(ct);
        return Json(new AuditVerifyResponse(v.Ok, v.Entries, v.BrokenAt, v.Reason, v.Head), DashboardJsonContext.Default.AuditVerifyResponse);
    }

    /// <summary>Everything held about the lead as a JSON download (audited by <see cref="PrivacyService.ExportAsync"/>).</summary>
    internal static async Task<IResult> ExportAsync(string? id, PrivacyService privacy, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id)) return ApiResults.Invalid("id", "the lead id is required");
        var document = await privacy.ExportAsync(id, ct);
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(document), "application/json; charset=utf-8", "lead-" + SafeFileName(id) + ".json");
    }

    private static string SafeFileName(string id) =>
        string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')) is { Length: > 0 and <= 80 } s ? s : "export";

    internal static async Task<IResult> OptAsync(string? id, bool optOut, PrivacyService privacy, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id)) return ApiResults.Invalid("id", "the lead id is required");
        await privacy.SetOptOutAsync(id, optOut, ct);
        return Json(new OptOutResponse(id, optOut), DashboardJsonContext.Default.OptOutResponse);
    }

    /// <summary>
    /// One import's unresolved quarantined rows as a re-importable file (the original header, then the raw rows), from the
    /// CLI's <c>quarantine export</c> (<see cref="ImportService.ExportQuarantineAsync"/>). Built before the answer starts, so
    /// a refusal is still a problem answer.
    /// </summary>
    internal static async Task<IResult> ExportQuarantineAsync(string? import, ImportService imports, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(import)) return ApiResults.Invalid("import", "the import id is required: export one import's rows at a time");
        var text = new StringWriter();
        await imports.ExportQuarantineAsync(import, text, ct);
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(text.ToString()), "text/csv; charset=utf-8", "quarantine-" + SafeFileName(import) + ".csv");
    }

    /// <summary>Re-validates one import's quarantined rows and stores those that now pass, re-scoring what they touch: the CLI's <c>quarantine retry</c> (<see cref="IngestionService.RetryQuarantineAsync"/>).</summary>
    internal static async Task<IResult> RetryQuarantineAsync(string? import, IngestionService ingestion, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(import)) return ApiResults.Invalid("import", "the import id is required");
        var r = await ingestion.RetryQuarantineAsync(import, null, ct);
        var s = r.Summary;
        return Json(new RetryResponse(s.ImportId, s.RowsRead, s.Inserted, s.Updated, s.Unchanged, s.Rejected, r.Rescored), DashboardJsonContext.Default.RetryResponse);
    }

    /// <summary>Erases a lead once the user has typed its id again (<c>confirm</c>): the one irreversible action, so a slip of the mouse cannot do it.</summary>
    internal static async Task<IResult> EraseAsync(string? id, string? confirm, PrivacyService privacy, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id)) return ApiResults.Invalid("id", "the lead id is required");
        if (!string.Equals(confirm, id, StringComparison.Ordinal)) return ApiResults.Invalid("confirm", "type the lead's id exactly to confirm the erasure");
        var r = await privacy.EraseAsync(id, ct);
        return Json(new ErasureResponse(r.LeadId, r.Erased, r.ModelsTrainedWith, r.FilesEdited.Count, r.FilesDeleted.Count, r.Notes), DashboardJsonContext.Default.ErasureResponse);
    }
}
