using System.Collections.Concurrent;

namespace LeadScore.Application.Monitoring;

/// <summary>
/// The latest monitoring figures of each slot, as this instance last computed them (the periodic job on the leader, or
/// <c>monitor</c> in a CLI process): what the Prometheus gauges export. An instance that has not run monitoring yet has
/// none; scrape every instance (the leader has them).
/// </summary>
public sealed class MonitoringStatus
{
    private readonly ConcurrentDictionary<string, SlotStatus> _slots = new(StringComparer.Ordinal);

    /// <summary>The figures of one slot after one run.</summary>
    public sealed record SlotStatus
    {
        public required string Slot { get; init; }
        public required string ModelVersion { get; init; }
        public required DateTimeOffset At { get; init; }
        /// <summary>Dataset drift of the last window with a drift comparison.</summary>
        public bool? DatasetDrift { get; init; }
        public double? DriftedImportanceShare { get; init; }
        /// <summary>CBPE's estimated AUC of the last window.</summary>
        public double? EstimatedAuc { get; init; }
        /// <summary>Realized AUC of the last window that has one (its cohort has matured rows of both classes).</summary>
        public double? RealizedAuc { get; init; }
        /// <summary>Open alerts by kind (alerts of the version serving in the slot).</summary>
        public IReadOnlyDictionary<string, int> OpenAlerts { get; init; } = new Dictionary<string, int>();
    }

    public void Record(MonitoringResult result, IReadOnlyDictionary<string, int> openAlerts, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.ModelVersion is null) return;
        var drift = result.LatestDrift?.Drift;
        var last = result.Windows.Count > 0 ? result.Windows[^1] : null;
        _slots[result.Slot] = new SlotStatus
        {
            Slot = result.Slot,
            ModelVersion = result.ModelVersion,
            At = at,
            DatasetDrift = drift?.DatasetDrift,
            DriftedImportanceShare = drift?.DriftedImportanceShare,
            EstimatedAuc = Finite(last?.Estimated?.Auc),
            RealizedAuc = Finite(result.Windows.LastOrDefault(w => w.Realized is { } r && double.IsFinite(r.Auc))?.Realized?.Auc),
            OpenAlerts = openAlerts,
        };
    }

    /// <summary>Forgets a slot (its alias was removed).</summary>
    public void Clear(string slot) => _slots.TryRemove(slot, out _);

    public IReadOnlyList<SlotStatus> Slots => _slots.Values.OrderBy(s => s.Slot, StringComparer.Ordinal).ToList();

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;
}
