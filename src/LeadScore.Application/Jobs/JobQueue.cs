using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Core;
using LeadScore.Storage;
using Microsoft.Extensions.Logging;

namespace LeadScore.Application.Jobs;

/// <summary>Runs one kind of job. The runner owns claiming, heartbeats and the final state; a handler only does the work.</summary>
public interface IJobHandler
{
    string Kind { get; }

    /// <summary>Does the job; returns its result as JSON. <paramref name="ct"/> is cancelled when the lease is lost or the instance stops.</summary>
    Task<string> RunAsync(JobRecord job, IProgress<(double Fraction, string Stage)> progress, CancellationToken ct);
}

/// <summary>
/// The job queue every entry point uses to queue work: the API and the CLI enqueue here; any instance's
/// <see cref="JobRunner"/> (or the CLI itself, for a job it just queued) claims and runs it.
/// </summary>
public sealed class JobQueue(IJobQueue store, TimeProvider time, ActorContext? actors = null)
{
    private readonly SemaphoreSlim _queued = new(0, int.MaxValue);

    /// <summary>Released once per job queued on this instance, so its runner wakes at once.</summary>
    internal SemaphoreSlim Queued => _queued;

    public Task<JobRecord> EnqueueTrainingAsync(TrainJobRequest request, CancellationToken ct = default) =>
        EnqueueAsync(JobKinds.Train, JsonSerializer.Serialize(request, JobJsonContext.Default.TrainJobRequest), ct);

    /// <summary>
    /// Queues re-scoring of every stored lead; whoever runs it cuts the leads into ranges that every instance's worker
    /// takes a share of, each scoring with the champion serving then.
    /// </summary>
    public Task<JobRecord> EnqueueRescoreAsync(CancellationToken ct = default) => EnqueueRescoreAsync(RescoreCauses.NewModel, ct);

    public Task<JobRecord> EnqueueRescoreAsync(string cause, CancellationToken ct = default)
    {
        RescoreCauses.Parse(cause);
        return EnqueueAsync(JobKinds.Rescore, JsonSerializer.Serialize(new RescoreJobRequest { Cause = cause }, JobJsonContext.Default.RescoreJobRequest), ct);
    }

    /// <summary>Queues one range of a re-scoring job under an id the parent derives, so a parent that is run again finds its ranges.</summary>
    internal Task<JobRecord> EnqueueRescoreRangeAsync(string id, RescoreRangeRequest request, CancellationToken ct) =>
        EnqueueAsync(JobKinds.RescoreRange, JsonSerializer.Serialize(request, JobJsonContext.Default.RescoreRangeRequest), ct, id);

    public Task<JobRecord?> GetAsync(string id, CancellationToken ct = default) => store.GetJobAsync(id, ct);

    private async Task<JobRecord> EnqueueAsync(string kind, string requestJson, CancellationToken ct, string? id = null)
    {
        var now = time.GetUtcNow();
        var job = new JobRecord
        {
            Id = id ?? "job_" + Guid.CreateVersion7(now).ToString("N")[..20],
            Kind = kind,
            Status = JobStatus.Queued,
            Message = "queued",
            RequestJson = requestJson,
            CreatedAt = now,
            // The principal acting now (the API key of the request, the CLI user; inside a job, the one who queued that job).
            QueuedBy = actors?.Current.ToString(),
        };
        await store.EnqueueJobAsync(job, ct);
        _queued.Release();
        return job;
    }

}

/// <summary>
/// Claims and runs jobs. A claimed job is leased; a heartbeat renews the lease and records progress; an instance that
/// dies loses its lease, and another instance takes the job over when it expires.
/// </summary>
public sealed class JobRunner(IJobQueue store, JobQueue queue, IEnumerable<IJobHandler> handlers, LeadScoreInstance instance, JobOptions options,
    TimeProvider time, ILogger<JobRunner> log, ActorContext? actors = null)
{
    private readonly Dictionary<string, IJobHandler> _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);

    public bool CanRun(string kind) => _handlers.ContainsKey(kind);

    /// <summary>Waits until a job was queued on this instance or <paramref name="timeout"/> passed (other instances' jobs are found by polling).</summary>
    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct)
    {
        // The poll interval is a wall-clock wait on purpose: it paces database polling, not the product's notion of time.
        await queue.Queued.WaitAsync(timeout, ct);
    }

    /// <summary>Claims and runs the next due job (queued, or abandoned by a dead instance); false when there was none.</summary>
    public async Task<bool> RunNextAsync(CancellationToken ct)
    {
        var job = await store.ClaimJobAsync(instance.Id, time.GetUtcNow(), options.Lease, null, ct);
        if (job is null) return false;
        await RunClaimedAsync(job, null, ct);
        return true;
    }

    /// <summary>
    /// Runs one job now in this process (the CLI, right after queuing it), reporting progress; returns the finished
    /// record, or null when another instance already claimed it (it runs there).
    /// </summary>
    public async Task<JobRecord?> RunNowAsync(string jobId, IProgress<double>? progress, CancellationToken ct)
    {
        var job = await store.ClaimJobAsync(instance.Id, time.GetUtcNow(), options.Lease, jobId, ct);
        if (job is null) return null;
        return await RunClaimedAsync(job, progress, ct);
    }

    private async Task<JobRecord> RunClaimedAsync(JobRecord job, IProgress<double>? display, CancellationToken ct)
    {
        JobLog.Started(log, job.Id, job.Kind, job.Attempts);
        // The job acts for whoever queued it: its audit entries (promotions, erasures, ...) name that actor, not this instance.
        using var acting = job.QueuedBy is { Length: > 0 } by && actors is not null ? actors.Use(Actor.Parse(by)) : null;
        using var work = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = new Heartbeat(store, job.Id, instance.Id, options.Lease, time, display);
        var beating = heartbeat.RunAsync(work, CancellationToken.None);
        JobRecord done;
        try
        {
            if (!_handlers.TryGetValue(job.Kind, out var handler)) throw new LeadScoreException($"this instance cannot run '{job.Kind}' jobs", "kind");
            var result = await handler.RunAsync(job, heartbeat, work.Token);
            done = job with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", ResultJson = result, FinishedAt = time.GetUtcNow() };
            JobLog.Succeeded(log, job.Id);
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested)
        {
            // Lost lease: another instance owns the job now. Stopping: the lease expires and another instance (or the next start) resumes it.
            await heartbeat.StopAsync(beating);
            JobLog.Abandoned(log, job.Id, heartbeat.Lost ? "its lease was lost" : "the instance is stopping");
            return job;
        }
        catch (JobLeaseLostException)
        {
            // A fenced write found another owner (this instance was paused past its lease): nothing of it was stored.
            await heartbeat.StopAsync(beating);
            JobLog.Abandoned(log, job.Id, "its lease was lost");
            return job;
        }
        catch (Exception ex)
        {
            JobLog.Failed(log, job.Id, ex);
            // A domain error reads well as the job's message; anything else is summarised (details are in the log, not the API).
            var message = ex is LeadScoreException ? ex.Message : $"failed with an internal error; the server log has the details (job {job.Id})";
            done = job with { Status = JobStatus.Failed, Message = message, FinishedAt = time.GetUtcNow() };
        }
        await heartbeat.StopAsync(beating);
        if (!await store.CompleteJobAsync(done, instance.Id, CancellationToken.None)) JobLog.Abandoned(log, job.Id, "its lease was lost before it finished");
        return done;
    }

    /// <summary>Renews the lease every third of its length and records the latest progress with it; cancels the work if the lease is lost.</summary>
    private sealed class Heartbeat(IJobQueue store, string jobId, string owner, TimeSpan lease, TimeProvider time, IProgress<double>? display)
        : IProgress<(double Fraction, string Stage)>
    {
        private readonly Lock _lock = new();
        private (double Fraction, string Stage) _latest = (0, "starting");
        private readonly CancellationTokenSource _stop = new();

        public bool Lost { get; private set; }

        public void Report((double Fraction, string Stage) value)
        {
            lock (_lock) _latest = (Math.Clamp(value.Fraction, 0, 0.99), value.Stage);
            display?.Report(value.Fraction);
        }

        public async Task RunAsync(CancellationTokenSource work, CancellationToken ct)
        {
            using var timer = new PeriodicTimer(lease / 3, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    (double Fraction, string Stage) p;
                    lock (_lock) p = _latest;
                    bool held;
                    try { held = await store.RenewJobLeaseAsync(jobId, owner, time.GetUtcNow(), lease, p.Fraction, p.Stage, _stop.Token); }
                    catch (Exception ex) when (ex is not OperationCanceledException) { continue; } // a passing database error: try again next beat
                    if (!held)
                    {
                        Lost = true;
                        await work.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) { }
        }

        public async Task StopAsync(Task beating)
        {
            await _stop.CancelAsync();
            await beating;
        }
    }
}

internal static partial class JobLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) started (attempt {Attempt})")]
    public static partial void Started(ILogger log, string jobId, string kind, int attempt);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Job {JobId} succeeded")]
    public static partial void Succeeded(ILogger log, string jobId);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Job {JobId} failed")]
    public static partial void Failed(ILogger log, string jobId, Exception ex);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Job {JobId} left to another instance: {Why}")]
    public static partial void Abandoned(ILogger log, string jobId, string why);
}
