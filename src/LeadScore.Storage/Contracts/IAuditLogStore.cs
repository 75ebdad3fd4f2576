using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// The append-only audit log. Appends are serialised across instances (PostgreSQL: a transaction-scoped advisory lock;
/// SQLite: the write transaction holds the database), so the hash chain never forks. Nothing updates or deletes an
/// entry: not erasure, not retention.
/// </summary>
public interface IAuditLogStore
{
    /// <summary>Appends one entry after the last one, stamped with the store's clock; returns it with its sequence and hashes.</summary>
    Task<AuditEntry> AppendAuditAsync(NewAuditEntry entry, CancellationToken ct = default);

    /// <summary>Every entry in sequence order (for verification).</summary>
    IAsyncEnumerable<AuditEntry> StreamAuditAsync(CancellationToken ct = default);

    /// <summary>Entries matching the query, newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAuditAsync(AuditQuery query, CancellationToken ct = default);
}

/// <summary>What the caller says about an action; the store adds sequence, time and hashes.</summary>
public sealed record NewAuditEntry(string Actor, string Action, string TargetKind, string TargetId, string Details = "{}");

/// <summary>Filters of <see cref="IAuditLogStore.ListAuditAsync"/>; null means any.</summary>
public sealed record AuditQuery
{
    public DateTimeOffset? Since { get; init; }
    public string? Action { get; init; }
    public string? TargetKind { get; init; }
    public string? TargetId { get; init; }
    public int Limit { get; init; } = 100;
}
