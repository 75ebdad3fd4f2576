using Dapper;

namespace LeadScore.Storage;

/// <summary>The job queue (<see cref="IJobQueue"/>): jobs claimed with a renewable lease, on both backends.</summary>
public abstract partial class SqlLeadStore
{
    private sealed record JobRow(string Id, string Kind, string Status, double Progress, string? Message, string Request, string? Result,
        long CreatedAt, long? StartedAt, long? FinishedAt, string? LeaseOwner, long? LeaseExpiresAt, long Attempts, string? QueuedBy, string? Checkpoint);

    private const string JobColumns = """
        id AS Id, kind AS Kind, status AS Status, progress AS Progress, message AS Message, request AS Request, result AS Result,
        created_at AS CreatedAt, started_at AS StartedAt, finished_at AS FinishedAt, lease_owner AS LeaseOwner,
        lease_expires_at AS LeaseExpiresAt, attempts AS Attempts, queued_by AS QueuedBy, checkpoint AS Checkpoint
        """;

    private static JobRecord ToJob(JobRow r) => new()
    {
        Id = r.Id, Kind = r.Kind, Status = Enum.Parse<JobStatus>(r.Status), Progress = r.Progress, Message = r.Message, RequestJson = r.Request,
        ResultJson = r.Result, CreatedAt = Time(r.CreatedAt), StartedAt = r.StartedAt is { } s ? Time(s) : null,
        FinishedAt = r.FinishedAt is { } f ? Time(f) : null, LeaseOwner = r.LeaseOwner,
        LeaseExpiresAt = r.LeaseExpiresAt is { } l ? Time(l) : null, Attempts = (int)r.Attempts, QueuedBy = r.QueuedBy, Checkpoint = r.Checkpoint,
    };

    public async Task EnqueueJobAsync(JobRecord j, CancellationToken ct = default)
    {
        // A job enters the queue only as Queued: running state belongs to whoever claims it.
        if (j.Status != JobStatus.Queued) throw new ArgumentException($"a new job must be Queued, not {j.Status}", nameof(j));
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO jobs (id, kind, status, progress, message, request, result, created_at, started_at, finished_at, lease_owner, lease_expires_at, attempts, queued_by)
            VALUES (@Id, @Kind, 'Queued', @Progress, @Message, @RequestJson, NULL, @created, NULL, NULL, NULL, NULL, 0, @QueuedBy)
            """, new { j.Id, j.Kind, j.Progress, j.Message, j.RequestJson, created = Ms(j.CreatedAt), j.QueuedBy }, cancellationToken: ct));
    }

    public async Task<JobRecord?> GetJobAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition($"SELECT {JobColumns} FROM jobs WHERE id = @id", new { id }, cancellationToken: ct));
        return r is null ? null : ToJob(r);
    }

    public async Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobStatus status, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<JobRow>(new CommandDefinition(
            $"SELECT {JobColumns} FROM jobs WHERE status = @status ORDER BY created_at, id", new { status = status.ToString() }, cancellationToken: ct));
        return rows.Select(ToJob).ToList();
    }

    public Task<JobRecord?> ClaimJobAsync(string owner, DateTimeOffset now, TimeSpan lease, string? jobId = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lease), "a lease must be positive");
        // One statement picks and takes the job. PostgreSQL: the inner SELECT locks the row and skips rows other claimers
        // hold. SQLite: the transaction begins IMMEDIATE (Microsoft.Data.Sqlite's default), so the pick and the update
        // happen under the write lock and no other connection can claim in between.
        var claimable = "(status = 'Queued' OR (status = 'Running' AND lease_expires_at < @now)) AND (@jobId IS NULL OR id = @jobId)";
        return InTransactionAsync(async (c, tx) =>
        {
            var r = await c.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition($"""
                UPDATE jobs SET status = 'Running', lease_owner = @owner, lease_expires_at = @until,
                    started_at = COALESCE(started_at, @now), attempts = attempts + 1
                WHERE id = (SELECT id FROM jobs WHERE {claimable} ORDER BY created_at, id LIMIT 1{SkipLocked}) AND {claimable}
                RETURNING {JobColumns}
                """, new { owner, now = Ms(now), until = Ms(now + lease), jobId }, tx, cancellationToken: ct));
            return r is null ? null : ToJob(r);
        }, ct);
    }

    public async Task<bool> RenewJobLeaseAsync(string jobId, string owner, DateTimeOffset now, TimeSpan lease, double progress, string? message, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("""
            UPDATE jobs SET lease_expires_at = @until, progress = @progress, message = @message
            WHERE id = @jobId AND status = 'Running' AND lease_owner = @owner
            """, new { jobId, owner, until = Ms(now + lease), progress, message }, cancellationToken: ct)) > 0;
    }

    public async Task<bool> CompleteJobAsync(JobRecord j, string owner, CancellationToken ct = default)
    {
        if (j.Status is not (JobStatus.Succeeded or JobStatus.Failed))
            throw new ArgumentException($"a job completes as Succeeded or Failed, not {j.Status}", nameof(j));
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("""
            UPDATE jobs SET status = @status, progress = @Progress, message = @Message, result = @ResultJson, finished_at = @finished,
                lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @Id AND status = 'Running' AND lease_owner = @owner
            """, new
        {
            j.Id, owner, status = j.Status.ToString(), j.Progress, j.Message, j.ResultJson,
            finished = Ms(j.FinishedAt ?? Clock.GetUtcNow()),
        }, cancellationToken: ct)) > 0;
    }

    public Task<bool> CommitJobChunkAsync(JobChunk chunk, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(chunk.Owner);
        var now = NowMs;
        return InTransactionAsync(async (c, tx) =>
        {
            // The fence first: the job's row is updated only while this owner holds it (PostgreSQL locks the row until commit,
            // so a claimer waits or skips it; SQLite holds the write lock). A stale owner changes nothing, and commits nothing.
            var held = await c.ExecuteAsync(new CommandDefinition(
                "UPDATE jobs SET checkpoint = @Checkpoint WHERE id = @JobId AND status = 'Running' AND lease_owner = @Owner",
                new { chunk.JobId, chunk.Owner, chunk.Checkpoint }, tx, cancellationToken: ct)) > 0;
            if (!held) return false; // nothing was written: the empty transaction commits
            await InsertScoresAsync(c, tx, chunk.Scores, ct);
            await InsertDeliveriesAsync(c, tx, chunk.Deliveries, now, ct);
            return true;
        }, ct);
    }
}
