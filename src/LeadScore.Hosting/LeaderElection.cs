using LeadScore.Application.Jobs;
using LeadScore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LeadScore.Hosting;

/// <summary>
/// Holds the "leader" lease for this instance when it can: work only one instance may do (time-passing re-scoring,
/// later retention and scheduled retraining) runs only while <see cref="IsLeader"/>. The lease is renewed every third of
/// its length; if the leader dies, another instance takes over once the lease expires.
/// </summary>
public sealed class LeaderElection(ILeaseStore leases, LeadScoreInstance instance, IOptions<MaintenanceOptions> options, TimeProvider time,
    ILogger<LeaderElection> log) : BackgroundService
{
    public const string LeaseName = "leader";
    private volatile bool _leader;

    public bool IsLeader => _leader;

    /// <summary>Tries once now (for callers that need an answer before the first tick).</summary>
    public async Task<bool> TryAcquireAsync(CancellationToken ct)
    {
        var was = _leader;
        _leader = await leases.TryAcquireLeaseAsync(LeaseName, instance.Id, time.GetUtcNow(), options.Value.LeaderLease, ct);
        if (_leader != was) HostingLog.Leadership(log, instance.Id, _leader);
        return _leader;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LeaderLease / 3, time);
        try
        {
            do
            {
                try { await TryAcquireAsync(stoppingToken); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Cannot reach the database: stop acting as leader until the lease is confirmed again.
                    _leader = false;
                    HostingLog.MaintenanceFailed(log, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_leader)
            {
                _leader = false;
                try { await leases.ReleaseLeaseAsync(LeaseName, instance.Id, CancellationToken.None); } catch (Exception) { /* it expires by itself */ }
            }
        }
    }
}
