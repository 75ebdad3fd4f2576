using System.ComponentModel.DataAnnotations;
using LeadScore.Application.Lifecycle;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LeadScore.Hosting;

/// <summary>The continuous-learning loop's pace. Bound from <c>LeadScore:Lifecycle</c>.</summary>
public sealed class LifecycleOptions
{
    public const string Section = "LeadScore:Lifecycle";

    /// <summary>How often the leader checks the retraining policy and looks at the challenger and the watched promotion.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>False: this deployment never retrains or promotes by itself, whatever the stored policy says.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// The leader's continuous-learning tick: queues a policy <c>train</c> job when the retraining policy says one is due (any
/// instance's worker runs it, once, under its lease), then reviews the challenger and the last promotion
/// (<see cref="ContinuousLearning.ReviewAsync"/>). Only the leader ticks, so two instances never queue the same retraining.
/// </summary>
public sealed class RetrainingScheduler(ContinuousLearning learning, LeaderElection leader, IOptions<LifecycleOptions> options, TimeProvider time,
    ILogger<RetrainingScheduler> log) : BackgroundService
{
    /// <summary>One tick: does nothing unless this instance leads. Returns what happened (for logs and tests).</summary>
    public async Task<IReadOnlyList<string>> TickAsync(CancellationToken ct)
    {
        if (!options.Value.Enabled || !leader.IsLeader) return [];
        var said = new List<string>();
        if (await learning.ScheduleAsync(ct) is { } job)
        {
            LifecycleLog.RetrainingQueued(log, job.Id);
            said.Add($"queued retraining {job.Id}");
        }
        foreach (var s in await learning.ReviewAsync(ct))
        {
            LifecycleLog.Reviewed(log, s);
            said.Add(s);
        }
        return said;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await TickAsync(stoppingToken); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A passing failure (database, a model that cannot load) must not stop the loop; the next tick tries again.
                    LifecycleLog.Failed(log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

internal static partial class LifecycleLog
{
    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "Retraining policy: queued training job {JobId}")]
    public static partial void RetrainingQueued(ILogger log, string jobId);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Continuous learning: {What}")]
    public static partial void Reviewed(ILogger log, string what);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Continuous learning tick failed; retrying at the next tick")]
    public static partial void Failed(ILogger log, Exception ex);
}
