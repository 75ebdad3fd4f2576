using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Leads, their attribute history, opt-out and erasure.</summary>
public interface ILeadData
{
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
    /// <summary>
    /// GDPR/CCPA erasure, one transaction: removes the lead, every row of every table with a <c>lead_id</c> column that
    /// names it, quarantined rows whose raw text names it as a whole field, and every built feature snapshot (they hold
    /// all leads' rows; rebuild them). The cascade is read from the schema, so new tables are covered. Returns false
    /// when nothing about the lead was stored (and then drops no snapshot).
    /// </summary>
    Task<bool> EraseLeadAsync(string id, CancellationToken ct = default);
    Task SetProfilingOptOutAsync(string id, bool optOut, CancellationToken ct = default);
}
