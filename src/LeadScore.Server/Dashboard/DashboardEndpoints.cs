using System.Globalization;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Exports;
using LeadScore.Application.Governance;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Server.Api;
using LeadScore.Server.Auth;
using LeadScore.Server.Observability;
using LeadScore.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LeadScore.Server.Dashboard;

/// <summary>
/// The dashboard: one page at <c>/</c> (plain HTML, CSS and JavaScript, embedded), the sign-in/sign-out form posts, and
/// the read and action routes its pages call under <c>/dashboard/api</c>. Dedicated routes rather than the cookie on
/// <c>/api/v1</c>: the public API keeps one credential (the key header, immune to CSRF), and these routes answer in the
/// shape a page needs (a lead with its history, activities and outcome in one call; a page of leads with status and
/// top reason) instead of the CRM-facing shapes. Writes go through the same use cases as the API (<see cref="ModelLifecycle"/>).
/// </summary>
public static class DashboardEndpoints
{
    public const int PageSize = 50;
    public const int MaxExportRows = 100_000;
    private const int RecentActivities = 100;
    private const int QuarantineShown = 200;

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var assets = app.ServiceProvider.GetRequiredService<DashboardAssets>();
        app.MapGet("/", (HttpContext c) => assets.Serve("index.html", c)).ExcludeFromDescription();

        var g = app.MapGroup(DashboardAuth.CookiePath).AddEndpointFilter(DashboardAuth.Filter).ExcludeFromDescription();
        g.MapGet("/app.js", (HttpContext c) => assets.Serve("app.js", c));
        g.MapGet("/app.css", (HttpContext c) => assets.Serve("app.css", c));
        g.MapPost("/session", SignInAsync);
        g.MapPost("/session/end", (Delegate)SignOutAsync);

        var api = g.MapGroup("/api");
        api.AddEndpointFilter(async (ctx, next) =>
        {
            // Personal data and session state: never kept by a browser or proxy cache. The exact value anti-forgery sets
            // itself, so it does not log a warning for overriding ours on every session call.
            ctx.HttpContext.Response.Headers.CacheControl = "no-cache, no-store";
            DashboardAssets.SecurityHeaders(ctx.HttpContext.Response);
            return await next(ctx);
        });
        api.MapGet("/session", Session);
        api.MapGet("/leads", ListLeadsAsync).WithMetadata(new RequiredScope(ApiScopes.Score));
        api.MapGet("/leads.csv", ExportLeadsAsync).WithMetadata(new RequiredScope(ApiScopes.Score));
        api.MapGet("/lead", GetLeadAsync).WithMetadata(new RequiredScope(ApiScopes.Score));
        api.MapGet("/models", ListModelsAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapGet("/model", GetModelAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapPost("/models/promote", PromoteAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapPost("/models/rollback", RollbackAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapGet("/data", DataAsync).WithMetadata(new RequiredScope(ApiScopes.Ingest));
        api.MapGet("/settings", SettingsAsync).WithMetadata(new RequiredScope(ApiScopes.Admin));
        api.MapDashboardOperations();
        return app;
    }

    private static IResult Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) => TypedResults.Json(value, type);

    internal static IResult Session(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var user = http.User;
        var signedIn = user.Identity?.IsAuthenticated == true;
        DateTimeOffset? expires = null;
        if (signedIn && http.Items[DashboardAuth.SessionItem] is AuthenticateResult { Properties.ExpiresUtc: { } e }) expires = e;
        return Json(new SessionResponse(signedIn, signedIn ? user.Identity!.Name : null,
            signedIn ? user.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value : null,
            signedIn ? DashboardAuth.Scopes(user) : [], tokens.RequestToken ?? "", expires), DashboardJsonContext.Default.SessionResponse);
    }

    /// <summary>
    /// The sign-in form's post: the key is checked exactly as the API checks it (hash lookup through the key cache, the
    /// same per-address limit on wrong keys), then exchanged for the session cookie. Answers with a redirect either way,
    /// so the key never shows in a URL, a page or a log.
    /// </summary>
    internal static async Task<IResult> SignInAsync(HttpContext http, ApiKeyCache keys, FailedAuthLimiter limiter, TimeProvider time, CancellationToken ct)
    {
        var form = await http.Request.ReadFormAsync(ct);
        var key = form["key"].ToString().Trim();
        var client = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (key.Length == 0) return TypedResults.Redirect("/?signin=empty");
        if (limiter.IsLimited(client) && !keys.WasValid(key)) return TypedResults.Redirect("/?signin=limited");
        var ticket = await keys.FindAsync(key, ct);
        if (ticket is null)
        {
            limiter.Failed(client);
            return TypedResults.Redirect("/?signin=failed");
        }
        await http.SignInAsync(DashboardAuth.Scheme, DashboardAuth.SessionFor(ticket), new AuthenticationProperties
        {
            IsPersistent = true,
            ExpiresUtc = time.GetUtcNow() + DashboardAuth.Lifetime,
            AllowRefresh = false,
        });
        return TypedResults.Redirect("/#/leads");
    }

    internal static async Task<IResult> SignOutAsync(HttpContext http)
    {
        await http.SignOutAsync(DashboardAuth.Scheme);
        return TypedResults.Redirect("/?signin=out");
    }

    /// <summary>Reads the leads page's query string; null with a message when a value is not one the page offers.</summary>
    internal static (LeadPageQuery? Query, int Page, string? Error) ParseLeadQuery(string? grade, string? status, string? source, string? q, string? sort, string? page, int limit)
    {
        grade = string.IsNullOrWhiteSpace(grade) ? null : grade.Trim().ToUpperInvariant();
        if (grade is not null && (grade.Length > 2 || !grade.All(char.IsAsciiLetter))) return (null, 0, "grade must be a grade letter such as A, B, C or D");
        // The dashboard shows every lead unless a status is picked (its filter and status column are on screen); the API and
        // exports default to open leads. One parser for the values either way.
        IReadOnlySet<LeadStatus>? st = null;
        if (!string.IsNullOrWhiteSpace(status) && !LeadStatusFilter.TryParse(status, out st)) return (null, 0, $"status must be {LeadStatusFilter.Names}");
        LeadSort? order = sort switch
        {
            null or "" or "score_desc" => LeadSort.ScoreDescending,
            "score_asc" => LeadSort.ScoreAscending,
            "created_desc" => LeadSort.CreatedDescending,
            "created_asc" => LeadSort.CreatedAscending,
            _ => null,
        };
        if (order is null) return (null, 0, "sort must be score_desc, score_asc, created_desc or created_asc");
        var p = 1;
        if (!string.IsNullOrEmpty(page) && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out p) || p < 1 || p > 100_000))
            return (null, 0, "page must be a whole number from 1");
        if (q is { Length: > 200 }) return (null, 0, "search is at most 200 characters");
        return (new LeadPageQuery
        {
            Grade = grade, Statuses = st, Source = string.IsNullOrWhiteSpace(source) ? null : source.Trim(), Search = string.IsNullOrWhiteSpace(q) ? null : q.Trim(),
            Sort = order.Value, Offset = (p - 1) * limit, Limit = limit,
        }, p, null);
    }

    /// <summary>
    /// The segment (any attribute equal to a value) and the email search, which needs the personal_data scope: an email is
    /// personal data, and a key that may not read it may not probe for it either. Null when fine, else the answer to give.
    /// </summary>
    internal static IResult? Narrow(ref LeadPageQuery query, string? segment, string? value, string? email, HttpContext http)
    {
        if (!string.IsNullOrWhiteSpace(segment))
        {
            segment = segment.Trim();
            if (!SqlLeadStore.IsAttributeName(segment)) return ApiResults.Invalid("segment", "must be an attribute name (letters, digits, _ or -, at most 64)");
            if (value is { Length: > 200 }) return ApiResults.Invalid("value", "is at most 200 characters");
            query = query with { SegmentAttribute = segment, SegmentValue = value?.Trim() ?? "" };
        }
        if (!string.IsNullOrWhiteSpace(email))
        {
            if (!DashboardAuth.Holds(http.User, ApiScopes.PersonalData))
                return TypedResults.Problem($"Searching by email needs the '{ApiScopes.PersonalData}' scope.", statusCode: StatusCodes.Status403Forbidden, title: "Missing scope");
            if (email.Length > 320) return ApiResults.Invalid("email", "is at most 320 characters");
            query = query with { Email = email.Trim() };
        }
        return null;
    }

    internal static async Task<IResult> ListLeadsAsync(string? grade, string? status, string? source, string? q, string? sort, string? page,
        string? segment, string? value, string? email, HttpContext http, ILeadStore store, ILaggingReads reads, TimeProvider time, CancellationToken ct)
    {
        var (parsed, p, error) = ParseLeadQuery(grade, status, source, q, sort, page, PageSize);
        if (parsed is null) return ApiResults.Invalid("query", error!);
        var query = parsed;
        if (Narrow(ref query, segment, value, email, http) is { } refused) return refused;
        query = query with { TrendAsOf = ScoreTrend.AsOf(time) };
        var started = time.GetTimestamp();
        var result = await reads.ListLeadPageAsync(query, ct);
        // The database time of the page, for the browser's developer tools and the README's figure.
        http.Response.Headers["Server-Timing"] = $"db;dur={time.GetElapsedTime(started).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)}";
        // The segments the page offers: the imported lead schema's categorical columns that are not personal.
        var segments = (await LeadScore.Application.Ingestion.LeadSchema.GetAsync(store, ct))
            .Where(c => c.Kind == ColumnKind.Categorical && !c.IsPersonal && SqlLeadStore.IsAttributeName(c.Name)).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        return Json(new LeadPageResponse(result.Items.Select(ToRow).ToList(), p, PageSize, result.HasMore, segments), DashboardJsonContext.Default.LeadPageResponse);
    }

    private static LeadRow ToRow(LeadPageItem i) =>
        new(i.Score.LeadId, i.Score.Score, i.Score.Grade, i.Score.Probability, TopReason(i.Score.ReasonsJson), StatusName(i.Status), i.Source, i.Company, i.CreatedAt,
            i.ScoreThen, ScoreTrend.Change(i.Score.Score, i.ScoreThen));

    /// <summary>The reason that adds the most points, in words (the one a seller reads first).</summary>
    internal static string? TopReason(string reasonsJson)
    {
        Reason? best = null;
        foreach (var r in StoredReasons.Read(reasonsJson))
            if (best is null || r.Points > best.Points) best = r;
        return best?.Text;
    }

    private static string StatusName(LeadStatus s) => LeadStatusRule.NameOf(s);

    /// <summary>
    /// The current view (same filters and order), every page of it up to <see cref="MaxExportRows"/>, as CSV through the
    /// guarded cell writer. <c>trend_7d</c> is the points since a week ago, empty for a lead with no score then.
    /// </summary>
    internal static async Task<IResult> ExportLeadsAsync(string? grade, string? status, string? source, string? q, string? sort,
        string? segment, string? value, string? email, HttpContext http, ILaggingReads reads, TimeProvider time, CancellationToken ct)
    {
        const int batch = 1000;
        var (parsed, _, error) = ParseLeadQuery(grade, status, source, q, sort, null, batch);
        if (parsed is null) return ApiResults.Invalid("query", error!);
        var query = parsed;
        if (Narrow(ref query, segment, value, email, http) is { } refused) return refused;
        query = query with { TrendAsOf = ScoreTrend.AsOf(time) };
        return TypedResults.Stream(async body =>
        {
            await using var w = new StreamWriter(body, new UTF8Encoding(false), 64 * 1024);
            await w.WriteAsync("lead_id,company,source,score,grade,probability,status,top_reason,created_at,trend_7d\n");
            var line = new StringBuilder(256);
            for (var offset = 0; offset < MaxExportRows; offset += batch)
            {
                var page = await reads.ListLeadPageAsync(query with { Offset = offset }, ct);
                foreach (var i in page.Items)
                {
                    var r = ToRow(i);
                    line.Clear();
                    CsvText.Append(line, r.Id); line.Append(',');
                    CsvText.Append(line, r.Company); line.Append(',');
                    CsvText.Append(line, r.Source); line.Append(',');
                    line.Append(r.Score.ToString(CultureInfo.InvariantCulture)).Append(',');
                    CsvText.Append(line, r.Grade); line.Append(',');
                    line.Append(r.Probability.ToString("0.######", CultureInfo.InvariantCulture)).Append(',');
                    line.Append(r.Status).Append(',');
                    CsvText.Append(line, r.TopReason); line.Append(',');
                    line.Append(r.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append(',');
                    if (r.Trend7d is { } trend) line.Append(trend.ToString(CultureInfo.InvariantCulture));
                    line.Append('\n');
                    await w.WriteAsync(line, ct);
                }
                await w.FlushAsync(ct);
                if (!page.HasMore) break;
            }
        }, "text/csv; charset=utf-8", "leads.csv");
    }

    /// <remarks>
    /// Personal fields (<see cref="PersonalFields"/>) are shown to a session whose key holds the personal_data scope (or
    /// admin), and each such view is audited; other sessions see the lead without them (<c>personal_fields_hidden</c>).
    /// </remarks>
    internal static async Task<IResult> GetLeadAsync(string? id, HttpContext http, ILeadStore store, PersonalFields personal, AuditLog audit, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id)) return ApiResults.Invalid("id", "the lead id is required");
        var lead = await store.GetLeadAsync(id, ct);
        if (lead is null) return ApiResults.NotFound($"lead '{id}' not found");
        var score = await store.GetLatestScoreAsync(id, ct);
        var history = await store.GetScoreHistoryAsync(id, ct);
        var weekAgo = ScoreTrend.ScoreAt(history, ScoreTrend.AsOf(time));
        var activities = await store.GetActivitiesAsync(id, ct: ct);
        var outcomes = await store.GetOutcomesAsync(id, ct);
        string? horizon = null;
        if (score is not null && await store.GetModelAsync(score.ModelVersion, ct) is { } model) horizon = CardText(model.CardJson, "horizon");
        var names = await personal.NamesAsync(ct);
        var withPersonal = DashboardAuth.Holds(http.User, ApiScopes.PersonalData);
        var holdsPersonal = lead.Attributes.Keys.Any(names.Contains);
        if (withPersonal && holdsPersonal) await audit.RecordLeadAsync(AuditActions.PersonalRead, id, new Dictionary<string, object?> { ["via"] = "dashboard" }, ct: ct);
        var attributes = withPersonal ? lead.Attributes : PersonalFields.Without(lead.Attributes, names);
        var labels = await LabelSettings.GetAsync(store, ct);
        return Json(new LeadDetailResponse
        {
            Id = lead.Id,
            CreatedAt = lead.CreatedAt,
            ProfilingOptOut = lead.ProfilingOptOut,
            Status = StatusName(StatusOf(outcomes)),
            Score = score is null ? null : ScoreView.From(score),
            Horizon = horizon,
            History = history.Select(s => ScoreView.From(s, withReasons: false)).ToList(),
            Score7dAgo = weekAgo,
            Trend7d = score is null ? null : ScoreTrend.Change(score.Score, weekAgo),
            ActivityCount = activities.Count,
            Activities = activities.Reverse().Take(RecentActivities).Select(a => new ActivityRow(a.Type, a.Timestamp, a.Url, a.Value)).ToList(),
            PersonalFieldsHidden = !withPersonal && holdsPersonal,
            Attributes = attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new AttributeRow(a.Key, a.Value, PersonalData.ReasonFromName(a.Key), labels.Title(a.Key), labels.Label(a.Key, a.Value))).ToList(),
            Outcomes = outcomes.Select(o => new OutcomeRow(o.Kind.ToString().ToLowerInvariant(), o.At)).ToList(),
        }, DashboardJsonContext.Default.LeadDetailResponse);
    }

    /// <summary>The one latest-outcome rule (Application), as the listing filter names it.</summary>
    private static Storage.LeadStatus StatusOf(IReadOnlyList<Outcome> outcomes) => LeadStatusRule.KindOf(outcomes);

    private static string? CardText(string cardJson, string property)
    {
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(cardJson) ? "{}" : cardJson);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static async Task<IResult> ListModelsAsync(HttpContext http, ILeadStore store, CancellationToken ct)
    {
        var models = await store.ListModelsAsync(ct);
        var champion = await store.GetAliasAsync(ModelAliases.Champion, ct);
        return Json(new ModelsResponse(champion, models.Select(Mapping.ToSummary).ToList(), DashboardAuth.Holds(http.User, ApiScopes.Admin)), DashboardJsonContext.Default.ModelsResponse);
    }

    internal static async Task<IResult> GetModelAsync(string? version, ILeadStore store, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(version)) return ApiResults.Invalid("version", "the model version is required");
        var model = await store.GetModelAsync(version, ct);
        if (model is null) return ApiResults.NotFound($"model version '{version}' not found");
        var card = Mapping.CardElement(model.CardJson);
        return Json(new ModelCardResponse(Mapping.ToSummary(model), card), DashboardJsonContext.Default.ModelCardResponse);
    }

    internal static async Task<IResult> PromoteAsync(string? version, ModelLifecycle lifecycle, IScoringService scoring, ApiMetrics metrics, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(version)) return ApiResults.Invalid("version", "the model version is required");
        var change = await lifecycle.PromoteAsync(version, ct: ct);
        metrics.ModelServing(scoring.ChampionVersion);
        return Json(new ChampionChangeResponse(change.Version, change.Previous, change.RescoreJobId), DashboardJsonContext.Default.ChampionChangeResponse);
    }

    internal static async Task<IResult> RollbackAsync(ModelLifecycle lifecycle, IScoringService scoring, ApiMetrics metrics, CancellationToken ct)
    {
        var change = await lifecycle.RollbackAsync(ct: ct);
        metrics.ModelServing(scoring.ChampionVersion);
        return Json(new ChampionChangeResponse(change.Version, change.Previous, change.RescoreJobId), DashboardJsonContext.Default.ChampionChangeResponse);
    }

    internal static async Task<IResult> DataAsync(ILeadStore store, CancellationToken ct)
    {
        var imports = await store.ListImportsAsync(ct);
        var quarantine = new List<QuarantineRow>();
        var truncated = false;
        await foreach (var r in store.StreamQuarantineAsync(ct: ct))
        {
            if (quarantine.Count == QuarantineShown) { truncated = true; break; }
            // A quarantined row may hold personal data: the page shows its start only.
            quarantine.Add(new QuarantineRow(r.Id, r.ImportId, r.File, r.Line, r.Column, r.Reason, r.Raw.Length > 300 ? r.Raw[..300] + "…" : r.Raw));
        }
        return Json(new DataResponse(imports.OrderByDescending(i => i.StartedAt).Select(i => new ImportRow(i.Id, i.Kind, Path.GetFileName(i.File), i.StartedAt,
            i.Status.ToString().ToLowerInvariant(), i.RowsRead, i.Inserted, i.Updated, i.Unchanged, i.Rejected)).ToList(), quarantine, truncated), DashboardJsonContext.Default.DataResponse);
    }

    internal static async Task<IResult> SettingsAsync(ILeadStore store, CancellationToken ct)
    {
        var keys = await store.ListApiKeysAsync(ct);
        var hooks = new List<WebhookRow>();
        foreach (var h in await store.ListWebhooksAsync(ct))
        {
            var deliveries = await store.ListDeliveriesAsync(h.Id, 10, ct);
            hooks.Add(new WebhookRow(h.Id, h.Url, h.Rule.ToString(), h.Threshold, h.CreatedAt, deliveries.Select(d =>
                new DeliveryRow(d.Id, d.EventType, d.LeadId, Mapping.StatusName(d.Status), d.Attempts, d.LastStatusCode, d.LastError, d.CreatedAt)).ToList()));
        }
        return Json(new SettingsResponse(keys.Select(k => new ApiKeyRow(k.Id, k.Name, k.Prefix, k.Scopes, k.CreatedAt, k.RevokedAt)).ToList(), hooks), DashboardJsonContext.Default.SettingsResponse);
    }
}
