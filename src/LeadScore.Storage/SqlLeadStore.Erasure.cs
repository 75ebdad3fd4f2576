using System.Data.Common;
using Dapper;

namespace LeadScore.Storage;

/// <summary>
/// GDPR/CCPA erasure (<see cref="ILeadData.EraseLeadAsync"/>). The cascade is read from the schema at erase time, so a
/// table added later is covered without anyone remembering to list it:
/// <list type="bullet">
/// <item>the lead's row in <c>leads</c>;</item>
/// <item>every row whose <c>lead_id</c> column is the lead, in every table that has one (history, activities and their
/// history, outcomes, scores and their history, quarantine, webhook deliveries, ...);</item>
/// <item>every row of a table with a <c>raw</c> column (the quarantine) whose raw text names the lead as a whole field:
/// an occurrence of the id with the start or end of the text, or one of <c>, ; | : " ' { } [ ]</c>, a tab or white space,
/// on each side. So <c>L1,Acme</c>, <c>"L1";x</c> and <c>{"lead_id":"L1"}</c> name L1, and <c>L10,Acme</c> does not. A
/// short id can therefore also remove another lead's quarantined row that holds the same text as a value; erasure
/// prefers removing too much quarantine to keeping personal data;</item>
/// <item>every feature snapshot: a built training set holds a row of every lead in a format Storage does not read, so
/// it cannot be edited; the next <c>features build</c> (or training) rebuilds it without the erased lead.</item>
/// </list>
/// One transaction: either everything about the lead goes, or nothing.
/// </summary>
public abstract partial class SqlLeadStore
{
    /// <summary>The column every table holding a lead's data keys it by (erasure deletes by it).</summary>
    public const string LeadIdColumn = "lead_id";

    /// <summary>The column holding a rejected row's source text (erasure searches it for the lead id).</summary>
    public const string RawColumn = "raw";

    public Task<bool> EraseLeadAsync(string id, CancellationToken ct = default) => EraseLeadAsync(id, null, ct, withTombstone: false);

    private async Task<bool> EraseLeadAsync(string id, string? tombstone, CancellationToken ct, bool withTombstone)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var erased = await InTransactionAsync(async (c, tx) =>
        {
            var removed = await c.ExecuteAsync(new CommandDefinition("DELETE FROM leads WHERE id = @id", new { id }, tx, cancellationToken: ct));
            foreach (var table in await TablesWithColumnAsync(c, tx, LeadIdColumn, ct))
                removed += await c.ExecuteAsync(new CommandDefinition($"DELETE FROM \"{table}\" WHERE {LeadIdColumn} = @id", new { id }, tx, cancellationToken: ct));
            foreach (var table in await TablesWithColumnAsync(c, tx, RawColumn, ct))
            {
                // LIKE narrows the rows (case-insensitively on SQLite: only a pre-filter), the field rule decides.
                var candidates = await c.QueryAsync<(long Id, string Raw)>(new CommandDefinition(
                    $"SELECT id, {RawColumn} FROM \"{table}\" WHERE {RawColumn} LIKE @pattern ESCAPE '\\'", new { pattern = $"%{EscapeLike(id)}%" }, tx, cancellationToken: ct));
                var ids = candidates.Where(r => NamesAsField(r.Raw, id)).Select(r => r.Id).ToList();
                foreach (var chunk in ids.Chunk(1000))
                    removed += await c.ExecuteAsync(new CommandDefinition($"DELETE FROM \"{table}\" WHERE {InList("id", "@ids")}", new { ids = chunk }, tx, cancellationToken: ct));
            }
            // Only when the lead was known: a mistyped id must not throw away every training set.
            if (removed > 0)
            {
                await c.ExecuteAsync(new CommandDefinition("DELETE FROM feature_snapshots", transaction: tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition("DELETE FROM feature_snapshot_parts", transaction: tx, cancellationToken: ct));
                if (withTombstone)
                    await c.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO erasure_tombstones (id_hash, erased_at) VALUES (@tombstone, @at) ON CONFLICT (id_hash) DO UPDATE SET erased_at = excluded.erased_at",
                        new { tombstone, at = NowMs }, tx, cancellationToken: ct));
            }
            return removed > 0;
        }, ct);
        if (erased) await ForgetErasedPagesAsync(ct);
        return erased;
    }

    /// <summary>
    /// After an erasure commits: make the database's files stop holding the erased bytes where the backend allows it.
    /// SQLite zeroes deleted content (secure_delete) and this truncates the write-ahead log that still holds the old
    /// pages. PostgreSQL keeps dead row versions until (auto)vacuum reuses them; that cannot be done here.
    /// </summary>
    protected virtual Task ForgetErasedPagesAsync(CancellationToken ct) => Task.CompletedTask;

    private async Task<IReadOnlyList<string>> TablesWithColumnAsync(DbConnection c, DbTransaction tx, string column, CancellationToken ct) =>
        (await c.QueryAsync<string>(new CommandDefinition(TablesWithColumnSql, new { column }, tx, cancellationToken: ct))).ToList();

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    /// <summary>True when <paramref name="raw"/> holds <paramref name="id"/> as a whole field (see the class summary).</summary>
    internal static bool NamesAsField(string raw, string id)
    {
        for (var i = raw.IndexOf(id, StringComparison.Ordinal); i >= 0; i = raw.IndexOf(id, i + 1, StringComparison.Ordinal))
        {
            var end = i + id.Length;
            if ((i == 0 || IsFieldBoundary(raw[i - 1])) && (end == raw.Length || IsFieldBoundary(raw[end]))) return true;
        }
        return false;
    }

    private static bool IsFieldBoundary(char c) =>
        c is ',' or ';' or '|' or ':' or '"' or '\'' or '{' or '}' or '[' or ']' || char.IsWhiteSpace(c);
}
