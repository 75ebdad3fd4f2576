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
    /// <summary>The leads of one id range, ordered by id (ordinally, like <see cref="StreamLeadsAsync(CancellationToken)"/>).</summary>
    IAsyncEnumerable<Lead> StreamLeadsAsync(LeadIdRange range, CancellationToken ct = default);
    /// <summary>
    /// Lead ids that cut the stored leads into <paramref name="parts"/> ranges of about the same size, ascending in the
    /// store's key order (the order <see cref="LeadIdRange"/> compares in); fewer when there are fewer leads. Used to
    /// spread work over instances by lead id.
    /// </summary>
    Task<IReadOnlyList<string>> GetLeadIdBoundariesAsync(int parts, CancellationToken ct = default);
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

/// <summary>
/// Lead ids from <see cref="From"/> (inclusive) to <see cref="To"/> (exclusive); null is open-ended. Compared in the
/// store's key order (the one its primary-key index uses), so a range is an index range scan, and each lead with its
/// activities and score falls in exactly one range of a cut made by <see cref="ILeadData.GetLeadIdBoundariesAsync"/>.
/// </summary>
public sealed record LeadIdRange(string? From, string? To)
{
    public static LeadIdRange All { get; } = new(null, null);

    /// <summary>
    /// When set, only the ids of the range ordinally after this one (exclusive): the rest of a range whose first leads,
    /// in the ordinal order ranges are streamed in, were done by an earlier attempt (its checkpoint).
    /// </summary>
    public string? After { get; init; }

    /// <summary>Consecutive ranges covering every id, cut at <paramref name="boundaries"/> (ascending).</summary>
    public static IReadOnlyList<LeadIdRange> Cut(IReadOnlyList<string> boundaries)
    {
        var ranges = new List<LeadIdRange>(boundaries.Count + 1);
        string? from = null;
        foreach (var b in boundaries)
        {
            ranges.Add(new LeadIdRange(from, b));
            from = b;
        }
        ranges.Add(new LeadIdRange(from, null));
        return ranges;
    }
}
