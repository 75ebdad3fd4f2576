using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Import records and quarantined rows.</summary>
public interface IImportLog
{
    /// <summary>
    /// Inserts or updates an import record by id (idempotent): call it when the import starts (status Running), after
    /// each committed batch with the counts so far, and once at the end with Completed, Failed or Interrupted, so a killed
    /// import's record shows what was committed.
    /// </summary>
    Task RecordImportAsync(ImportRecord import, CancellationToken ct = default);
    Task<IReadOnlyList<ImportRecord>> ListImportsAsync(CancellationToken ct = default);
    /// <summary>Whether an import started at or after <paramref name="since"/> is still Running: one query that returns a yes or no, instead of every import record.</summary>
    Task<bool> ImportRunningSinceAsync(DateTimeOffset since, CancellationToken ct = default);
    /// <summary>The imports of one kind of the file with this content hash, oldest first.</summary>
    Task<IReadOnlyList<ImportRecord>> ListImportsOfFileAsync(string kind, string fileHash, CancellationToken ct = default);
    /// <summary>
    /// Stores rejected rows. Raw text longer than <see cref="QuarantineLimits.MaxRawChars"/> is truncated and ends with
    /// <see cref="QuarantineLimits.TruncatedMarker"/>.
    /// </summary>
    Task AddQuarantineAsync(IReadOnlyList<QuarantineRecord> records, CancellationToken ct = default);
    /// <summary>Quarantined rows by id, materialised; prefer <see cref="StreamQuarantineAsync"/> for large listings.</summary>
    Task<IReadOnlyList<QuarantineRecord>> ListQuarantineAsync(string? importId = null, bool includeResolved = false, CancellationToken ct = default);
    /// <summary>Quarantined rows by id, read one at a time through one connection, so memory stays flat whatever their number.</summary>
    IAsyncEnumerable<QuarantineRecord> StreamQuarantineAsync(string? importId = null, bool includeResolved = false, CancellationToken ct = default);
    Task MarkQuarantineResolvedAsync(IReadOnlyList<long> ids, CancellationToken ct = default);
    /// <summary>Deletes quarantined rows (resolved or not) stored strictly before <paramref name="before"/>, or all when null; returns how many.</summary>
    Task<long> PurgeQuarantineAsync(DateTimeOffset? before, CancellationToken ct = default);
}

/// <summary>Bounds on what the quarantine keeps, so hostile or broken input cannot grow the database without limit.</summary>
public static class QuarantineLimits
{
    /// <summary>
    /// Longest raw text kept per quarantined row, in UTF-16 characters (64 Ki; at most 192 KiB of UTF-8). A person needs
    /// the start of a row to see what is wrong with it; a runaway row (an unterminated quote swallowing a file) is cut.
    /// </summary>
    public const int MaxRawChars = 64 * 1024;

    /// <summary>Ends a truncated raw text, so a retry or a reader knows it is not the whole row.</summary>
    public const string TruncatedMarker = "…[truncated by LeadScore]";

    /// <summary>The text as stored: unchanged when short enough, else cut (never inside a surrogate pair) and marked, <see cref="MaxRawChars"/> long in total.</summary>
    public static string Cap(string raw)
    {
        if (raw.Length <= MaxRawChars) return raw;
        var keep = MaxRawChars - TruncatedMarker.Length;
        if (char.IsHighSurrogate(raw[keep - 1])) keep--;
        return string.Concat(raw.AsSpan(0, keep), TruncatedMarker);
    }
}
