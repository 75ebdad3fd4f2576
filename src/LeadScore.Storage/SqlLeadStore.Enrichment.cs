using System.Data.Common;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Company enrichment by domain and as-of date (<see cref="IEnrichmentData"/>).</summary>
public abstract partial class SqlLeadStore
{
    public Task<UpsertCounts> UpsertEnrichmentAsync(IReadOnlyList<Enrichment> rows, CancellationToken ct = default)
    {
        if (rows.Count == 0) return Task.FromResult(default(UpsertCounts));
        return InTransactionAsync(async (c, tx) =>
        {
            // The stored hashes of the batch's (domain, as-of) keys, read by domain in chunks (not a round trip per row).
            var stored = new Dictionary<(string Domain, long AsOf), string>();
            foreach (var chunk in rows.Select(e => e.Domain).Distinct(StringComparer.Ordinal).Chunk(1000))
            {
                var found = await c.QueryAsync<(string Domain, long AsOf, string Hash)>(new CommandDefinition(
                    $"SELECT domain, as_of, attrs_hash FROM enrichment WHERE {InList("domain", "@ids")}", new { ids = chunk }, tx, cancellationToken: ct));
                foreach (var f in found) stored[(f.Domain, f.AsOf)] = f.Hash;
            }
            // Row by row in batch order, as if each were written in turn: the first row of a new key inserts, a later row with
            // other attributes updates it; what is written is each key's last version.
            int inserted = 0, updated = 0, unchanged = 0;
            var final = new Dictionary<(string Domain, long AsOf), (string Attrs, string Hash, bool New, bool Dirty)>();
            foreach (var e in rows)
            {
                var key = (e.Domain, Ms(e.AsOf));
                var attrs = ToJson(e.Attributes);
                var hash = Hash(attrs);
                if (final.TryGetValue(key, out var f))
                {
                    if (f.Hash == hash) unchanged++;
                    else { updated++; final[key] = (attrs, hash, f.New, true); }
                }
                else if (stored.TryGetValue(key, out var old))
                {
                    if (old == hash) { unchanged++; final[key] = (attrs, hash, false, false); }
                    else { updated++; final[key] = (attrs, hash, false, true); }
                }
                else { inserted++; final[key] = (attrs, hash, true, true); }
            }
            var inserts = final.Where(x => x.Value.New).Select(x => new NewEnrichmentRow(x.Key.Domain, x.Key.AsOf, x.Value.Attrs, x.Value.Hash)).ToList();
            if (inserts.Count > 0) await InsertNewEnrichmentAsync(c, tx, inserts, ct);
            var updates = final.Where(x => !x.Value.New && x.Value.Dirty).Select(x => new NewEnrichmentRow(x.Key.Domain, x.Key.AsOf, x.Value.Attrs, x.Value.Hash)).ToList();
            if (updates.Count > 0)
                await c.ExecuteAsync(new CommandDefinition("UPDATE enrichment SET attributes = @Attributes, attrs_hash = @AttrsHash WHERE domain = @Domain AND as_of = @AsOf",
                    updates, tx, cancellationToken: ct));
            return new UpsertCounts(inserted, updated, unchanged);
        }, ct);
    }

    /// <summary>An enrichment row as the table holds it.</summary>
    protected sealed record NewEnrichmentRow(string Domain, long AsOf, string Attributes, string AttrsHash);

    /// <summary>Inserts enrichment rows whose keys are not stored, in the upsert's transaction; binary COPY on PostgreSQL.</summary>
    protected virtual Task InsertNewEnrichmentAsync(DbConnection c, DbTransaction tx, IReadOnlyList<NewEnrichmentRow> rows, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition("INSERT INTO enrichment (domain, as_of, attributes, attrs_hash) VALUES (@Domain, @AsOf, @Attributes, @AttrsHash)",
            rows, tx, cancellationToken: ct));

    public async Task<IReadOnlyList<Enrichment>> GetEnrichmentAsync(string domain, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string Domain, long AsOf, string Attributes)>(new CommandDefinition(
            "SELECT domain, as_of, attributes FROM enrichment WHERE domain = @domain ORDER BY as_of", new { domain }, cancellationToken: ct));
        var pool = new StringPool();
        return rows.Select(r => new Enrichment { Domain = pool.SameAsLast(r.Domain), AsOf = Time(r.AsOf), Attributes = FromJson(r.Attributes, pool) }).ToList();
    }

    /// <summary>Every record, names and repeated values held once for the whole stream, each domain once (the snapshot keeps them all).</summary>
    public IAsyncEnumerable<Enrichment> StreamEnrichmentAsync(CancellationToken ct = default) =>
        StreamPooledAsync($"SELECT domain, as_of, attributes FROM enrichment ORDER BY {Ordinal("domain")}, as_of", [],
            (r, pool) => new Enrichment { Domain = pool.SameAsLast(r.GetString(0)), AsOf = Time(r.GetInt64(1)), Attributes = FromJson(r.GetString(2), pool) }, ct);
}
