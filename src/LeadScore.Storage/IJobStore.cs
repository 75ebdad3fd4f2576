namespace LeadScore.Storage;

/// <summary>Background jobs (training) and their progress, kept so GET /jobs/{id} answers across restarts.</summary>
public interface IJobStore
{
    Task SaveJobAsync(JobRecord job, CancellationToken ct = default);
    Task<JobRecord?> GetJobAsync(string id, CancellationToken ct = default);
    /// <summary>Jobs in a status, oldest first.</summary>
    Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobStatus status, CancellationToken ct = default);
}

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
    /// <summary>"train".</summary>
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
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}
