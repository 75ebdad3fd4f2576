using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Application.Scoring;

namespace LeadScore.Server.Api;

// The wire format of the API: snake_case, strict (unknown fields rejected), documented through OpenAPI.
// These types are separate from the domain types so the API can stay stable while the domain evolves.

/// <summary>One lead to score without storing it (ingestion takes flat canonical fields instead).</summary>
public sealed record LeadInput
{
    /// <summary>The CRM's id (optional for POST /score).</summary>
    public string? Id { get; init; }
    /// <summary>When the lead was created (ISO 8601); defaults to now.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
    /// <summary>Attributes by name: strings, numbers, booleans or null.</summary>
    [JsonConverter(typeof(AttributeMapConverter))]
    public Dictionary<string, string?>? Attributes { get; init; }
    /// <summary>Recent activities of the lead, used for behavioural features.</summary>
    public List<ActivityInput>? Activities { get; init; }
}

public sealed record ActivityInput
{
    public string? EventId { get; init; }
    public required string Type { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public string? Url { get; init; }
    public double? Value { get; init; }
    [JsonConverter(typeof(AttributeMapConverter))]
    public Dictionary<string, string?>? Properties { get; init; }
}

public sealed record ScoreBatchRequest
{
    public required List<LeadInput> Leads { get; init; }
}

public sealed record ScoreResponse
{
    public required string LeadId { get; init; }
    public required double Probability { get; init; }
    public required int Score { get; init; }
    public required string Grade { get; init; }
    public required string ModelVersion { get; init; }
    public required DateTimeOffset ScoredAt { get; init; }
    /// <summary>Left out with <c>?explain=false</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ReasonView>? Reasons { get; init; }
    /// <summary>The model's horizon: the probability is P(converts within this many days). Left out for models without one.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? HorizonDays { get; init; }
    /// <summary>The serving slot that scored the lead: champion, or challenger for a lead in a split challenger's share.</summary>
    public string Slot { get; init; } = "champion";
}

public sealed record BatchItemResult
{
    public required int Index { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ScoreResponse? Result { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }
}

public sealed record ScoreBatchResponse(string ModelVersion, int Scored, int Failed, IReadOnlyList<BatchItemResult> Results);

public sealed record LeadResponse
{
    public required string Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public required IReadOnlyDictionary<string, string?> Attributes { get; init; }
    public bool ProfilingOptOut { get; init; }
    /// <summary>True when personal fields were left out of <see cref="Attributes"/> (the key lacks the personal_data scope).</summary>
    public bool PersonalFieldsHidden { get; init; }
    /// <summary>open, won or lost: the lead's latest outcome decides (a reopened lead is open).</summary>
    public required string Status { get; init; }
    /// <summary>The company attribute (null when absent or hidden as personal).</summary>
    public string? Company { get; init; }
    /// <summary>Null until the lead was scored.</summary>
    public ScoreView? Score { get; init; }
}

public sealed record ScoreHistoryResponse(string LeadId, IReadOnlyList<ScoreView> Scores);

/// <param name="Status">open, won or lost (the lead's latest outcome decides).</param>
/// <param name="Company">The lead's company attribute; null when absent, or when the schema marks it personal and the key lacks the personal_data scope.</param>
/// <param name="Score7dAgo">The lead's score as of seven days ago (its latest score history entry at or before then); null when it had none then.</param>
/// <param name="Trend7d">Points gained (positive) or lost (negative) since seven days ago; null when the lead had no score then (new this week).</param>
public sealed record LeadListItem(string LeadId, double Probability, int Score, string Grade, string ModelVersion, DateTimeOffset ScoredAt, string Status, string? Company,
    [property: JsonPropertyName("score_7d_ago")] int? Score7dAgo = null, [property: JsonPropertyName("trend_7d")] int? Trend7d = null);

public sealed record LeadListResponse(IReadOnlyList<LeadListItem> Leads);

public sealed record ModelSummary
{
    public required string Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string Algorithm { get; init; }
    /// <summary>Held-out AUC, measured on this version's own test rows (<see cref="TestSet"/>): AUCs of versions with other test sets do not compare.</summary>
    public double? Auc { get; init; }
    public required IReadOnlyList<string> Aliases { get; init; }
    /// <summary>The held-out rows the metrics were measured on: their number, first and last decision times, and a fingerprint (equal fingerprints, same rows).</summary>
    public int? TestRows { get; init; }
    public DateTimeOffset? TestFrom { get; init; }
    public DateTimeOffset? TestTo { get; init; }
    public string? TestSet { get; init; }
}

public sealed record ModelListResponse(string? Champion, IReadOnlyList<ModelSummary> Models);

public sealed record ModelDetail
{
    public required ModelSummary Model { get; init; }
    /// <summary>The model card: data, features, algorithm, metrics.</summary>
    public required JsonElement Card { get; init; }
    /// <summary>The grade bands this version grades with now (its own, or the override) and where they came from.</summary>
    public required GradeBandsResponse GradesInEffect { get; init; }
}

/// <summary>
/// New grade bands for every model: the edges as probabilities (<c>a</c>, <c>b</c>, <c>c</c>), or <c>shares</c>, three
/// cumulative fractions of the stored leads that are A, A-B and A-C (e.g. [0.1, 0.3, 0.6]), cut once from the scores now.
/// </summary>
public sealed record GradeBandsRequest
{
    public double? A { get; init; }
    public double? B { get; init; }
    public double? C { get; init; }
    public IReadOnlyList<double>? Shares { get; init; }
}

/// <summary>Grade bands in effect: a lead is A when its score is at least round(100 x a), and so on; D below c.</summary>
public sealed record GradeBandsResponse
{
    public string? ModelVersion { get; init; }
    public required double A { get; init; }
    public required double B { get; init; }
    public required double C { get; init; }
    /// <summary>"override" (set through PUT /grades or the CLI) or "model" (the version's own, chosen at training).</summary>
    public required string Source { get; init; }
    /// <summary>Where the bands came from, in words.</summary>
    public required string Description { get; init; }
    /// <summary>The re-scoring job a change queued (GET /jobs/{id}).</summary>
    public string? RescoreJob { get; init; }
}

/// <summary>The new champion, the one it replaced, and the job re-scoring every stored lead with it (GET /jobs/{id}).</summary>
public sealed record ChampionResponse(string Champion, string? Previous, string? RescoreJob);

/// <summary>Training on the workspace's data; the registry's champion rule decides whether the new model serves.</summary>
public sealed record TrainRequest
{
    /// <summary>auto, lightgbm, fasttree, fastforest or logistic.</summary>
    public string Algorithm { get; init; } = "auto";
    /// <summary>Seconds the model search may take.</summary>
    public int? TimeBudgetSeconds { get; init; }
    public int? Seed { get; init; }
    /// <summary>One training row per lead at each of these ages (days after creation) while it was open; default one row at 14 days.</summary>
    public IReadOnlyList<double>? DecisionAgesDays { get; init; }
    /// <summary>The horizon H in days: the model predicts converting within H days of the decision time. Omitted: chosen from the data (the 90th percentile of time from decision to conversion, rounded up to whole weeks, at least 7).</summary>
    public double? HorizonDays { get; init; }
}

public sealed record JobResponse
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    /// <summary>queued, running, succeeded or failed.</summary>
    public required string Status { get; init; }
    public required double Progress { get; init; }
    public string? Message { get; init; }
    public JsonElement? Result { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>How many times an instance claimed it (more than 1: an instance died while running it and another took over).</summary>
    public int Attempts { get; init; }
    /// <summary>Who queued it ("api:crm-key", "cli:alice"): the actor its audit entries name.</summary>
    public string? QueuedBy { get; init; }
}

public sealed record WebhookCreateRequest
{
    /// <summary>http(s) URL the events are POSTed to.</summary>
    public required string Url { get; init; }
    /// <summary>grade_changed, score_crossed or became_a.</summary>
    public required string Rule { get; init; }
    /// <summary>0-100, required for score_crossed.</summary>
    public int? Threshold { get; init; }
    /// <summary>Signing secret; generated when left out (returned once).</summary>
    public string? Secret { get; init; }
}

public sealed record WebhookResponse
{
    public required string Id { get; init; }
    public required string Url { get; init; }
    public required string Rule { get; init; }
    public int? Threshold { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Only in the answer to POST /webhooks.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Secret { get; init; }
}

public sealed record WebhookListResponse(IReadOnlyList<WebhookResponse> Webhooks);

public sealed record DeliveryResponse
{
    public required long Id { get; init; }
    public required string Event { get; init; }
    public required string LeadId { get; init; }
    /// <summary>pending, delivered or parked.</summary>
    public required string Status { get; init; }
    public required int Attempts { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public DateTimeOffset? LastAttemptAt { get; init; }
    public int? LastStatusCode { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
}

public sealed record DeliveryListResponse(string WebhookId, IReadOnlyList<DeliveryResponse> Deliveries);

public sealed record RequeueResponse(int Requeued);

/// <summary>What an ingestion request did: received = accepted + rejected; accepted = inserted + updated + unchanged.</summary>
public sealed record IngestResponse
{
    public required string ImportId { get; init; }
    public required string Kind { get; init; }
    public required long Received { get; init; }
    public required long Accepted { get; init; }
    public required long Inserted { get; init; }
    public required long Updated { get; init; }
    public required long Unchanged { get; init; }
    public required long Rejected { get; init; }
    /// <summary>Each rejected item: its index in the batch, the field at fault and why.</summary>
    public required IReadOnlyList<IngestError> Errors { get; init; }
    /// <summary>Leads re-scored because of this request.</summary>
    public required int Rescored { get; init; }
    /// <summary>Webhook deliveries the new scores queued.</summary>
    public required int WebhooksQueued { get; init; }
}

public sealed record IngestError(long Index, string? Field, string Reason);

public sealed record HealthResponse(string Status);

/// <param name="Reads">Where the reads that may lag (lists, exports) go: the primary or the read replica, and the replica's state.</param>
public sealed record ReadinessResponse(string Status, bool Storage, string? Champion, ReadsResponse? Reads = null);

/// <summary>Target <c>primary</c> or <c>replica</c>; replica <c>none</c> (not configured), <c>streaming</c>, <c>down</c>, <c>lagging</c>, <c>not_streaming</c> or <c>not_standby</c>.</summary>
public sealed record ReadsResponse(string Target, string Replica, double? LagSeconds, string? Detail);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.Strict,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(LeadInput))]
[JsonSerializable(typeof(List<LeadInput>))]
[JsonSerializable(typeof(ScoreBatchRequest))]
[JsonSerializable(typeof(ScoreResponse))]
[JsonSerializable(typeof(ScoreBatchResponse))]
[JsonSerializable(typeof(LeadResponse))]
[JsonSerializable(typeof(ScoreHistoryResponse))]
[JsonSerializable(typeof(LeadListResponse))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(ModelDetail))]
[JsonSerializable(typeof(GradeBandsRequest))]
[JsonSerializable(typeof(GradeBandsResponse))]
[JsonSerializable(typeof(ChampionResponse))]
[JsonSerializable(typeof(TrainRequest))]
[JsonSerializable(typeof(JobResponse))]
[JsonSerializable(typeof(WebhookCreateRequest))]
[JsonSerializable(typeof(WebhookResponse))]
[JsonSerializable(typeof(WebhookListResponse))]
[JsonSerializable(typeof(DeliveryListResponse))]
[JsonSerializable(typeof(RequeueResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(ReadinessResponse))]
[JsonSerializable(typeof(List<ReasonView>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Fairness.FairnessSettingsRequest))]
[JsonSerializable(typeof(Fairness.FairnessSettingsResponse))]
[JsonSerializable(typeof(LeadScore.Server.Endpoints.ErasureResponse))]
[JsonSerializable(typeof(LeadScore.Server.Endpoints.OptOutResponse))]
[JsonSerializable(typeof(LeadScore.Server.Endpoints.AuditListResponse))]
[JsonSerializable(typeof(LeadScore.Server.Endpoints.AuditVerifyResponse))]
[JsonSerializable(typeof(LeadScore.Application.Monitoring.MonitoringDriftView))]
[JsonSerializable(typeof(LeadScore.Application.Monitoring.MonitoringPerformanceView))]
[JsonSerializable(typeof(LeadScore.Application.Monitoring.MonitoringAlertsView))]
[JsonSerializable(typeof(LeadScore.Application.Monitoring.MonitoringFairnessView))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
