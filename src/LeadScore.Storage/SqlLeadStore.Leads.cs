using System.Data.Common;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Leads, their history and opt-out (<see cref="ILeadData"/>; erasure is in SqlLeadStore.Erasure.cs).</summary>
public abstract partial class SqlLeadStore
{
    public Task<UpsertCounts> UpsertLeadsAsync(IReadOnlyList<Lead> leads, CancellationToken ct = default)
    {
        if (leads.Count == 0) return Task.FromResult(default(UpsertCounts));
        return InTransactionAsync(async (c, tx) =>
        {
            // Last row wins when a batch names the same lead twice.
            var batch = new Dictionary<string, Lead>(StringComparer.Ordinal);
            foreach (var l in leads) batch[l.Id] = l;
            var existing = new Dictionary<string, (string Hash, long Created, string Attrs)>(StringComparer.Ordinal);
            foreach (var chunk in batch.Keys.Chunk(1000))
            {
                var rows = await c.QueryAsync<(string Id, string AttrsHash, long CreatedAt, string Attributes)>(new CommandDefinition(
                    $"SELECT id, attrs_hash, created_at, attributes FROM leads WHERE {InList("id", "@ids")}", new { ids = chunk }, tx, cancellationToken: ct));
                foreach (var r in rows) existing[r.Id] = (r.AttrsHash, r.CreatedAt, r.Attributes);
            }
            var now = NowMs;
            int inserted = 0, updated = 0, unchanged = 0;
            var inserts = new List<NewLeadRow>();
            var updates = new List<object>();
            var history = new List<object>();
            foreach (var l in batch.Values)
            {
                var attrs = ToJson(l.Attributes);
                var hash = LeadHash(l, attrs);
                if (!existing.TryGetValue(l.Id, out var old))
                {
                    inserted++;
                    inserts.Add(new NewLeadRow(l.Id, Ms(l.CreatedAt), attrs, hash, now));
                }
                else if (old.Hash != hash)
                {
                    updated++;
                    updates.Add(new { id = l.Id, created = Ms(l.CreatedAt), attrs, hash, now });
                    history.Add(new { id = l.Id, created = old.Created, attrs = old.Attrs, now });
                }
                else unchanged++;
            }
            if (inserts.Count > 0) await InsertNewLeadsAsync(c, tx, inserts, ct);
            if (updates.Count > 0)
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO lead_history (lead_id, created_at, attributes, replaced_at) VALUES (@id, @created, @attrs, @now)",
                    history, tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition(
                    "UPDATE leads SET created_at = @created, attributes = @attrs, attrs_hash = @hash, updated_at = @now WHERE id = @id",
                    updates, tx, cancellationToken: ct));
            }
            // Duplicates inside the batch count as unchanged: every input row is accounted for.
            return new UpsertCounts(inserted, updated, unchanged + (leads.Count - batch.Count));
        }, ct);
    }

    /// <summary>A lead the batch adds (its id is not stored), as the leads table holds it.</summary>
    protected sealed record NewLeadRow(string Id, long CreatedAt, string Attributes, string AttrsHash, long UpdatedAt);

    /// <summary>Inserts leads known to be new, in the upsert's transaction; one statement per row here, binary COPY on PostgreSQL.</summary>
    protected virtual Task InsertNewLeadsAsync(DbConnection c, DbTransaction tx, IReadOnlyList<NewLeadRow> rows, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO leads (id, created_at, attributes, attrs_hash, updated_at) VALUES (@Id, @CreatedAt, @Attributes, @AttrsHash, @UpdatedAt)",
            rows, tx, cancellationToken: ct));

    private sealed record LeadRow(string Id, long CreatedAt, string Attributes, long UpdatedAt, long ProfilingOptOut);

    private static Lead ToLead(LeadRow r, StringPool? pool = null) => new()
    {
        Id = r.Id,
        CreatedAt = Time(r.CreatedAt),
        Attributes = FromJson(r.Attributes, pool),
        UpdatedAt = Time(r.UpdatedAt),
        ProfilingOptOut = r.ProfilingOptOut != 0,
    };

    private const string LeadColumns = "id AS Id, created_at AS CreatedAt, attributes AS Attributes, updated_at AS UpdatedAt, profiling_opt_out AS ProfilingOptOut";

    public async Task<Lead?> GetLeadAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<LeadRow>(new CommandDefinition($"SELECT {LeadColumns} FROM leads WHERE id = @id", new { id }, cancellationToken: ct));
        return r is null ? null : ToLead(r);
    }

    public async Task<IReadOnlyList<LeadHistoryEntry>> GetLeadHistoryAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(long CreatedAt, string Attributes, long ReplacedAt)>(new CommandDefinition(
            "SELECT created_at, attributes, replaced_at FROM lead_history WHERE lead_id = @id ORDER BY id", new { id }, cancellationToken: ct));
        return rows.Select(r => new LeadHistoryEntry(new Lead { Id = id, CreatedAt = Time(r.CreatedAt), Attributes = FromJson(r.Attributes) }, Time(r.ReplacedAt))).ToList();
    }

    public IAsyncEnumerable<LeadHistoryEntry> StreamLeadHistoryAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT lead_id, created_at, attributes, replaced_at FROM lead_history ORDER BY {Ordinal("lead_id")}, id", r => new LeadHistoryEntry(new Lead { Id = r.GetString(0), CreatedAt = Time(r.GetInt64(1)), Attributes = FromJson(r.GetString(2)) }, Time(r.GetInt64(3))), ct);

    public IAsyncEnumerable<Lead> StreamLeadsAsync(CancellationToken ct = default) =>
        StreamPooledAsync($"SELECT id, created_at, attributes, updated_at, profiling_opt_out FROM leads ORDER BY {Ordinal("id")}", [], ReadLead, ct);

    public IAsyncEnumerable<Lead> StreamLeadsAsync(LeadIdRange range, CancellationToken ct = default) =>
        StreamPooledAsync($"SELECT id, created_at, attributes, updated_at, profiling_opt_out FROM leads WHERE {RangeFilter("id", range)} ORDER BY {Ordinal("id")}", RangeParams(range), ReadLead, ct);

    public IAsyncEnumerable<Lead> StreamOpenLeadsAsync(LeadIdRange range, CancellationToken ct = default) =>
        StreamPooledAsync($"SELECT id, created_at, attributes, updated_at, profiling_opt_out FROM leads WHERE {RangeFilter("id", range)} AND {OpenLead("leads.id")} ORDER BY {Ordinal("id")}", RangeParams(range), ReadLead, ct);

    private static Lead ReadLead(DbDataReader r, StringPool pool) => ToLead(new LeadRow(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4)), pool);

    public IAsyncEnumerable<Lead> StreamLeadsAsync(IEnumerable<string> ids, CancellationToken ct = default) =>
        StreamByIdsAsync(ids, list => $"SELECT id, created_at, attributes, updated_at, profiling_opt_out FROM leads WHERE id IN ({list}) ORDER BY {Ordinal("id")}", [], r => ToLead(new LeadRow(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4))), ct);

    public async Task<IReadOnlyList<string>> GetLeadIdBoundariesAsync(int parts, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        var total = await CountLeadsAsync(ct);
        var step = Math.Max(1, (total + parts - 1) / parts);
        if (parts == 1 || total <= step) return [];
        // One pass over the primary-key index in its own order: every step-th id starts a range.
        await using var c = await OpenAsync(ct);
        var ids = await c.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM leads) t WHERE rn > 1 AND (rn - 1) % @step = 0 ORDER BY id",
            new { step }, cancellationToken: ct, commandTimeout: 0));
        return ids.ToList();
    }

    public async Task<long> CountLeadsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM leads", cancellationToken: ct));
    }

    public async Task<long> CountLeadsCreatedAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM leads WHERE created_at >= @from AND created_at <= @to",
            new { from = Ms(from), to = Ms(to) }, cancellationToken: ct));
    }

    public async Task SetProfilingOptOutAsync(string id, bool optOut, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var n = await c.ExecuteAsync(new CommandDefinition("UPDATE leads SET profiling_opt_out = @v WHERE id = @id", new { id, v = optOut ? 1L : 0L }, cancellationToken: ct));
        if (n == 0) throw new NotFoundException($"lead '{id}' not found");
    }
}
