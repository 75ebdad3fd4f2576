namespace LeadScore.Storage;

/// <summary>
/// The model lifecycle's record: every evaluation of a candidate (its figures and which rule passed or failed) and every
/// event (training, gate result, challenge start and end, promotion, rollback) with its reason. Append-only.
/// </summary>
public interface ILifecycleLog
{
    Task SaveEvaluationAsync(ModelEvaluation evaluation, CancellationToken ct = default);

    Task<ModelEvaluation?> GetEvaluationAsync(string id, CancellationToken ct = default);

    /// <summary>Evaluations of one candidate version, oldest first.</summary>
    Task<IReadOnlyList<ModelEvaluation>> ListEvaluationsAsync(string candidate, CancellationToken ct = default);

    /// <summary>Appends an event and returns its id (increasing).</summary>
    Task<long> AddLifecycleEventAsync(LifecycleEvent e, CancellationToken ct = default);

    /// <summary>Events at or after <paramref name="since"/> (all when null), oldest first, at most <paramref name="limit"/> (the newest ones).</summary>
    Task<IReadOnlyList<LifecycleEvent>> ListLifecycleEventsAsync(DateTimeOffset? since = null, int limit = 1000, CancellationToken ct = default);
}

/// <summary>One evaluation of a candidate against the champion: kind (gate, challenge, rollback_check), figures and rule results as JSON.</summary>
public sealed record ModelEvaluation
{
    public required string Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Kind { get; init; }
    public required string Candidate { get; init; }
    public string? Champion { get; init; }
    public required bool Passed { get; init; }
    public required int Rows { get; init; }
    public required string Summary { get; init; }
    /// <summary>JSON object: the figures of both models on the rows evaluated.</summary>
    public required string FiguresJson { get; init; }
    /// <summary>JSON array: each rule or test with its result.</summary>
    public required string RulesJson { get; init; }
}

/// <summary>One step of a model's life: training, gate, challenge_started, challenge_ended, challenge_kept, promotion, rollback, watch_ended.</summary>
public sealed record LifecycleEvent
{
    public long Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Kind { get; init; }
    public string? Version { get; init; }
    public string? Previous { get; init; }
    public required string Reason { get; init; }
    /// <summary>JSON object of the figures behind the event, or null.</summary>
    public string? FiguresJson { get; init; }
    public string? EvaluationId { get; init; }
}
