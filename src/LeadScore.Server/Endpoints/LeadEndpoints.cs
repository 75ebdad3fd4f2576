using System.Globalization;
using System.Text;
using LeadScore.Core;
using LeadScore.Server.Api;
using LeadScore.Application.Exports;
using LeadScore.Application.Governance;
using LeadScore.Server.Auth;
using LeadScore.Application.Scoring;
using LeadScore.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Endpoints;

/// <summary>Stored leads with their latest score, score history, the best leads, and a CSV export for the CRM.</summary>
public static class LeadEndpoints
{
    public const int MaxListLimit = 1000;

    public static RouteGroupBuilder MapLeadEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("/leads", ApiScopes.Score, "Leads");
        g.MapGet("", ListAsync)
            .WithName("ListLeads").WithSummary("The best-scored open leads with status and company: ?grade=A&sort=score&limit=50 (limit 1-1000); ?status=open (default), won, lost, closed (won or lost) or all.");
        g.MapGet("/export", Export)
            .WithName("ExportLeads").WithSummary("Streams the open leads as CSV (id, status, company, score, grade, probability, model, top reasons) for a CRM import; ?status=won, lost, closed or all for others.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        g.MapGet("/{id}", GetAsync)
            .WithName("GetLead").WithSummary("A lead with its status (open, won, lost), company, latest score and reasons.");
        g.MapGet("/{id}/scores", HistoryAsync)
            .WithName("GetLeadScores").WithSummary("A lead's score history, newest first, each with its cause (new data, new model, time passing) and model version.");
        return g;
    }

    /// <summary>
    /// The lead id as the client sent it. Lead ids may hold '/', sent as %2F; the server leaves %2F encoded in the path
    /// (and decodes %25 to %, so %2F and %252F look alike there), hence the id is decoded here from the raw request target.
    /// </summary>
    internal static string LeadId(HttpContext context, string routeValue) => LeadId(context, routeValue, "/leads/");

    /// <summary>As <see cref="LeadId(HttpContext, string)"/> for a route whose id follows <c>/api/v1</c> + <paramref name="prefix"/>.</summary>
    internal static string LeadId(HttpContext context, string routeValue, string prefix)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is null || !raw.StartsWith('/')) return routeValue;
        var path = raw.AsSpan();
        if (path.IndexOfAny('?', '#') is var q and >= 0) path = path[..q];
        var full = context.Request.PathBase.Value + "/api/v1" + prefix;
        if (!path.StartsWith(full, StringComparison.OrdinalIgnoreCase)) return routeValue;
        var rest = path[full.Length..];
        if (rest.IndexOf('/') is var slash and >= 0) rest = rest[..slash];
        try { return Uri.UnescapeDataString(rest.ToString()); }
        catch (UriFormatException) { return routeValue; }
    }

    /// <summary>True when the caller's key may read personal fields (the personal_data scope, or admin).</summary>
    internal static bool MayReadPersonal(HttpContext context) =>
        context.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.PersonalData) || context.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.Admin);

    internal static async Task<Results<Ok<LeadResponse>, ProblemHttpResult>> GetAsync(string id, HttpContext context, ILeadStore store, PersonalFields personal,
        AuditLog audit, CancellationToken ct)
    {
        id = LeadId(context, id);
        var lead = await store.GetLeadAsync(id, ct);
        if (lead is null) return ApiResults.NotFound($"lead '{id}' not found");
        var score = await store.GetLatestScoreAsync(id, ct);
        var status = LeadStatusRule.Of(await store.GetOutcomesAsync(id, ct));
        var names = await personal.NamesAsync(ct);
        var withPersonal = MayReadPersonal(context);
        var holdsPersonal = lead.Attributes.Keys.Any(names.Contains);
        // A read of personal data is audited; a read without it (scores and reasons only) is not.
        if (withPersonal && holdsPersonal) await audit.RecordLeadAsync(AuditActions.PersonalRead, id, new Dictionary<string, object?> { ["via"] = "api" }, ct: ct);
        return TypedResults.Ok(new LeadResponse
        {
            Id = lead.Id,
            CreatedAt = lead.CreatedAt,
            UpdatedAt = lead.UpdatedAt,
            Attributes = withPersonal ? lead.Attributes : PersonalFields.Without(lead.Attributes, names),
            PersonalFieldsHidden = !withPersonal && holdsPersonal,
            ProfilingOptOut = lead.ProfilingOptOut,
            Status = status,
            Company = CompanyOf(lead.Attributes.GetValueOrDefault(LeadFields.Company), names, withPersonal),
            Score = score is null ? null : ScoreView.From(score, horizonDays: await ModelHorizons.OfAsync(store, score.ModelVersion, ct)),
        });
    }

    internal static async Task<Results<Ok<ScoreHistoryResponse>, ProblemHttpResult>> HistoryAsync(string id, HttpContext context, ILeadStore store, CancellationToken ct)
    {
        id = LeadId(context, id);
        if (await store.GetLeadAsync(id, ct) is null) return ApiResults.NotFound($"lead '{id}' not found");
        var history = await store.GetScoreHistoryAsync(id, ct);
        return TypedResults.Ok(new ScoreHistoryResponse(id, history.Select(s => ScoreView.From(s)).ToList()));
    }

    internal static async Task<Results<Ok<LeadListResponse>, ValidationProblem>> ListAsync(
        string? grade, string? sort, string? limit, string? status, HttpContext context, ILaggingReads reads, PersonalFields personal, TimeProvider time, CancellationToken ct)
    {
        if (sort is not null && sort != "score") return ApiResults.Invalid("sort", "only 'score' (best first) is supported");
        if (!LeadStatusFilter.TryParse(status, out var statuses)) return ApiResults.Invalid("status", $"must be {LeadStatusFilter.Names} (default open)");
        var n = 50;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > MaxListLimit))
            return ApiResults.Invalid("limit", $"must be a whole number from 1 to {MaxListLimit}");
        if (grade is not null && (grade.Length is 0 or > 2 || !grade.All(char.IsAsciiLetter)))
            return ApiResults.Invalid("grade", "must be a grade letter such as A, B, C or D");
        var page = await reads.ListLeadPageAsync(new LeadPageQuery { Grade = grade?.ToUpperInvariant(), Statuses = statuses, Limit = n, TrendAsOf = Dashboard.ScoreTrend.AsOf(time), WithReasons = false }, ct);
        var names = await personal.NamesAsync(ct);
        var withPersonal = MayReadPersonal(context);
        return TypedResults.Ok(new LeadListResponse(page.Items.Select(i => new LeadListItem(i.Score.LeadId, i.Score.Probability, i.Score.Score, i.Score.Grade,
            i.Score.ModelVersion, i.Score.ScoredAt, LeadStatusRule.NameOf(i.Status), CompanyOf(i.Company, names, withPersonal),
            i.ScoreThen, Dashboard.ScoreTrend.Change(i.Score.Score, i.ScoreThen))).ToList()));
    }

    /// <summary>The company as a caller may read it: hidden when the lead schema marks it personal and the key lacks personal_data.</summary>
    internal static string? CompanyOf(string? company, IReadOnlySet<string> personalNames, bool withPersonal) =>
        withPersonal || !personalNames.Contains(LeadFields.Company) ? company : null;

    internal static async Task<Results<PushStreamHttpResult, ValidationProblem>> Export(string? format, string? pseudonymise, string? status, HttpContext context,
        ILeadStore store, ILaggingReads reads, PrivacyKeys keys, PersonalFields personal, AuditLog audit, CancellationToken ct)
    {
        if (format is not null && !string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase))
            return ApiResults.Invalid("format", "only csv is supported");
        var pseudo = false;
        if (pseudonymise is not null && !ScoringEndpoints.TryParseExplain(pseudonymise, out pseudo))
            return ApiResults.Invalid("pseudonymise", "must be true or false");
        if (!LeadStatusFilter.TryParse(status, out var statuses)) return ApiResults.Invalid("status", $"must be {LeadStatusFilter.Names} (default open)");
        Func<string, string>? pseudonym = pseudo ? await keys.PseudonymiserAsync(ct) : null;
        var names = await personal.NamesAsync(ct);
        // A company the schema marks personal: its pseudonym in a pseudonymised export, left out for a key without personal_data.
        var company = !names.Contains(LeadFields.Company) ? CompanyColumn.AsIs : pseudo ? CompanyColumn.Pseudonym : MayReadPersonal(context) ? CompanyColumn.AsIs : CompanyColumn.Hidden;
        await audit.RecordAsync(AuditActions.Export, AuditTargets.Leads, "*", new Dictionary<string, object?>
        {
            ["format"] = "csv", ["pseudonymised"] = pseudo, ["status"] = status ?? LeadStatusFilter.Default, ["via"] = "api",
        }, ct: ct);
        return TypedResults.Stream(body => WriteCsvAsync(store, reads, body, pseudonym, statuses, company, context.RequestAborted), "text/csv; charset=utf-8", "leads.csv");
    }

    internal enum CompanyColumn { AsIs, Pseudonym, Hidden }

    /// <summary>
    /// The leads <paramref name="statuses"/> keeps (null: all), by id, with status, company and latest score (empty for leads
    /// not scored yet). One merge over the leads, scores and outcomes streams, so memory holds one lead whatever their number.
    /// </summary>
    /// <param name="pseudonym">When given, each lead id is replaced by its keyed pseudonym (equal ids, equal pseudonyms).</param>
    /// <param name="models">Where each model's horizon is read (the primary: a model just trained may not be on the replica yet).</param>
    /// <param name="reads">The leads, scores and outcomes streams (the read replica when one is configured).</param>
    internal static async Task WriteCsvAsync(IModelStore models, ILaggingReads reads, Stream body, Func<string, string>? pseudonym = null,
        IReadOnlySet<LeadStatus>? statuses = null, CompanyColumn company = CompanyColumn.AsIs, CancellationToken ct = default)
    {
        await using var w = new StreamWriter(body, new UTF8Encoding(false), 64 * 1024);
        // Each model version's horizon, read once from its card (empty for models without one).
        var horizons = new Dictionary<string, string>(StringComparer.Ordinal);
        await w.WriteAsync("lead_id,status,company,score,grade,probability,model_version,scored_at,reason_1,reason_2,reason_3,horizon_days\n");
        var line = new StringBuilder(256);
        var rows = 0;
        await foreach (var (lead, status, s) in LeadStatusRule.StoredLeadsAsync(reads, statuses, ct))
        {
            line.Clear();
            Csv(line, pseudonym is null ? lead.Id : pseudonym(lead.Id));
            line.Append(',').Append(status).Append(',');
            var name = lead.Attributes.GetValueOrDefault(LeadFields.Company);
            if (name is not null && company != CompanyColumn.Hidden) Csv(line, company == CompanyColumn.Pseudonym && pseudonym is not null ? pseudonym(name) : name);
            if (s is not null)
            {
                if (!horizons.TryGetValue(s.ModelVersion, out var horizon))
                    horizons[s.ModelVersion] = horizon = await ModelHorizons.OfAsync(models, s.ModelVersion, ct) is { } h ? h.ToString("0.##", CultureInfo.InvariantCulture) : "";
                line.Append(',').Append(s.Score.ToString(CultureInfo.InvariantCulture))
                    .Append(',').Append(s.Grade)
                    .Append(',').Append(s.Probability.ToString("0.######", CultureInfo.InvariantCulture))
                    .Append(',');
                Csv(line, s.ModelVersion);
                line.Append(',').Append(s.ScoredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                var reasons = StoredReasons.Read(s.ReasonsJson);
                for (var i = 0; i < 3; i++)
                {
                    line.Append(',');
                    if (i < reasons.Count) Csv(line, reasons[i].Text);
                }
                line.Append(',').Append(horizon);
            }
            else line.Append(",,,,,,,,,");
            line.Append('\n');
            await w.WriteAsync(line, ct);
            if (++rows % 1000 == 0) await w.FlushAsync(ct);
        }
    }

    private static void Csv(StringBuilder sb, string value) => CsvText.Append(sb, value);
}
