using LeadScore.Application.Governance;
using LeadScore.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeadScore.Hosting;

/// <summary>
/// Runs retention (<see cref="RetentionService"/>) on the leader only, every <see cref="RetentionOptions.Interval"/>
/// (daily by default). Leadership is checked every minute at most, so a new leader takes the schedule over soon after
/// the old one died; the first run is one interval after this instance started.
/// </summary>
public sealed class RetentionMaintenance(RetentionService retention, LeaderElection leader, RetentionOptions options, TimeProvider time,
    ILogger<RetentionMaintenance> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = options.Interval < TimeSpan.FromMinutes(1) ? options.Interval : TimeSpan.FromMinutes(1);
        var next = time.GetUtcNow() + options.Interval;
        using var timer = new PeriodicTimer(tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (time.GetUtcNow() < next || !leader.IsLeader) continue;
                next = time.GetUtcNow() + options.Interval;
                try
                {
                    var counts = await retention.RunAsync(dryRun: false, Actor.System("retention"), stoppingToken);
                    HostingLog.RetentionRan(log, string.Join(", ", counts.Select(c => $"{c.DataClass} {c.Rows}")));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    HostingLog.RetentionFailed(log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
