using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// The SQL shared by both backends. Times are stored as Unix milliseconds (UTC) and attribute
/// maps as JSON text, so SQLite and PostgreSQL hold exactly the same values. Backends override
/// only what differs: connections, migrations, bulk loading and a few SQL fragments. One partial file per contract
/// (<c>SqlLeadStore.Leads.cs</c>, <c>.Jobs.cs</c>, ...); this one holds the shared plumbing. The clock is injected: the
/// store never reads the wall clock itself.
/// </summary>
public abstract partial class SqlLeadStore : ILeadStore
{

    /// <param name="time">The clock for times the store stamps itself (history, updates, revocations); the system clock when null.</param>
    protected SqlLeadStore(TimeProvider? time)
    {
        Clock = time ?? TimeProvider.System;
    }

    /// <summary>Injected so that a simulated clock (replays, tests) sees its own times in history rows.</summary>
    protected TimeProvider Clock { get; }

    /// <summary>Now, in the stored form (Unix milliseconds).</summary>
    protected long NowMs => Ms(Clock.GetUtcNow());

    public abstract string Backend { get; }
    public abstract string Describe();
    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken ct);
    public abstract Task MigrateAsync(CancellationToken ct = default);
    public abstract ValueTask DisposeAsync();

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var c = await OpenAsync(ct);
            return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: ct)) == 1;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    protected static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    /// <summary>
    /// The smallest whole millisecond at or after <paramref name="t"/>: "ts &lt; MsAbove(t)" keeps every stored time (whole
    /// milliseconds) strictly before t, including the one in t's own millisecond when t has a fraction of one.
    /// </summary>
    protected static long MsAbove(DateTimeOffset t) => Ms(t) + (t.UtcTicks % TimeSpan.TicksPerMillisecond == 0 ? 0 : 1);
    protected static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>A map as JSON with keys in ordinal order, so equal maps give equal text (and equal hashes).</summary>
    protected static string ToJson(IReadOnlyDictionary<string, string?> map)
    {
        var keys = new string[map.Count];
        var i = 0;
        foreach (var k in map.Keys) keys[i++] = k;
        Array.Sort(keys, StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var k in keys)
            {
                var v = map[k];
                if (v is null) w.WriteNull(k); else w.WriteString(k, v);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>A stored map (<see cref="ToJson"/>'s text); a stream of many records passes one <see cref="StringPool"/> for all of them.</summary>
    private protected static IReadOnlyDictionary<string, string?> FromJson(string? json, StringPool? pool = null) => AttributeJson.Parse(json, pool);

    protected static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string LeadHash(Lead l, string attrs) => Hash($"{Ms(l.CreatedAt)}|{attrs}");

    protected async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var result = await work(c, tx);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Streams a query's rows through one open connection; no command timeout, as streams can be long.</summary>
    private IAsyncEnumerable<T> StreamAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct) => StreamAsync(sql, [], read, ct);

    private async IAsyncEnumerable<T> StreamAsync<T>(string sql, (string Name, object? Value)[] parameters, Func<DbDataReader, T> read, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        foreach (var (name, value) in parameters) AddParam(cmd, name, value);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) yield return read(r);
    }

    /// <summary>
    /// <see cref="StreamAsync{T}(string, (string Name, object? Value)[], Func{DbDataReader, T}, CancellationToken)"/> with one
    /// <see cref="StringPool"/> for the rows of each enumeration: what a reader keeps of millions of rows (the enrichment
    /// snapshot) holds each repeated name and value once.
    /// </summary>
    private async IAsyncEnumerable<T> StreamPooledAsync<T>(string sql, (string Name, object? Value)[] parameters, Func<DbDataReader, StringPool, T> read, [EnumeratorCancellation] CancellationToken ct)
    {
        var pool = new StringPool();
        await foreach (var row in StreamAsync(sql, parameters, r => read(r, pool), ct)) yield return row;
    }

    /// <summary>Ids per query of <see cref="StreamByIdsAsync{T}"/> (well under SQLite's and PostgreSQL's parameter limits).</summary>
    private const int IdBatch = 500;

    /// <summary>
    /// Streams a query over a set of lead ids: the ids sorted ordinally and cut into batches, one query per batch with
    /// <paramref name="sql"/> given the batch's parameter list ("@id0, @id1, ..."); each query orders by lead id, so the
    /// whole stream is in lead-id order, like the range streams it stands in for.
    /// </summary>
    private async IAsyncEnumerable<T> StreamByIdsAsync<T>(IEnumerable<string> ids, Func<string, string> sql, (string Name, object? Value)[] parameters,
        Func<DbDataReader, T> read, [EnumeratorCancellation] CancellationToken ct)
    {
        var sorted = ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        for (var at = 0; at < sorted.Length; at += IdBatch)
        {
            var n = Math.Min(IdBatch, sorted.Length - at);
            var ps = new (string Name, object? Value)[n + parameters.Length];
            var names = new string[n];
            for (var i = 0; i < n; i++) ps[i] = (names[i] = "@id" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), sorted[at + i]);
            parameters.CopyTo(ps, n);
            await foreach (var x in StreamAsync(sql(string.Join(", ", names)), ps, read, ct)) yield return x;
        }
    }

    /// <summary>
    /// A lead-id range condition in the column's own collation (not <see cref="Ordinal"/>): the primary-key and
    /// (lead_id, ...) indexes serve it, and the same cut applies to every table.
    /// </summary>
    /// An open end adds no condition (and no untyped null parameter, which PostgreSQL cannot type). A resumed range's
    /// <see cref="LeadIdRange.After"/> is compared ordinally, the order its first attempt went through the range in.
    private string RangeFilter(string column, LeadIdRange range)
    {
        var bounds = (range.From, range.To) switch
        {
            (null, null) => "TRUE",
            (_, null) => $"{column} >= @rfrom",
            (null, _) => $"{column} < @rto",
            _ => $"{column} >= @rfrom AND {column} < @rto",
        };
        return range.After is null ? bounds : $"{bounds} AND {Ordinal(column)} > @rafter";
    }

    /// <summary>
    /// The lead named by <paramref name="leadId"/> is open: no outcome whose kind is converted or lost without a later (or, on a
    /// tie, a 'reopened') outcome after it. The primary key (lead_id, at, kind) of outcomes serves both lookups.
    /// </summary>
    private static string OpenLead(string leadId) =>
        $"NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.lead_id = {leadId} AND o.kind <> 'reopened'" +
        " AND NOT EXISTS (SELECT 1 FROM outcomes r WHERE r.lead_id = o.lead_id AND (r.at > o.at OR (r.at = o.at AND r.kind = 'reopened'))))";

    /// <summary>
    /// The status of the lead named by <paramref name="leadId"/> as stored in <c>scores_latest.status</c> (migration 016):
    /// 'won' or 'lost' when its latest outcome is converted or lost, else 'open'; on a tie, reopened wins (then the kind's
    /// name, so the answer never depends on row order). The same rule as <see cref="OpenLead"/>.
    /// </summary>
    private static string LeadStatusSql(string leadId) =>
        $"CASE (SELECT o.kind FROM outcomes o WHERE o.lead_id = {leadId} ORDER BY o.at DESC, CASE o.kind WHEN 'reopened' THEN 0 ELSE 1 END, o.kind LIMIT 1)" +
        " WHEN 'converted' THEN 'won' WHEN 'lost' THEN 'lost' ELSE 'open' END";

    /// <summary>The stored status of an open lead (scores_latest.status).</summary>
    private const string OpenStatus = "'open'";

    private static (string Name, object? Value)[] RangeParams(LeadIdRange range) =>
        [.. new[] { ("@rfrom", (object?)range.From), ("@rto", range.To), ("@rafter", range.After) }.Where(p => p.Item2 is not null)];

    protected abstract bool IsUniqueViolation(DbException ex);

    /// <summary>
    /// Appended to a claim's inner SELECT: PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c>, so concurrent claimers skip rows
    /// another transaction is taking instead of waiting for it. Empty on SQLite, where a write transaction holds the
    /// whole database and the single UPDATE ... RETURNING is atomic by itself.
    /// </summary>
    protected virtual string SkipLocked => "";

    /// <summary>A query returning the names of the tables that have a column named <c>@column</c> (erasure is driven by it).</summary>
    protected abstract string TablesWithColumnSql { get; }

    /// <summary>
    /// A column ordered by its bytes (ordinal), whatever the database's collation: streams are merge-joined by id
    /// in C#, which compares ordinally.
    /// </summary>
    protected abstract string Ordinal(string column);

    /// <summary>"column IN (list)" in the backend's own syntax for a Dapper list parameter.</summary>
    protected abstract string InList(string column, string parameter);

    protected static void AddParam(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }
}
