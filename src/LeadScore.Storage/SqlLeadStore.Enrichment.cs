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
            int inserted = 0, updated = 0, unchanged = 0;
            foreach (var e in rows)
            {
                var attrs = ToJson(e.Attributes);
                var hash = Hash(attrs);
                var old = await c.ExecuteScalarAsync<string?>(new CommandDefinition(
                    "SELECT attrs_hash FROM enrichment WHERE domain = @d AND as_of = @a", new { d = e.Domain, a = Ms(e.AsOf) }, tx, cancellationToken: ct));
                if (old is null)
                {
                    inserted++;
                    await c.ExecuteAsync(new CommandDefinition("INSERT INTO enrichment (domain, as_of, attributes, attrs_hash) VALUES (@d, @a, @attrs, @hash)",
                        new { d = e.Domain, a = Ms(e.AsOf), attrs, hash }, tx, cancellationToken: ct));
                }
                else if (old != hash)
                {
                    updated++;
                    await c.ExecuteAsync(new CommandDefinition("UPDATE enrichment SET attributes = @attrs, attrs_hash = @hash WHERE domain = @d AND as_of = @a",
                        new { d = e.Domain, a = Ms(e.AsOf), attrs, hash }, tx, cancellationToken: ct));
                }
                else unchanged++;
            }
            return new UpsertCounts(inserted, updated, unchanged);
        }, ct);
    }

    public async Task<IReadOnlyList<Enrichment>> GetEnrichmentAsync(string domain, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string Domain, long AsOf, string Attributes)>(new CommandDefinition(
            "SELECT domain, as_of, attributes FROM enrichment WHERE domain = @domain ORDER BY as_of", new { domain }, cancellationToken: ct));
        return rows.Select(r => new Enrichment { Domain = r.Domain, AsOf = Time(r.AsOf), Attributes = FromJson(r.Attributes) }).ToList();
    }

    public IAsyncEnumerable<Enrichment> StreamEnrichmentAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT domain, as_of, attributes FROM enrichment ORDER BY {Ordinal("domain")}, as_of", r => new Enrichment { Domain = r.GetString(0), AsOf = Time(r.GetInt64(1)), Attributes = FromJson(r.GetString(2)) }, ct);
}
