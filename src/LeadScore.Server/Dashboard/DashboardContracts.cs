using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Application.Scoring;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Monitoring;
using LeadScore.Server.Api;
using LeadScore.Server.Endpoints;

namespace LeadScore.Server.Dashboard;

/// <summary>Who is signed in, and the anti-forgery token every state-changing call of this session must send.</summary>
internal sealed record SessionResponse(bool SignedIn, string? Name, string? KeyId, IReadOnlyList<string> Scopes, string Csrf, DateTimeOffset? ExpiresAt);

/// <param name="Score7dAgo">The score as of seven days ago (<see cref="ScoreTrend"/>); null: the lead had none then.</param>
/// <param name="Trend7d">Points gained or lost since then; null: new this week.</param>
internal sealed record LeadRow(string Id, int Score, string Grade, double Probability, string? TopReason, string Status, string? Source, string? Company, DateTimeOffset CreatedAt,
    [property: JsonPropertyName("score_7d_ago")] int? Score7dAgo, [property: JsonPropertyName("trend_7d")] int? Trend7d);

internal sealed record LeadPageResponse(IReadOnlyList<LeadRow> Items, int Page, int PageSize, bool HasMore, IReadOnlyList<string> Segments);

/// <summary>A lead's field: its name, display name (from the mapping's display_names, else humanised), value and the value's label (the mapping's labels), if any.</summary>
internal sealed record AttributeRow(string Name, string? Value, string? PersonalReason, string DisplayName, string? Label);

internal sealed record ActivityRow(string Type, DateTimeOffset At, string? Url, double? Value);

internal sealed record OutcomeRow(string Kind, DateTimeOffset At);

internal sealed record LeadDetailResponse
{
    public required string Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string Status { get; init; }
    public required bool ProfilingOptOut { get; init; }
    /// <summary>True when personal fields were left out (the session's key lacks the personal_data scope).</summary>
    public bool PersonalFieldsHidden { get; init; }
    public ScoreView? Score { get; init; }
    /// <summary>What the probability is the probability of, from the scoring model's card ("converts within 30 days").</summary>
    public string? Horizon { get; init; }
    public required IReadOnlyList<ScoreView> History { get; init; }
    /// <summary>The score as of seven days ago (<see cref="ScoreTrend"/>); null: none then.</summary>
    [JsonPropertyName("score_7d_ago")] public int? Score7dAgo { get; init; }
    /// <summary>Points gained or lost since seven days ago; null: no score then (or none now).</summary>
    [JsonPropertyName("trend_7d")] public int? Trend7d { get; init; }
    public required IReadOnlyList<ActivityRow> Activities { get; init; }
    public required int ActivityCount { get; init; }
    public required IReadOnlyList<AttributeRow> Attributes { get; init; }
    public required IReadOnlyList<OutcomeRow> Outcomes { get; init; }
}

internal sealed record ModelsResponse(string? Champion, IReadOnlyList<ModelSummary> Models, bool CanChange);

internal sealed record ModelCardResponse(ModelSummary Model, JsonElement Card);

internal sealed record ChampionChangeResponse(string Champion, string? Previous, string? RescoreJobId);

internal sealed record ImportRow(string Id, string Kind, string File, DateTimeOffset StartedAt, string Status, long RowsRead, long Inserted, long Updated, long Unchanged, long Rejected);

internal sealed record QuarantineRow(long Id, string ImportId, string File, long Line, string? Column, string Reason, string Raw);

internal sealed record DataResponse(IReadOnlyList<ImportRow> Imports, IReadOnlyList<QuarantineRow> Quarantine, bool QuarantineTruncated);

internal sealed record ApiKeyRow(string Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

internal sealed record WebhookRow(string Id, string Url, string Rule, int? Threshold, DateTimeOffset CreatedAt, IReadOnlyList<DeliveryRow> RecentDeliveries);

internal sealed record DeliveryRow(long Id, string Event, string LeadId, string Status, int Attempts, int? LastStatusCode, string? LastError, DateTimeOffset CreatedAt);

internal sealed record SettingsResponse(IReadOnlyList<ApiKeyRow> ApiKeys, IReadOnlyList<WebhookRow> Webhooks);

/// <summary>The monitoring page: the latest window's drift verdict and every window, performance per window, the stored alerts.</summary>
internal sealed record MonitoringPageResponse(MonitoringDriftView Drift, MonitoringPerformanceView Performance, IReadOnlyList<AlertView> Alerts, IReadOnlyDictionary<string, double> Importance);

/// <summary>An evaluation (a gate or a challenger's look): its verdict, summary, figures and each rule with its result.</summary>
internal sealed record EvaluationView(string Id, DateTimeOffset At, string Kind, string Candidate, string? Champion, bool Passed, int Rows, string Summary, JsonElement Figures, JsonElement Rules);

/// <summary>The model on live leads beside the champion: how it runs (shadow or split, with its share) and its latest comparison.</summary>
internal sealed record ChallengerView(string Version, string Mode, double? SplitPercent, DateTimeOffset? StartedAt, int Looks, double? AlphaSpent, EvaluationView? Latest);

internal sealed record WatchView(string Version, string Previous, DateTimeOffset PromotedAt, int Looks);

internal sealed record LifecycleRow(LifecycleEventView Event, EvaluationView? Evaluation);

/// <summary>The model lifecycle page; the history newest first.</summary>
internal sealed record LifecyclePageResponse(string? Champion, ChallengerView? Challenger, WatchView? Watch, IReadOnlyList<LifecycleRow> History, JsonElement Policy, long PolicyVersion, bool CanEdit);

/// <summary>The governance page: the champion's fairness section (null when its card has none).</summary>
internal sealed record GovernancePageResponse(string? Champion, JsonElement? Fairness);

/// <summary>What a quarantine retry did: rows re-read, stored, and still quarantined; leads re-scored.</summary>
internal sealed record RetryResponse(string ImportId, long RowsRead, long Inserted, long Updated, long Unchanged, long Rejected, int Rescored);

internal sealed record AuditPageResponse(IReadOnlyList<AuditView> Entries, bool Truncated);

/// <summary>The dashboard's JSON, source-generated, in the API's snake_case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SessionResponse))]
[JsonSerializable(typeof(LeadPageResponse))]
[JsonSerializable(typeof(LeadDetailResponse))]
[JsonSerializable(typeof(ModelsResponse))]
[JsonSerializable(typeof(ModelCardResponse))]
[JsonSerializable(typeof(ChampionChangeResponse))]
[JsonSerializable(typeof(DataResponse))]
[JsonSerializable(typeof(SettingsResponse))]
[JsonSerializable(typeof(MonitoringPageResponse))]
[JsonSerializable(typeof(LifecyclePageResponse))]
[JsonSerializable(typeof(GovernancePageResponse))]
[JsonSerializable(typeof(AuditPageResponse))]
[JsonSerializable(typeof(AuditVerifyResponse))]
[JsonSerializable(typeof(OptOutResponse))]
[JsonSerializable(typeof(ErasureResponse))]
[JsonSerializable(typeof(RetryResponse))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
