using LeadScore.Application.Monitoring;
using Microsoft.Extensions.Hosting;

namespace LeadScore.Hosting;

/// <summary>
/// Drains the prediction log's channel into the store in batches while the instance runs, and writes what is left when
/// it stops. Requests only enqueue (<see cref="PredictionLogger.Log"/>); this is the one writer of a serving instance.
/// </summary>
public sealed class PredictionLogWriter(PredictionLogger log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await log.WaitToWriteAsync(stoppingToken))
                while (await log.WriteBatchAsync(stoppingToken) > 0) { }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // What arrived before the stop is written, within the host's shutdown time.
        await log.FlushAsync(cancellationToken);
    }
}
