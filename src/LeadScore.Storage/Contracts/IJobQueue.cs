namespace LeadScore.Storage;

/// <summary>
/// Background jobs as a queue shared by every instance on one database. A job is claimed with a lease:
/// the claimer renews it while it works (heartbeat); if the claimer dies, the lease expires and another
/// instance claims the job again. On PostgreSQL claims use <c>FOR UPDATE SKIP LOCKED</c>, so two instances
/// never claim the same job; on SQLite a claim is one UPDATE ... RETURNING inside an IMMEDIATE transaction.
/// Times are passed in (<c>now</c>) rather than read, so a simulated clock drives leases too.
/// </summary>
public interface IJobQueue
{
    /// <summary>Stores a new job as Queued (its status must be Queued: running state belongs to a claimer); no lease, 0 attempts.</summary>
    Task EnqueueJobAsync(JobRecord job, CancellationToken ct = default);

    Task<JobRecord?> GetJobAsync(string id, CancellationToken ct = default);

    /// <summary>Jobs in a status, oldest first.</summary>
    Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobStatus status, CancellationToken ct = default);

    /// <summary>
    /// Claims the oldest job that is queued, or running with a lease that expired before <paramref name="now"/>
    /// (its instance died), for <paramref name="owner"/> until <paramref name="now"/> + <paramref name="lease"/>;
    /// only <paramref name="jobId"/> when given. Sets status Running, the owner, the lease expiry, StartedAt
    /// (when not set) and increments Attempts. Returns null when there is nothing to claim.
    /// </summary>
    Task<JobRecord?> ClaimJobAsync(string owner, DateTimeOffset now, TimeSpan lease, string? jobId = null, CancellationToken ct = default);

    /// <summary>
    /// Heartbeat: extends the lease and records progress, only while <paramref name="owner"/> still holds the job
    /// (status Running, same owner). False when the lease was lost (expired and claimed by another instance).
    /// </summary>
    Task<bool> RenewJobLeaseAsync(string jobId, string owner, DateTimeOffset now, TimeSpan lease, double progress, string? message, CancellationToken ct = default);

    /// <summary>
    /// Writes a claimed job's final state (Succeeded or Failed, result, message, FinishedAt) and clears its lease,
    /// only while <paramref name="owner"/> still holds it. False when the lease was lost.
    /// </summary>
    Task<bool> CompleteJobAsync(JobRecord job, string owner, CancellationToken ct = default);

    /// <summary>
    /// In one transaction, only while <see cref="JobChunk.Owner"/> still holds the job (status Running, same owner): sets the
    /// job's checkpoint, saves the scores (history and latest) and queues the deliveries. False, with nothing written, when
    /// the lease was lost: a stale owner (paused past its lease, then woken) cannot store work its successor redoes.
    /// </summary>
    Task<bool> CommitJobChunkAsync(JobChunk chunk, CancellationToken ct = default);
}

/// <summary>
/// Named leases for work only one instance may do at a time (the leader's scheduled jobs). A lease row per
/// name; it is taken when free or expired and renewed by its holder. On SQLite there is one process per
/// database file in practice, so the lease is always granted to the first caller and renewed by it.
/// </summary>
public interface ILeaseStore
{
    /// <summary>Takes or renews <paramref name="name"/> for <paramref name="owner"/> until now + ttl; false when another owner holds an unexpired lease.</summary>
    Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan ttl, CancellationToken ct = default);

    /// <summary>Gives the lease up if <paramref name="owner"/> holds it.</summary>
    Task ReleaseLeaseAsync(string name, string owner, CancellationToken ct = default);

    /// <summary>The current holder and expiry, or null.</summary>
    Task<(string Owner, DateTimeOffset ExpiresAt)?> GetLeaseAsync(string name, CancellationToken ct = default);
}
