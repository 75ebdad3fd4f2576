using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Outcomes (converted, lost, reopened).</summary>
public interface IOutcomeData
{
    /// <summary>Inserts outcomes, skipping exact duplicates (same lead, kind and time).</summary>
    Task<InsertCounts> InsertOutcomesAsync(IReadOnlyList<Outcome> outcomes, CancellationToken ct = default);
    /// <summary>A lead's outcomes, oldest first.</summary>
    Task<IReadOnlyList<Outcome>> GetOutcomesAsync(string leadId, CancellationToken ct = default);
    /// <summary>All outcomes ordered by lead id, time.</summary>
    IAsyncEnumerable<Outcome> StreamOutcomesAsync(CancellationToken ct = default);
    /// <summary>The outcomes of the given leads, ordered by lead id, time (read in batches of ids, not a pass over every outcome).</summary>
    IAsyncEnumerable<Outcome> StreamOutcomesAsync(IEnumerable<string> leadIds, CancellationToken ct = default);
}
