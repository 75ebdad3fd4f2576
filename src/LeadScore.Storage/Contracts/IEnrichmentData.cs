using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Third-party company data by domain and as-of date.</summary>
public interface IEnrichmentData
{
    /// <summary>Upserts by (domain, as-of).</summary>
    Task<UpsertCounts> UpsertEnrichmentAsync(IReadOnlyList<Enrichment> rows, CancellationToken ct = default);
    /// <summary>All records for a domain, oldest first.</summary>
    Task<IReadOnlyList<Enrichment>> GetEnrichmentAsync(string domain, CancellationToken ct = default);
    /// <summary>All records ordered by domain, as-of.</summary>
    IAsyncEnumerable<Enrichment> StreamEnrichmentAsync(CancellationToken ct = default);
}
