namespace LeadScore.Storage;

/// <summary>Monitoring alerts: at most one per kind, model version, slot and window (a second raise is ignored).</summary>
public interface IMonitoringAlerts
{
    /// <summary>
    /// Stores the alert unless one of its kind for the same model, slot and window exists; true when stored. The webhook
    /// <paramref name="deliveries"/> announcing it are queued in the same transaction, so an alert is never stored without
    /// its deliveries (or queued twice when two instances raise it).
    /// </summary>
    Task<bool> TryAddAlertAsync(MonitoringAlert alert, IReadOnlyList<NewDelivery>? deliveries = null, CancellationToken ct = default);

    /// <summary>The alerts raised at or after <paramref name="since"/> (all when null), newest window first.</summary>
    Task<IReadOnlyList<MonitoringAlert>> ListAlertsAsync(DateTimeOffset? since = null, int limit = 100, CancellationToken ct = default);
}

/// <summary>One raised alert.</summary>
public sealed record MonitoringAlert
{
    /// <summary>Database id; 0 before it is stored.</summary>
    public long Id { get; init; }
    /// <summary><c>drift_detected</c> or <c>performance_dropped</c>.</summary>
    public required string Kind { get; init; }
    public required string ModelVersion { get; init; }
    public required string Slot { get; init; }
    public required DateTimeOffset WindowStart { get; init; }
    public required DateTimeOffset WindowEnd { get; init; }
    public required DateTimeOffset RaisedAt { get; init; }
    /// <summary>One line a person reads ("3 features drifted: lead_source ...").</summary>
    public required string Message { get; init; }
    /// <summary>The details as JSON (top drifted features with their statistic and sentence, or the performance figures).</summary>
    public required string DetailsJson { get; init; }
}
