using LeadScore.Application.Jobs;
using LeadScore.Storage;

namespace LeadScore.Application.Scoring;

/// <summary>
/// Re-scoring every stored lead as time passes (recency and decay features change even when no data arrives), the use case
/// the leader's <c>ScoreMaintenance</c> and <c>simulate</c> both call at their cadence: it queues a <c>rescore</c> job with the
/// cause "time passing", which every instance's worker shares by lead-id ranges (webhooks for the changes).
/// </summary>
public sealed class TimePassingRescore(JobQueue jobs, IJobQueue jobStore)
{
    /// <summary>Queues the job; null when a re-score is already queued or running (it covers this round: another would only pile up).</summary>
    public async Task<JobRecord?> QueueAsync(CancellationToken ct = default)
    {
        foreach (var status in new[] { JobStatus.Queued, JobStatus.Running })
            if ((await jobStore.ListJobsAsync(status, ct)).Any(j => j.Kind == JobKinds.Rescore)) return null;
        return await jobs.EnqueueRescoreAsync(RescoreCauses.TimePassing, ct);
    }
}
