using System.Globalization;
using LeadScore.Application.Governance;
using LeadScore.Core;
using LeadScore.Server.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Endpoints;

/// <summary>
/// The rights of the person under the <c>privacy</c> scope (erase, export, opt out, opt in: <see cref="PrivacyService"/>),
/// and the audit log under <c>admin</c>.
/// </summary>
public static class GovernanceEndpoints
{
    private const string PrivacyPrefix = "/privacy/leads/";

    public static IEndpointRouteBuilder MapGovernanceEndpoints(this IEndpointRouteBuilder app)
    {
        var privacy = app.MapApiGroup("/privacy", ApiScopes.Privacy, "Privacy");
        privacy.MapDelete("/leads/{id}", EraseAsync)
            .WithName("EraseLead").WithSummary("Erases everything stored about a lead (GDPR art. 17, CCPA delete): rows, workspace files, training sets; lists the models trained with it.");
        privacy.MapGet("/leads/{id}/export", ExportAsync)
            .WithName("ExportLeadData").WithSummary("Everything held about a lead as one JSON document (GDPR art. 15 and 20).")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        privacy.MapPost("/leads/{id}/opt-out", (string id, HttpContext c, PrivacyService s, CancellationToken ct) => SetOptOutAsync(id, true, c, s, ct))
            .WithName("OptOutOfProfiling").WithSummary("The lead opts out of profiling (GDPR art. 21, CCPA opt-out): not scored, re-scored, trained on or sent to webhooks.");
        privacy.MapPost("/leads/{id}/opt-in", (string id, HttpContext c, PrivacyService s, CancellationToken ct) => SetOptOutAsync(id, false, c, s, ct))
            .WithName("OptInToProfiling").WithSummary("Reverses an opt-out: the lead is scored again from the next re-score.");

        var audit = app.MapApiGroup("/audit", ApiScopes.Admin, "Audit");
        audit.MapGet("", ListAuditAsync)
            .WithName("ListAudit").WithSummary("Audit entries, newest first: ?since=2026-12-01&action=privacy.erase&lead=ID&limit=100 (limit 1-10000).");
        audit.MapGet("/verify", VerifyAsync)
            .WithName("VerifyAudit").WithSummary("Checks the hash chain of the whole audit log; names the first broken entry.");
        return app;
    }

    private static string Id(HttpContext c, string routeValue) => LeadEndpoints.LeadId(c, routeValue, PrivacyPrefix);

    internal static async Task<Results<Ok<ErasureResponse>, ProblemHttpResult>> EraseAsync(string id, HttpContext context, PrivacyService privacy, CancellationToken ct)
    {
        var r = await privacy.EraseAsync(Id(context, id), ct);
        // File paths stay on the server: the caller learns how many, not where.
        return TypedResults.Ok(new ErasureResponse(r.LeadId, r.Erased, r.ModelsTrainedWith, r.FilesEdited.Count, r.FilesDeleted.Count, r.Notes));
    }

    internal static async Task<IResult> ExportAsync(string id, HttpContext context, PrivacyService privacy, CancellationToken ct) =>
        TypedResults.Text(await privacy.ExportAsync(Id(context, id), ct), "application/json; charset=utf-8");

    internal static async Task<Ok<OptOutResponse>> SetOptOutAsync(string id, bool optOut, HttpContext context, PrivacyService privacy, CancellationToken ct)
    {
        id = Id(context, id);
        await privacy.SetOptOutAsync(id, optOut, ct);
        return TypedResults.Ok(new OptOutResponse(id, optOut));
    }

    internal static async Task<Results<Ok<AuditListResponse>, ValidationProblem>> ListAuditAsync(string? since, string? action, string? lead, string? limit, AuditLog audit, CancellationToken ct)
    {
        DateTimeOffset? from = null;
        if (since is not null)
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
                return ApiResults.Invalid("since", "must be a date (2026-12-01) or an ISO 8601 time");
            from = t;
        }
        var n = 100;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > 10_000))
            return ApiResults.Invalid("limit", "must be a whole number from 1 to 10000");
        if (lead is { Length: 0 }) return ApiResults.Invalid("lead", "must not be empty");
        var entries = await audit.ListAsync(from, action, lead, n, ct);
        return TypedResults.Ok(new AuditListResponse(entries.Select(AuditView.From).ToList()));
    }

    internal static async Task<Ok<AuditVerifyResponse>> VerifyAsync(AuditLog audit, CancellationToken ct)
    {
        var v = await audit.VerifyAsync(ct);
        return TypedResults.Ok(new AuditVerifyResponse(v.Ok, v.Entries, v.BrokenAt, v.Reason, v.Head));
    }
}

public sealed record ErasureResponse(string LeadId, bool Erased, IReadOnlyList<string> ModelsTrainedWith, int FilesEdited, int FilesDeleted, IReadOnlyList<string> Notes);

public sealed record OptOutResponse(string LeadId, bool ProfilingOptOut);

public sealed record AuditView(long Sequence, DateTimeOffset At, string Actor, string Action, string TargetKind, string TargetId, System.Text.Json.JsonElement Details, string PrevHash, string Hash)
{
    public static AuditView From(AuditEntry e)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(e.Details);
        return new(e.Sequence, e.At, e.Actor, e.Action, e.TargetKind, e.TargetId, doc.RootElement.Clone(), e.PrevHash, e.Hash);
    }
}

public sealed record AuditListResponse(IReadOnlyList<AuditView> Entries);

public sealed record AuditVerifyResponse(bool Ok, long Entries, long? BrokenAt, string? Reason, string? Head);
