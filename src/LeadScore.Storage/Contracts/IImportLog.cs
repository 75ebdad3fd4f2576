using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Import records and quarantined rows.</summary>
public interface IImportLog
{
    Task RecordImportAsync(ImportRecord import, CancellationToken ct = default);
    Task<IReadOnlyList<ImportRecord>> ListImportsAsync(CancellationToken ct = default);
    Task AddQuarantineAsync(IReadOnlyList<QuarantineRecord> records, CancellationToken ct = default);
    Task<IReadOnlyList<QuarantineRecord>> ListQuarantineAsync(string? importId = null, bool includeResolved = false, CancellationToken ct = default);
    Task MarkQuarantineResolvedAsync(IReadOnlyList<long> ids, CancellationToken ct = default);
}
