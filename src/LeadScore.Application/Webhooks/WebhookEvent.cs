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

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WebhookEvent))]
public sealed partial class WebhookJsonContext : JsonSerializerContext;
