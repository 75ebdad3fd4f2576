using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// The whole database: every capability contract in <c>Contracts/</c>, implemented by SQLite (embedded default)
/// and PostgreSQL; one contract test suite runs against both. Code that needs one capability takes that
/// contract (<see cref="IScoreStore"/>, <see cref="IModelStore"/>, ...), not this. Every method is safe to call
/// from several threads and, on PostgreSQL, from several LeadScore instances at once.
/// </summary>
public interface ILeadStore : ILeadData, IActivityData, IEnrichmentData, IOutcomeData, IImportLog, IFeatureSnapshotStore, IModelStore, IScoreStore, ILeadListing, IApiKeyStore, IWebhookStore, IJobQueue, ILeaseStore, ISettingsStore, IAuditLogStore, IPrivacyStore, IRetentionStore, IActivityPartitions, IPredictionLog, IMonitoringAlerts, ILifecycleLog, IAsyncDisposable
{
    /// <summary>"sqlite" or "postgresql".</summary>
    string Backend { get; }

    /// <summary>Human-readable location (file path or host/database), never the password.</summary>
    string Describe();

    /// <summary>Applies pending schema migrations. Called by <see cref="LeadStore.OpenAsync"/>.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    Task<bool> PingAsync(CancellationToken ct = default);
}

public readonly record struct UpsertCounts(int Inserted, int Updated, int Unchanged)
{
    public static UpsertCounts operator +(UpsertCounts a, UpsertCounts b) =>
        new(a.Inserted + b.Inserted, a.Updated + b.Updated, a.Unchanged + b.Unchanged);
}

public readonly record struct InsertCounts(int Inserted, int Unchanged)
{
    /// <summary>
    /// Rows whose key was stored with other content and were replaced (the previous version kept in history). Only
    /// activities update (a corrected event: same event id, other type, time, value...); outcomes are keyed by their whole content.
    /// Not positional, so existing two-count constructions keep compiling and mean "none updated".
    /// </summary>
    public int Updated { get; init; }

    public static InsertCounts operator +(InsertCounts a, InsertCounts b) =>
        new(a.Inserted + b.Inserted, a.Unchanged + b.Unchanged) { Updated = a.Updated + b.Updated };
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
    /// <summary>Running while batches commit (the counts are those committed so far); the default suits a record written once, at the end.</summary>
    public ImportStatus Status { get; init; } = ImportStatus.Completed;
}

/// <summary>Where an import stands; stored in lower case.</summary>
public enum ImportStatus
{
    Running,
    Completed,
    /// <summary>Stopped by an error; the counts say what was committed before it.</summary>
    Failed,
    /// <summary>Stopped by cancellation or shutdown (or found still Running after its process died); re-running it is safe.</summary>
    Interrupted,
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
