using LeadScore.Application.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeadScore.Hosting;

/// <summary>
/// Claims and runs jobs one at a time (a training run uses every core; two at once would only be slower).
/// Every instance runs a worker; the lease-based claim lets exactly one of them run each job, and a job whose
/// instance died is taken over when its lease expires.
/// </summary>
public sealed class JobWorker(JobRunner jobs, JobOptions options, ILogger<JobWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await jobs.RunNextAsync(stoppingToken)) continue;
                await jobs.WaitForWorkAsync(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A passing database failure must not stop the worker: wait one poll interval and try again.
                HostingLog.WorkerFailed(log, ex);
                try { await Task.Delay(options.PollInterval, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
