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
    private DateTimeOffset _next = DateTimeOffset.MinValue;

    /// <summary>One tick: when this instance is leader and the upkeep is due, runs it and returns what it did; else null.</summary>
    public async Task<ActivityPartitionUpkeepResult?> TickAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now < _next || !leader.IsLeader) return null;
        _next = now + upkeep.Options.Interval;
        try
        {
            var done = await upkeep.RunAsync(ct);
            if (done.Created.Count > 0 || done.MovedFromDefault > 0)
                HostingLog.PartitionsMaintained(log, string.Join(", ", done.Created), done.MovedFromDefault);
            return new ActivityPartitionUpkeepResult(done, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A lock timeout (a long reader of activities) or a lost connection: the next tick tries again.
            _next = now + Tick;
            HostingLog.PartitionUpkeepFailed(log, ex);
            return new ActivityPartitionUpkeepResult(null, ex.Message);
        }
    }

    private TimeSpan Tick => upkeep.Options.Interval < TimeSpan.FromMinutes(1) ? upkeep.Options.Interval : TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await TickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>A tick that ran: what the upkeep did, or why it failed (it is retried at the next tick).</summary>
public sealed record ActivityPartitionUpkeepResult(LeadScore.Storage.ActivityPartitionUpkeep? Done, string? Error);

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 6015, Level = LogLevel.Information, Message = "Activity partitions created: {Created}; rows moved out of the default partition: {Moved}")]
    public static partial void PartitionsMaintained(ILogger log, string created, long moved);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Activity partition upkeep failed; retrying at the next tick")]
    public static partial void PartitionUpkeepFailed(ILogger log, Exception ex);
}
