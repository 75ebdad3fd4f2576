using LeadScore.Application.Jobs;
using LeadScore.Application.Scoring;
using LeadScore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LeadScore.Hosting;

/// <summary>
/// Keeps served scores current without a request. Every instance reloads its serving set and enrichment snapshot when
/// the registry's aliases or the shared enrichment version change (a promotion or import made through another
/// instance or the CLI is served here within one interval). The leader alone schedules re-scoring every stored lead as
/// time passes (recency and decay features change even when no data arrives): it queues a <c>rescore</c> job with the
/// cause "time passing", which is cut into lead-id ranges that every instance's worker shares (webhooks for the changes).
/// </summary>
public sealed class ScoreMaintenance(IScoringService scoring, TimePassingRescore timePassing, LeaderElection leader, IOptions<MaintenanceOptions> options,
    TimeProvider time, ILogger<ScoreMaintenance> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var nextRescore = o.TimePassingRescore > TimeSpan.Zero ? time.GetUtcNow() + o.TimePassingRescore : DateTimeOffset.MaxValue;
        using var timer = new PeriodicTimer(o.ChampionReloadInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var before = scoring.ChampionVersion;
                    if (await scoring.ReloadAsync(stoppingToken) && scoring.ChampionVersion != before)
                        HostingLog.ChampionChanged(log, before ?? "(none)", scoring.ChampionVersion ?? "(none)");
                    if (time.GetUtcNow() >= nextRescore && scoring.ChampionVersion is not null && leader.IsLeader)
                    {
                        nextRescore = time.GetUtcNow() + o.TimePassingRescore;
                        // A re-score still queued or running (slow, or a promotion's) covers this round: null, nothing queued.
                        if (await timePassing.QueueAsync(stoppingToken) is { } job) HostingLog.TimePassingRescoreQueued(log, job.Id);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A passing storage failure must not stop maintenance; the next tick tries again.
                    HostingLog.MaintenanceFailed(log, ex);
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
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Champion changed from {Previous} to {Current}")]
    public static partial void ChampionChanged(ILogger log, string previous, string current);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Queued re-scoring job {JobId} as time passed")]
    public static partial void TimePassingRescoreQueued(ILogger log, string jobId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Score maintenance failed; retrying at the next tick")]
    public static partial void MaintenanceFailed(ILogger log, Exception ex);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "The job worker failed; retrying")]
    public static partial void WorkerFailed(ILogger log, Exception ex);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Instance {Instance} leader: {IsLeader}")]
    public static partial void Leadership(ILogger log, string instance, bool isLeader);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Retention deleted rows: {Counts}")]
    public static partial void RetentionRan(ILogger log, string counts);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Retention failed; retrying at the next interval")]
    public static partial void RetentionFailed(ILogger log, Exception ex);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "Monitoring raised {Kind} for {Version} ({Slot}), window from {WindowStart:u}: {Message}")]
    public static partial void MonitoringAlert(ILogger log, string kind, string version, string slot, DateTimeOffset windowStart, string message);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "Monitoring failed; retrying at the next tick")]
    public static partial void MonitoringFailed(ILogger log, Exception ex);
}
