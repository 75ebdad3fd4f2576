namespace LeadScore.Storage;

/// <summary>
/// What the rights of the person need beyond <see cref="ILeadData"/>: erasure tombstones (keyed hashes of erased ids, never
/// the ids), which model versions were trained with which lead, and the ids of the leads that opted out of profiling.
/// </summary>
public interface IPrivacyStore
{
    /// <summary>
    /// Erases the lead as <see cref="ILeadData.EraseLeadAsync"/> does and, in the same transaction, records
    /// <paramref name="tombstone"/> (a keyed hash of its id) so a re-import can refuse it. The tombstone is recorded only
    /// when something was erased.
    /// </summary>
    Task<bool> EraseLeadAsync(string id, string tombstone, CancellationToken ct = default);

    /// <summary>Every tombstone (keyed hashes), for an import to check ids against.</summary>
    Task<IReadOnlySet<string>> GetErasureTombstonesAsync(CancellationToken ct = default);

    /// <summary>Removes tombstones (an import asked to bring erased leads back, <c>import --allow-erased</c>); returns how many.</summary>
    Task<int> RemoveErasureTombstonesAsync(IReadOnlyCollection<string> tombstones, CancellationToken ct = default);

    /// <summary>Records the leads a registered model version was trained with (its training set's lead ids).</summary>
    Task RecordTrainingLeadsAsync(string modelVersion, IReadOnlyCollection<string> leadIds, CancellationToken ct = default);

    /// <summary>The model versions trained with the lead, oldest first.</summary>
    Task<IReadOnlyList<string>> GetModelsTrainedWithAsync(string leadId, CancellationToken ct = default);

    /// <summary>
    /// The setting's value; when absent, stores <paramref name="valueIfAbsent"/> first (insert-if-absent: of several
    /// instances creating it at once, one value wins and all get it). For secrets generated on first use.
    /// </summary>
    Task<string> GetOrAddSettingAsync(string name, string valueIfAbsent, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>Ids of the stored leads that opted out of profiling.</summary>
    Task<IReadOnlyList<string>> GetOptedOutLeadIdsAsync(CancellationToken ct = default);
}

/// <summary>
/// Deleting old rows by data class (the retention job). With <c>dryRun</c> nothing is deleted and the count is of the
/// rows that would be. The audit log is not a data class: it is never deleted.
/// </summary>
public interface IRetentionStore
{
    /// <summary>Activities (and replaced versions of them) whose event time is before <paramref name="before"/>.</summary>
    Task<long> DeleteActivitiesOlderThanAsync(DateTimeOffset before, bool dryRun = false, CancellationToken ct = default);

    /// <summary>Quarantined rows recorded before <paramref name="before"/>.</summary>
    Task<long> DeleteQuarantineOlderThanAsync(DateTimeOffset before, bool dryRun = false, CancellationToken ct = default);

    /// <summary>Score history rows scored before <paramref name="before"/>; each lead's latest score is kept in scores_latest.</summary>
    Task<long> DeleteScoreHistoryOlderThanAsync(DateTimeOffset before, bool dryRun = false, CancellationToken ct = default);
}
