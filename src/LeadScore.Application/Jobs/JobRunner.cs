using LeadScore.Server.Webhooks;
using LeadScore.Core;
using System.Text.Json;
using System.Threading.Channels;
using LeadScore.Server.Api;
using LeadScore.Storage;
using LeadScore.Storage.Services;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeadScore.Application.Jobs;

/// <summary>
/// Runs background jobs one at a time (training takes both cores; two at once would only be
/// slower) and records their progress in the store. Jobs queued when the server stopped run on the
/// next start; a job that was running is marked failed, because its work is lost with the process.
/// </summary>
public sealed class JobRunner(
    IJobStore jobs, LeadScoreParts parts, WebhookNotifier notifier, TimeProvider time, ILogger<JobRunner> log) : BackgroundService
{
    public const string TrainKind = "train";
    /// <summary>Re-scores every stored lead with the champion (after a promotion or rollback).</summary>
    public const string RescoreKind = "rescore";
    private readonly IJobStore _jobs = jobs;
    private readonly TimeProvider _time = time;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Whether this server can train (a trainer was supplied).</summary>
    public bool CanTrain => parts.Trainer is not null;

    public Task<JobRecord> EnqueueTrainingAsync(TrainRequest request, CancellationToken ct) =>
        EnqueueAsync(TrainKind, JsonSerializer.Serialize(request, ApiJsonContext.Default.TrainRequest), ct);

    /// <summary>Queues re-scoring of every stored lead (cause: new model); the model serving now is the one used.</summary>
    public Task<JobRecord> EnqueueRescoreAsync(CancellationToken ct) => EnqueueAsync(RescoreKind, "{}", ct);

    private async Task<JobRecord> EnqueueAsync(string kind, string requestJson, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var job = new JobRecord
        {
            Id = "job_" + Guid.CreateVersion7(now).ToString("N")[..20],
            Kind = kind,
            Status = JobStatus.Queued,
            Message = "queued",
            RequestJson = requestJson,
            CreatedAt = now,
        };
        await _jobs.SaveJobAsync(job, ct);
        await _queue.Writer.WriteAsync(job.Id, ct);
        return job;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var j in await _jobs.ListJobsAsync(JobStatus.Running, stoppingToken))
        {
            ServerLog.JobInterrupted(log, j.Id);
            await _jobs.SaveJobAsync(j with { Status = JobStatus.Failed, Message = "interrupted: the server stopped while it ran", FinishedAt = _time.GetUtcNow() }, stoppingToken);
        }
        foreach (var j in await _jobs.ListJobsAsync(JobStatus.Queued, stoppingToken)) await _queue.Writer.WriteAsync(j.Id, stoppingToken);

        try
        {
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                var job = await _jobs.GetJobAsync(id, stoppingToken);
                if (job is null || job.Status != JobStatus.Queued) continue;
                await RunAsync(job, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: queued jobs stay queued in the store.
        }
    }

    private async Task RunAsync(JobRecord job, CancellationToken ct)
    {
        ServerLog.JobStarted(log, job.Id, job.Kind);
        job = job with { Status = JobStatus.Running, StartedAt = _time.GetUtcNow(), Message = "starting" };
        await _jobs.SaveJobAsync(job, ct);
        try
        {
            var result = job.Kind switch
            {
                TrainKind => await TrainAsync(job, ct),
                RescoreKind => await RescoreAsync(job, ct),
                _ => throw new InvalidOperationException($"unknown job kind '{job.Kind}'"),
            };
            job = job with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", ResultJson = result, FinishedAt = _time.GetUtcNow() };
            ServerLog.JobSucceeded(log, job.Id);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            job = job with { Status = JobStatus.Failed, Message = "interrupted: the server stopped while it ran", FinishedAt = _time.GetUtcNow() };
        }
        catch (Exception ex)
        {
            ServerLog.JobFailed(log, job.Id, ex);
            job = job with { Status = JobStatus.Failed, Message = ex.Message, FinishedAt = _time.GetUtcNow() };
        }
        await _jobs.SaveJobAsync(job, CancellationToken.None);
    }

    private async Task<string> TrainAsync(JobRecord job, CancellationToken ct)
    {
        var trainer = parts.Trainer ?? throw new InvalidOperationException("this server has no trainer");
        var request = JsonSerializer.Deserialize(job.RequestJson, ApiJsonContext.Default.TrainRequest)!;
        var progress = new ThrottledProgress(this, job);
        var outcome = await trainer.TrainAsync(request, progress, ct);
        await progress.FlushAsync();
        if (outcome.Promoted && parts.Scoring is { } scoring)
        {
            await scoring.ReloadAsync(ct);
            await scoring.RescoreAllAsync(ScoreCause.NewModel, null, ct, NotifyAsync);
        }
        return JsonSerializer.Serialize(new TrainJobResult(outcome.Version, outcome.Promoted, outcome.Auc, outcome.Decision), ApiJsonContext.Default.TrainJobResult);
    }

    private async Task<string> RescoreAsync(JobRecord job, CancellationToken ct)
    {
        var scoring = parts.Scoring ?? throw new InvalidOperationException("this server has no scoring engine");
        if (scoring.ChampionVersion is null) return JsonSerializer.Serialize(new RescoreJobResult(0, null), ApiJsonContext.Default.RescoreJobResult);
        var progress = new ThrottledProgress(this, job);
        var n = await scoring.RescoreAllAsync(ScoreCause.NewModel, new Progress<double>(p => progress.Report((p, "re-scoring leads"))), ct, NotifyAsync);
        await progress.FlushAsync();
        return JsonSerializer.Serialize(new RescoreJobResult(n, scoring.ChampionVersion), ApiJsonContext.Default.RescoreJobResult);
    }

    /// <summary>Webhooks for grade and score changes a new model causes.</summary>
    private async Task NotifyAsync(IReadOnlyList<ScoreChange> changes, CancellationToken ct) => await notifier.NotifyAsync(changes, ct);

    /// <summary>Saves progress at most twice a second, so a chatty trainer does not hammer the store.</summary>
    private sealed class ThrottledProgress(JobRunner runner, JobRecord job) : IProgress<(double Fraction, string Stage)>
    {
        private readonly Lock _lock = new();
        private long _lastSave;
        private Task _pending = Task.CompletedTask;
        private bool _closed;

        public void Report((double Fraction, string Stage) value)
        {
            lock (_lock)
            {
                // Progress<T> callbacks can arrive after training returned: never let one overwrite the final state.
                if (_closed) return;
                var now = runner._time.GetTimestamp();
                if (runner._time.GetElapsedTime(_lastSave, now) < TimeSpan.FromMilliseconds(500) || !_pending.IsCompleted) return;
                _lastSave = now;
                _pending = SaveAsync(value);
            }
        }

        private Task SaveAsync((double Fraction, string Stage) v) =>
            runner._jobs.SaveJobAsync(job with { Status = JobStatus.Running, Progress = Math.Clamp(v.Fraction, 0, 0.99), Message = v.Stage, StartedAt = job.StartedAt });

        public async Task FlushAsync()
        {
            Task pending;
            lock (_lock)
            {
                _closed = true;
                pending = _pending;
            }
            await pending;
        }
    }
}
