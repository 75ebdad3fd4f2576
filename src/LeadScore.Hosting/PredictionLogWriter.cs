using LeadScore.Application.Monitoring;
using Microsoft.Extensions.Hosting;

namespace LeadScore.Hosting;

/// <summary>
/// Drains the prediction log's channel into the store in batches while the instance runs, and writes what is left when
/// it stops. Requests only enqueue (<see cref="PredictionLogger.Log"/>); this is the one writer of a serving instance.
/// </summary>
public sealed class PredictionLogWriter(PredictionLogger log, MonitoringOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await log.WaitToWriteAsync(stoppingToken))
            {
                // Let a batch gather (MonitoringOptions.WriteDelay) unless a full one already waits; then write full batches
                // while they keep coming, and the partial rest once. Draining to empty in a loop would turn a steady request
                // rate into a stream of tiny transactions (each batch's write time lets a few more requests in).
                if (options.WriteDelay > TimeSpan.Zero && log.Pending < options.WriteBatchSize) await Task.Delay(options.WriteDelay, stoppingToken);
                while (await log.WriteBatchAsync(stoppingToken) >= options.WriteBatchSize) { }
            }
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
