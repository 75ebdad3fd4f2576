using LeadScore.Application.Governance;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeadScore.Hosting;

/// <summary>
/// Runs the activities partition upkeep (<see cref="ActivityPartitionService"/>) on the leader only: at the first tick
/// this instance is leader, then every <see cref="PartitionOptions.Interval"/>. Leadership is checked every minute at
/// most, so a new leader takes the schedule over soon after the old one died. Does nothing on SQLite.
/// </summary>
public sealed class PartitionMaintenance(ActivityPartitionService upkeep, LeaderElection leader, TimeProvider time,
    ILogger<PartitionMaintenance> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = upkeep.Options.Interval;
        var tick = interval < TimeSpan.FromMinutes(1) ? interval : TimeSpan.FromMinutes(1);
        var next = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (time.GetUtcNow() < next || !leader.IsLeader) continue;
                next = time.GetUtcNow() + interval;
                try
                {
                    var done = await upkeep.RunAsync(stoppingToken);
                    if (done.Created.Count > 0 || done.MovedFromDefault > 0)
                        HostingLog.PartitionsMaintained(log, string.Join(", ", done.Created), done.MovedFromDefault);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A lock timeout (a long reader of activities) or a lost connection: the next tick tries again.
                    next = time.GetUtcNow() + tick;
                    HostingLog.PartitionUpkeepFailed(log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 6015, Level = LogLevel.Information, Message = "Activity partitions created: {Created}; rows moved out of the default partition: {Moved}")]
    public static partial void PartitionsMaintained(ILogger log, string created, long moved);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Activity partition upkeep failed; retrying at the next tick")]
    public static partial void PartitionUpkeepFailed(ILogger log, Exception ex);
}
