using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Jobs;
using LeadScore.Application.Webhooks;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Scoring;

/// <summary>
/// Re-scores every stored lead with the champion serving now, spread over the instances: the job cuts the leads into
/// lead-id ranges of about <see cref="JobOptions.RescoreRangeSize"/> and queues one <c>rescore-range</c> job per range,
/// which every instance's worker claims like any job. The instance running this job works through the ranges too (so a
/// lone CLI or server does it all), then waits for the ranges others hold; a range whose instance died is taken over
/// here or elsewhere once its lease expires. The job succeeds when every range has; webhooks go out per range.
/// </summary>
public sealed class RescoreJobHandler(IScoringService scoring, IJobQueue store, JobQueue queue, Lazy<JobRunner> runner, JobOptions options, ILeadData leads)
    : IJobHandler
{
    public string Kind => JobKinds.Rescore;

    public async Task<string> RunAsync(JobRecord job, IProgress<(double Fraction, string Stage)> progress, CancellationToken ct)
    {
        var request = JsonSerializer.Deserialize(job.RequestJson ?? "{}", JobJsonContext.Default.RescoreJobRequest) ?? new RescoreJobRequest();
        RescoreCauses.Parse(request.Cause);
        // The instance running the job may not have seen the promotion yet (another instance made it).
        await scoring.ReloadAsync(ct);
        if (scoring.ChampionVersion is null) return Result(new RescoreJobResult(0, null, 0));
        var ranges = await FindRangesAsync(job, ct) ?? await PlanRangesAsync(job, request.Cause, ct);
        var pending = new List<string>(ranges);
        var rescored = 0;
        string? version = null;
        while (pending.Count > 0)
        {
            var ranHere = false;
            foreach (var id in pending.ToList())
            {
                // Claims the range when it is queued or its owner's lease expired; null when a live instance holds it.
                var record = await runner.Value.RunNowAsync(id, null, ct);
                ranHere |= record is not null;
                if (record is null || record.Status is JobStatus.Queued or JobStatus.Running) record = await store.GetJobAsync(id, ct);
                if (record is null) throw new LeadScoreException($"re-scoring range {id} disappeared", "rescore");
                if (record.Status == JobStatus.Failed) throw new LeadScoreException($"re-scoring range {id} failed: {record.Message}", "rescore");
                if (record.Status != JobStatus.Succeeded) continue;
                var r = JsonSerializer.Deserialize(record.ResultJson ?? "{}", JobJsonContext.Default.RescoreJobResult);
                rescored += r?.Rescored ?? 0;
                version ??= r?.ModelVersion;
                pending.Remove(id);
                progress.Report(((double)(ranges.Count - pending.Count) / ranges.Count,
                    string.Create(CultureInfo.InvariantCulture, $"re-scoring leads: {ranges.Count - pending.Count} of {ranges.Count} ranges done")));
            }
            // Waiting on ranges other instances hold: poll at the worker's pace (wall clock on purpose, like the worker).
            if (pending.Count > 0 && !ranHere) await Task.Delay(options.PollInterval, ct);
        }
        return Result(new RescoreJobResult(rescored, version ?? scoring.ChampionVersion, ranges.Count));
    }

    private static string Result(RescoreJobResult r) => JsonSerializer.Serialize(r, JobJsonContext.Default.RescoreJobResult);

    private static string RangeId(string parent, int attempt, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{parent}-a{attempt}-r{index:D3}");

    /// <summary>
    /// The ranges an earlier attempt of this job queued (its instance died after planning), so they are not planned
    /// twice. Range 0 is queued last, so when it exists the whole plan does.
    /// </summary>
    private async Task<IReadOnlyList<string>?> FindRangesAsync(JobRecord job, CancellationToken ct)
    {
        for (var attempt = job.Attempts - 1; attempt >= 1; attempt--)
        {
            if (await store.GetJobAsync(RangeId(job.Id, attempt, 0), ct) is null) continue;
            var ids = new List<string>();
            while (await store.GetJobAsync(RangeId(job.Id, attempt, ids.Count), ct) is not null) ids.Add(RangeId(job.Id, attempt, ids.Count));
            return ids;
        }
        return null;
    }

    private async Task<IReadOnlyList<string>> PlanRangesAsync(JobRecord job, string cause, CancellationToken ct)
    {
        var count = await leads.CountLeadsAsync(ct);
        var parts = (int)Math.Clamp((count + options.RescoreRangeSize - 1) / options.RescoreRangeSize, 1, options.MaxRescoreRanges);
        var cut = LeadIdRange.Cut(await leads.GetLeadIdBoundariesAsync(parts, ct));
        var ids = Enumerable.Range(0, cut.Count).Select(i => RangeId(job.Id, job.Attempts, i)).ToList();
        // Last range first, range 0 last: range 0's presence marks a complete plan (see FindRangesAsync). Other workers
        // claim the oldest first, so they start from the end while this instance starts from range 0.
        for (var i = cut.Count - 1; i >= 0; i--)
            await queue.EnqueueRescoreRangeAsync(ids[i], new RescoreRangeRequest { Parent = job.Id, From = cut[i].From, To = cut[i].To, Cause = cause }, ct);
        return ids;
    }
}

/// <summary>
/// Re-scores one lead-id range of a re-scoring job with the champion serving now, with webhooks for the changes. Every
/// <see cref="JobOptions.RescoreCheckpointEvery"/> leads it commits the chunk's scores, their webhook deliveries and the
/// range's checkpoint (the last lead id done) in one transaction, fenced by the lease; an instance that takes the range
/// over after its owner died resumes after the checkpoint, so no lead gets a second score, log row or webhook.
/// </summary>
public sealed class RescoreRangeJobHandler(IScoringService scoring, WebhookNotifier notifier, IJobQueue jobs, JobOptions options) : IJobHandler
{
    public string Kind => JobKinds.RescoreRange;

    public async Task<string> RunAsync(JobRecord job, IProgress<(double Fraction, string Stage)> progress, CancellationToken ct)
    {
        var request = JsonSerializer.Deserialize(job.RequestJson ?? "{}", JobJsonContext.Default.RescoreRangeRequest)
                      ?? throw new LeadScoreException("a re-scoring range job needs a request", "request");
        var cause = RescoreCauses.Parse(request.Cause);
        var owner = job.LeaseOwner ?? throw new LeadScoreException($"re-scoring range {job.Id} runs only when claimed", "lease");
        var resumed = job.Checkpoint is { Length: > 0 } text ? JsonSerializer.Deserialize(text, JobJsonContext.Default.RescoreRangeCheckpoint) : null;
        await scoring.ReloadAsync(ct);
        if (scoring.ChampionVersion is null) return JsonSerializer.Serialize(new RescoreJobResult(resumed?.Scored ?? 0, null), JobJsonContext.Default.RescoreJobResult);
        var scored = resumed?.Scored ?? 0;
        var sink = new RescoreChunkSink(async (changes, c) =>
        {
            if (changes.Count == 0) return;
            // Leads whose stored score stands (time passing changed nothing) are neither saved nor notified; the checkpoint
            // still moves past them, so a successor does not look at them (nor log them) again.
            var changed = changes.Where(x => !x.Unchanged).ToList();
            var deliveries = await notifier.DeliveriesAsync(changed, c);
            var checkpoint = new RescoreRangeCheckpoint(changes[^1].Current.LeadId, scored + changes.Count);
            var chunk = new JobChunk(job.Id, owner, JsonSerializer.Serialize(checkpoint, JobJsonContext.Default.RescoreRangeCheckpoint),
                changed.Select(x => x.Current).ToList(), deliveries);
            if (!await jobs.CommitJobChunkAsync(chunk, c)) throw new JobLeaseLostException(job.Id);
            scored = checkpoint.Scored;
            if (deliveries.Count > 0) notifier.Pulse();
            // The size of a range is not counted (one more query per range): the stage says how far it got.
            progress.Report((0, string.Create(CultureInfo.InvariantCulture, $"re-scored {scored} leads of this range, through {checkpoint.After}")));
        }, options.RescoreCheckpointEvery);
        var range = new LeadIdRange(request.From, request.To) { After = resumed?.After };
        await scoring.RescoreAllAsync(cause, null, ct, range: range, sink: sink);
        return JsonSerializer.Serialize(new RescoreJobResult(scored, scoring.ChampionVersion), JobJsonContext.Default.RescoreJobResult);
    }
}
