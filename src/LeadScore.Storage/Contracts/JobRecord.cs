namespace LeadScore.Storage;

public enum JobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
}

public sealed record JobRecord
{
    public required string Id { get; init; }
    /// <summary>"train", "rescore".</summary>
    public required string Kind { get; init; }
    public required JobStatus Status { get; init; }
    /// <summary>0-1.</summary>
    public double Progress { get; init; }
    /// <summary>What is happening now, or why it failed.</summary>
    public string? Message { get; init; }
    /// <summary>The request as JSON.</summary>
    public required string RequestJson { get; init; }
    /// <summary>The result as JSON, once succeeded.</summary>
    public string? ResultJson { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Who queued the job ("api:crm-key", "cli:alice", "system:policy"); its audit entries name this actor. Null for jobs queued before it was kept.</summary>
    public string? QueuedBy { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>The instance holding the job while it runs (null when queued or finished).</summary>
    public string? LeaseOwner { get; init; }
    /// <summary>When the running job's lease ends unless renewed; after it another instance may claim the job.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    /// <summary>How many times the job was claimed (more than 1: an instance died while running it).</summary>
    public int Attempts { get; init; }
    /// <summary>
    /// How far the job got, as the handler wrote it with its work (<see cref="IJobQueue.CommitJobChunkAsync"/>); kept across
    /// claims, so the instance that takes the job over resumes there. Null until the first chunk is committed.
    /// </summary>
    public string? Checkpoint { get; init; }
}

/// <summary>
/// One chunk of a running job's work, committed atomically with the job's new <see cref="Checkpoint"/>: scores and the
/// webhook deliveries they trigger, so a job taken over after its lease expired neither redoes nor loses a chunk.
/// </summary>
public sealed record JobChunk(string JobId, string Owner, string Checkpoint, IReadOnlyList<StoredScore> Scores, IReadOnlyList<NewDelivery> Deliveries);
