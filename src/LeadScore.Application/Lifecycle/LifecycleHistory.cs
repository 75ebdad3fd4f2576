using System.Text.Json;
using LeadScore.Storage;

namespace LeadScore.Application.Lifecycle;

/// <summary>The kinds of lifecycle event.</summary>
public static class LifecycleEventKinds
{
    public const string Training = "training";
    public const string Gate = "gate";
    public const string ChallengeStarted = "challenge_started";
    public const string ChallengeEnded = "challenge_ended";
    /// <summary>A newer candidate passed the gate but did not beat the challenger under test, which stays.</summary>
    public const string ChallengeKept = "challenge_kept";
    public const string Promotion = "promotion";
    public const string Rollback = "rollback";
    public const string WatchEnded = "watch_ended";
}

/// <summary>Reads and appends the model lifecycle history: every training, gate result, challenge, promotion and rollback.</summary>
public sealed class LifecycleHistory(ILifecycleLog log, TimeProvider time)
{
    public Task<IReadOnlyList<LifecycleEvent>> ListAsync(DateTimeOffset? since = null, int limit = 1000, CancellationToken ct = default) =>
        log.ListLifecycleEventsAsync(since, limit, ct);

    public Task<ModelEvaluation?> GetEvaluationAsync(string id, CancellationToken ct = default) => log.GetEvaluationAsync(id, ct);

    public Task<IReadOnlyList<ModelEvaluation>> EvaluationsOfAsync(string version, CancellationToken ct = default) => log.ListEvaluationsAsync(version, ct);

    internal async Task<LifecycleEvent> RecordAsync(string kind, string? version, string? previous, string reason, object? figures = null, string? evaluationId = null, CancellationToken ct = default)
    {
        var e = new LifecycleEvent
        {
            At = time.GetUtcNow(), Kind = kind, Version = version, Previous = previous, Reason = reason,
            FiguresJson = figures is null ? null : JsonSerializer.Serialize(figures, LifecycleStateStore.Json), EvaluationId = evaluationId,
        };
        return e with { Id = await log.AddLifecycleEventAsync(e, ct) };
    }

    internal async Task<ModelEvaluation> SaveEvaluationAsync(string kind, string candidate, string? champion, bool passed, int rows, string summary, object figures, object rules, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var e = new ModelEvaluation
        {
            Id = "eval_" + Guid.CreateVersion7(now).ToString("N")[..20], At = now, Kind = kind, Candidate = candidate, Champion = champion, Passed = passed, Rows = rows,
            Summary = summary, FiguresJson = JsonSerializer.Serialize(figures, LifecycleStateStore.Json), RulesJson = JsonSerializer.Serialize(rules, LifecycleStateStore.Json),
        };
        await log.SaveEvaluationAsync(e, ct);
        return e;
    }
}

/// <summary>One lifecycle event as the CLI's --json and the API show it (figures as JSON, not text).</summary>
public sealed record LifecycleEventView
{
    public required long Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Kind { get; init; }
    public string? Version { get; init; }
    public string? Previous { get; init; }
    public required string Reason { get; init; }
    public JsonElement? Figures { get; init; }
    public string? EvaluationId { get; init; }

    public static LifecycleEventView From(LifecycleEvent e) => new()
    {
        Id = e.Id, At = e.At, Kind = e.Kind, Version = e.Version, Previous = e.Previous, Reason = e.Reason, EvaluationId = e.EvaluationId,
        Figures = e.FiguresJson is null ? null : JsonDocument.Parse(e.FiguresJson).RootElement.Clone(),
    };

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
