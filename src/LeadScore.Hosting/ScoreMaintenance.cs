using LeadScore.Core;
using LeadScore.Server.Webhooks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LeadScore.Hosting;

/// <summary>
/// Keeps served scores current without a request: reloads the champion when another instance (or the CLI)
/// changed it, so several instances on one PostgreSQL database agree; and re-scores every stored lead as time
/// passes (recency and decay features change even when no data arrives), recording the cause "time passing"
/// and firing webhooks for the changes. In a multi-instance deployment, enable re-scoring on one instance.
/// </summary>
public sealed class ScoreMaintenance(LeadScoreParts parts, WebhookNotifier notifier, IOptions<ServerOptions> options, TimeProvider time, ILogger<ScoreMaintenance> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (parts.Scoring is not { } scoring) return;
        var o = options.Value.Maintenance;
        var nextRescore = o.TimePassingRescore > TimeSpan.Zero ? time.GetUtcNow() + o.TimePassingRescore : DateTimeOffset.MaxValue;
        using var timer = new PeriodicTimer(o.ChampionReloadInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var before = scoring.ChampionVersion;
                    await scoring.ReloadAsync(stoppingToken);
                    if (scoring.ChampionVersion != before) ServerLog.ChampionChanged(log, before ?? "(none)", scoring.ChampionVersion ?? "(none)");
                    if (time.GetUtcNow() >= nextRescore && scoring.ChampionVersion is not null)
                    {
                        nextRescore = time.GetUtcNow() + o.TimePassingRescore;
                        var n = await scoring.RescoreAllAsync(ScoreCause.TimePassing, null, stoppingToken, (changes, ct) => notifier.NotifyAsync(changes, ct));
                        ServerLog.TimePassingRescored(log, n);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A passing storage failure must not stop maintenance; the next tick tries again.
                    ServerLog.MaintenanceFailed(log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
