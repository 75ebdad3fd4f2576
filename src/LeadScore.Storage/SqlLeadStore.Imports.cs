using System.Data.Common;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Import records and the quarantine (<see cref="IImportLog"/>), on both backends.</summary>
public abstract partial class SqlLeadStore
{
    private static string StatusName(ImportStatus s) => s.ToString().ToLowerInvariant();

    public async Task RecordImportAsync(ImportRecord i, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO imports (id, kind, file, file_hash, started_at, rows_read, inserted, updated, unchanged, rejected, status)
            VALUES (@Id, @Kind, @File, @FileHash, @started, @RowsRead, @Inserted, @Updated, @Unchanged, @Rejected, @status)
            ON CONFLICT (id) DO UPDATE SET rows_read = excluded.rows_read, inserted = excluded.inserted, updated = excluded.updated,
                unchanged = excluded.unchanged, rejected = excluded.rejected, status = excluded.status
            """, new { i.Id, i.Kind, i.File, i.FileHash, started = Ms(i.StartedAt), i.RowsRead, i.Inserted, i.Updated, i.Unchanged, i.Rejected, status = StatusName(i.Status) }, cancellationToken: ct));
    }

    public Task<IReadOnlyList<ImportRecord>> ListImportsAsync(CancellationToken ct = default) => QueryImportsAsync("", null, ct);

    public async Task<bool> ImportRunningSinceAsync(DateTimeOffset since, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM (SELECT 1 FROM imports WHERE status = @status AND started_at >= @since LIMIT 1) x",
            new { status = StatusName(ImportStatus.Running), since = Ms(since) }, cancellationToken: ct)) > 0;
    }

    public Task<IReadOnlyList<ImportRecord>> ListImportsOfFileAsync(string kind, string fileHash, CancellationToken ct = default) =>
        QueryImportsAsync("WHERE kind = @kind AND file_hash = @fileHash", new { kind, fileHash }, ct);

    private async Task<IReadOnlyList<ImportRecord>> QueryImportsAsync(string where, object? args, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string Id, string Kind, string File, string FileHash, long StartedAt, long RowsRead, long Inserted, long Updated, long Unchanged, long Rejected, string Status)>(
            new CommandDefinition($"SELECT id, kind, file, file_hash, started_at, rows_read, inserted, updated, unchanged, rejected, status FROM imports {where} ORDER BY started_at, id", args, cancellationToken: ct));
        return rows.Select(r => new ImportRecord
        {
            Id = r.Id, Kind = r.Kind, File = r.File, FileHash = r.FileHash, StartedAt = Time(r.StartedAt),
            RowsRead = r.RowsRead, Inserted = r.Inserted, Updated = r.Updated, Unchanged = r.Unchanged, Rejected = r.Rejected,
            Status = Enum.Parse<ImportStatus>(r.Status, ignoreCase: true),
        }).ToList();
    }

    public async Task AddQuarantineAsync(IReadOnlyList<QuarantineRecord> records, CancellationToken ct = default)
    {
        if (records.Count == 0) return;
        await InTransactionAsync(async (c, tx) =>
        {
            var now = NowMs;
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO quarantine (import_id, kind, file, line, col, reason, raw, created_at, resolved, lead_id) VALUES (@ImportId, @Kind, @File, @Line, @Column, @Reason, @raw, @now, 0, @LeadId)",
                records.Select(q => new { q.ImportId, q.Kind, q.File, q.Line, q.Column, q.Reason, raw = QuarantineLimits.Cap(q.Raw), now, q.LeadId }), tx, cancellationToken: ct));
            return true;
        }, ct);
    }

    private const string QuarantineColumns = "id, import_id, kind, file, line, col, reason, raw, created_at, resolved, lead_id";

    private static QuarantineRecord ReadQuarantine(DbDataReader r) => new()
    {
        Id = r.GetInt64(0), ImportId = r.GetString(1), Kind = r.GetString(2), File = r.GetString(3), Line = r.GetInt64(4),
        Column = r.IsDBNull(5) ? null : r.GetString(5), Reason = r.GetString(6), Raw = r.GetString(7), CreatedAt = Time(r.GetInt64(8)),
        Resolved = r.GetInt64(9) != 0, LeadId = r.IsDBNull(10) ? null : r.GetString(10),
    };

    public async Task<IReadOnlyList<QuarantineRecord>> ListQuarantineAsync(string? importId = null, bool includeResolved = false, CancellationToken ct = default)
    {
        var list = new List<QuarantineRecord>();
        await foreach (var q in StreamQuarantineAsync(importId, includeResolved, ct)) list.Add(q);
        return list;
    }

    public IAsyncEnumerable<QuarantineRecord> StreamQuarantineAsync(string? importId = null, bool includeResolved = false, CancellationToken ct = default) =>
        // The filter is written out rather than "@importId IS NULL OR ...": an untyped NULL parameter has no type on PostgreSQL.
        importId is null
            ? StreamAsync($"SELECT {QuarantineColumns} FROM quarantine WHERE (@all = 1 OR resolved = 0) ORDER BY id", [("@all", includeResolved ? 1L : 0L)], ReadQuarantine, ct)
            : StreamAsync($"SELECT {QuarantineColumns} FROM quarantine WHERE import_id = @importId AND (@all = 1 OR resolved = 0) ORDER BY id",
                [("@importId", importId), ("@all", includeResolved ? 1L : 0L)], ReadQuarantine, ct);

    public async Task MarkQuarantineResolvedAsync(IReadOnlyList<long> ids, CancellationToken ct = default)
    {
        if (ids.Count == 0) return;
        await using var c = await OpenAsync(ct);
        foreach (var chunk in ids.Chunk(1000))
            await c.ExecuteAsync(new CommandDefinition($"UPDATE quarantine SET resolved = 1 WHERE {InList("id", "@ids")}", new { ids = chunk }, cancellationToken: ct));
    }

    public async Task<long> PurgeQuarantineAsync(DateTimeOffset? before, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return before is { } b
            ? await c.ExecuteAsync(new CommandDefinition("DELETE FROM quarantine WHERE created_at < @before", new { before = Ms(b) }, cancellationToken: ct))
            : await c.ExecuteAsync(new CommandDefinition("DELETE FROM quarantine", cancellationToken: ct));
    }
}
