using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// Built feature sets stored under a name. They are derived data: erasing a lead drops them all (see
/// <see cref="ILeadData.EraseLeadAsync"/>). Settings are not snapshots: they live in <see cref="ISettingsStore"/>.
/// </summary>
public interface IFeatureSnapshotStore
{
    /// <summary>Stores a built feature set (e.g. a training set) under a name, replacing one of the same name.</summary>
    Task SaveFeatureSnapshotAsync(FeatureSnapshot snapshot, CancellationToken ct = default);
    Task<FeatureSnapshot?> GetFeatureSnapshotAsync(string name, CancellationToken ct = default);
}
