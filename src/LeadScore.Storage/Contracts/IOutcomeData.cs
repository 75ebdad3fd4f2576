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
}
