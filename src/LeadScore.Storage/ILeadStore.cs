using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// The one storage contract. SQLite (embedded default) and PostgreSQL implement it; one contract
/// test suite runs against both. Every method is safe to call from several threads and, on
/// PostgreSQL, from several LeadScore instances at once.
/// </summary>
public interface ILeadStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgresql".</summary>
    string Backend { get; }

    /// <summary>Human-readable location (file path or host/database), never the password.</summary>
    string Describe();

    /// <summary>Applies pending schema migrations. Called by <see cref="LeadStore.OpenAsync"/>.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    Task<bool> PingAsync(CancellationToken ct = default);

    // ---- leads -------------------------------------------------------------------------------

    /// <summary>Inserts new leads, updates changed ones (keeping the previous version in history), skips unchanged. One transaction.</summary>
    Task<UpsertCounts> UpsertLeadsAsync(IReadOnlyList<Lead> leads, CancellationToken ct = default);
    Task<Lead?> GetLeadAsync(string id, CancellationToken ct = default);
    /// <summary>Earlier versions of a lead, oldest first, each with the time it was replaced.</summary>
    Task<IReadOnlyList<LeadHistoryEntry>> GetLeadHistoryAsync(string id, CancellationToken ct = default);
    /// <summary>Every replaced lead version, ordered by lead id then oldest first (for point-in-time attributes).</summary>
    IAsyncEnumerable<LeadHistoryEntry> StreamLeadHistoryAsync(CancellationToken ct = default);
    /// <summary>All leads ordered by id.</summary>
    IAsyncEnumerable<Lead> StreamLeadsAsync(CancellationToken ct = default);
    Task<long> CountLeadsAsync(CancellationToken ct = default);
    /// <summary>GDPR/CCPA erasure: removes the lead and everything about it. Returns false when unknown.</summary>
    Task<bool> EraseLeadAsync(string id, CancellationToken ct = default);
    Task SetProfilingOptOutAsync(string id, bool optOut, CancellationToken ct = default);

    // ---- activities --------------------------------------------------------------------------

    /// <summary>Inserts activities, skipping those whose event id is already stored. One transaction.</summary>
    Task<InsertCounts> InsertActivitiesAsync(IReadOnlyList<Activity> activities, CancellationToken ct = default);
    /// <summary>A lead's activities ordered by time (then event id), optionally only those strictly before <paramref name="before"/>.</summary>
    Task<IReadOnlyList<Activity>> GetActivitiesAsync(string leadId, DateTimeOffset? before = null, CancellationToken ct = default);
    /// <summary>All activities ordered by lead id, time, event id (for building training sets in one pass).</summary>
    IAsyncEnumerable<Activity> StreamActivitiesAsync(CancellationToken ct = default);
    Task<long> CountActivitiesAsync(CancellationToken ct = default);

    // ---- enrichment --------------------------------------------------------------------------

    /// <summary>Upserts by (domain, as-of).</summary>
    Task<UpsertCounts> UpsertEnrichmentAsync(IReadOnlyList<Enrichment> rows, CancellationToken ct = default);
    /// <summary>All records for a domain, oldest first.</summary>
    Task<IReadOnlyList<Enrichment>> GetEnrichmentAsync(string domain, CancellationToken ct = default);
    /// <summary>All records ordered by domain, as-of.</summary>
    IAsyncEnumerable<Enrichment> StreamEnrichmentAsync(CancellationToken ct = default);

    // ---- outcomes ----------------------------------------------------------------------------

    /// <summary>Inserts outcomes, skipping exact duplicates (same lead, kind and time).</summary>
    Task<InsertCounts> InsertOutcomesAsync(IReadOnlyList<Outcome> outcomes, CancellationToken ct = default);
    /// <summary>A lead's outcomes, oldest first.</summary>
    Task<IReadOnlyList<Outcome>> GetOutcomesAsync(string leadId, CancellationToken ct = default);
    /// <summary>All outcomes ordered by lead id, time.</summary>
    IAsyncEnumerable<Outcome> StreamOutcomesAsync(CancellationToken ct = default);

    // ---- imports and quarantine --------------------------------------------------------------

    Task RecordImportAsync(ImportRecord import, CancellationToken ct = default);
    Task<IReadOnlyList<ImportRecord>> ListImportsAsync(CancellationToken ct = default);
    Task AddQuarantineAsync(IReadOnlyList<QuarantineRecord> records, CancellationToken ct = default);
    Task<IReadOnlyList<QuarantineRecord>> ListQuarantineAsync(string? importId = null, bool includeResolved = false, CancellationToken ct = default);
    Task MarkQuarantineResolvedAsync(IReadOnlyList<long> ids, CancellationToken ct = default);

    // ---- feature snapshots -------------------------------------------------------------------

    /// <summary>Stores a built feature set (e.g. a training set) under a name, replacing one of the same name.</summary>
    Task SaveFeatureSnapshotAsync(FeatureSnapshot snapshot, CancellationToken ct = default);
    Task<FeatureSnapshot?> GetFeatureSnapshotAsync(string name, CancellationToken ct = default);

    // ---- model registry ----------------------------------------------------------------------

    /// <summary>Stores an immutable model version; fails if the version exists.</summary>
    Task SaveModelAsync(ModelVersion model, byte[] artifact, CancellationToken ct = default);
    Task<ModelVersion?> GetModelAsync(string version, CancellationToken ct = default);
    Task<byte[]?> GetModelArtifactAsync(string version, CancellationToken ct = default);
    /// <summary>All versions, newest first, with their aliases.</summary>
    Task<IReadOnlyList<ModelVersion>> ListModelsAsync(CancellationToken ct = default);
    /// <summary>Points an alias at a version, recording the change so it can be rolled back.</summary>
    Task SetAliasAsync(string alias, string version, CancellationToken ct = default);
    Task<string?> GetAliasAsync(string alias, CancellationToken ct = default);
    /// <summary>Versions the alias pointed at, newest first.</summary>
    Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string alias, CancellationToken ct = default);
    /// <summary>Next free version number (1, 2, ...), taken atomically.</summary>
    Task<long> NextModelNumberAsync(CancellationToken ct = default);

    // ---- scores ------------------------------------------------------------------------------

    /// <summary>Appends to score history and replaces each lead's latest score.</summary>
    Task SaveScoresAsync(IReadOnlyList<StoredScore> scores, CancellationToken ct = default);
    Task<StoredScore?> GetLatestScoreAsync(string leadId, CancellationToken ct = default);
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<StoredScore>> GetScoreHistoryAsync(string leadId, CancellationToken ct = default);
    /// <summary>
    /// Latest scores, best first, optionally one grade only; with <paramref name="openOnly"/>, only leads still open
    /// (no outcome, or reopened after the last one): the leads a seller can still work on.
    /// </summary>
    Task<IReadOnlyList<StoredScore>> ListTopScoresAsync(string? grade, int limit, bool openOnly = false, CancellationToken ct = default);
    /// <summary>Every lead's latest score, by lead id.</summary>
    IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(CancellationToken ct = default);

    // ---- API keys ----------------------------------------------------------------------------

    Task SaveApiKeyAsync(ApiKey key, CancellationToken ct = default);
    Task<ApiKey?> FindApiKeyByHashAsync(string hash, CancellationToken ct = default);
    Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken ct = default);
    Task<bool> RevokeApiKeyAsync(string idOrName, CancellationToken ct = default);
}

public readonly record struct UpsertCounts(int Inserted, int Updated, int Unchanged)
{
    public static UpsertCounts operator +(UpsertCounts a, UpsertCounts b) =>
        new(a.Inserted + b.Inserted, a.Updated + b.Updated, a.Unchanged + b.Unchanged);
}

public readonly record struct InsertCounts(int Inserted, int Unchanged)
{
    public static InsertCounts operator +(InsertCounts a, InsertCounts b) =>
        new(a.Inserted + b.Inserted, a.Unchanged + b.Unchanged);
}

public sealed record LeadHistoryEntry(Lead Previous, DateTimeOffset ReplacedAt);

public sealed record ImportRecord
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string File { get; init; }
    /// <summary>SHA-256 of the file, hex.</summary>
    public required string FileHash { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public long RowsRead { get; init; }
    public long Inserted { get; init; }
    public long Updated { get; init; }
    public long Unchanged { get; init; }
    public long Rejected { get; init; }
}

public sealed record FeatureSnapshot
{
    public required string Name { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>What the rows were built as of, and how ("creation + 14 days", "as of 2026-01-01").</summary>
    public required string AsOfRule { get; init; }
    public required int Rows { get; init; }
    /// <summary>The frame serialised (format owned by the Features area).</summary>
    public required byte[] Data { get; init; }
}

public sealed record AliasChange(string Alias, string Version, DateTimeOffset At);

public sealed record StoredScore
{
    public required string LeadId { get; init; }
    public required double Probability { get; init; }
    public required int Score { get; init; }
    public required string Grade { get; init; }
    public required string ModelVersion { get; init; }
    public required DateTimeOffset ScoredAt { get; init; }
    public required ScoreCause Cause { get; init; }
    /// <summary>Reasons as JSON (array of <see cref="Reason"/>).</summary>
    public string ReasonsJson { get; init; } = "[]";
}
