using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Application.Scoring;

namespace LeadScore.Application.Webhooks;

/// <summary>The body of one webhook delivery (signed by the dispatcher). Its shape is part of the public API (docs/api.md).</summary>
public sealed record WebhookEvent
{
    public required string Id { get; init; }
    /// <summary>lead.grade_changed, lead.score_crossed or lead.became_a.</summary>
    public required string Type { get; init; }
    public required string WebhookId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string LeadId { get; init; }
    /// <summary>open, won or lost when the event was queued (the lead's latest outcome decides).</summary>
    public required string Status { get; init; }
    /// <summary>The lead's company; null when absent, or when the lead schema marks it personal.</summary>
    public string? Company { get; init; }
    public ScoreView? Previous { get; init; }
    public required ScoreView Current { get; init; }
    /// <summary>For score_crossed: the threshold and "up" or "down".</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Threshold { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Direction { get; init; }
}

/// <summary>The body of a model_promoted or model_rolled_back delivery: which version serves now, which served before, and why.</summary>
public sealed record ModelWebhookEvent
{
    public required string Id { get; init; }
    /// <summary>model.promoted or model.rolled_back.</summary>
    public required string Type { get; init; }
    public required string WebhookId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string Version { get; init; }
    public string? Previous { get; init; }
    public required string Reason { get; init; }
    /// <summary>The figures behind the decision (AUCs, p-values), as recorded in the lifecycle history.</summary>
    public JsonElement? Figures { get; init; }
}

/// <summary>
/// The body of a model-level delivery (<c>model.drift_detected</c>, <c>model.performance_dropped</c>): which model and slot,
/// the window, the alert's sentence and its details (for drift the top drifted features with their test, statistic,
/// threshold and sentence; for performance the realized, held-out and estimated figures). Signed like the lead events.
/// </summary>
public sealed record MonitoringWebhookEvent
{
    public required string Id { get; init; }
    /// <summary>model.drift_detected or model.performance_dropped.</summary>
    public required string Type { get; init; }
    public required string WebhookId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string ModelVersion { get; init; }
    public required string Slot { get; init; }
    public required ModelEventWindow Window { get; init; }
    public required string Message { get; init; }
    public required JsonElement Details { get; init; }
}

public sealed record ModelEventWindow(DateTimeOffset Start, DateTimeOffset End);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WebhookEvent))]
[JsonSerializable(typeof(ModelWebhookEvent))]
[JsonSerializable(typeof(MonitoringWebhookEvent))]
public sealed partial class WebhookJsonContext : JsonSerializerContext;
