using Dapper;

namespace LeadScore.Storage;

/// <summary>Built feature sets (<see cref="IFeatureSnapshotStore"/>).</summary>
public abstract partial class SqlLeadStore
{
    /// <summary>
    /// A snapshot's bytes are stored in parts of at most this many bytes (feature_snapshot_parts, migration 018), so a set
    /// larger than a database value's 1 GB cap still fits. Settable for tests.
    /// </summary>
    public int SnapshotPartBytes { get; set; } = 128 << 20;

    public async Task SaveFeatureSnapshotAsync(FeatureSnapshot s, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO feature_snapshots (name, created_at, as_of_rule, rows, data) VALUES (@Name, @created, @AsOfRule, @Rows, @empty)
            ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at, as_of_rule = excluded.as_of_rule, rows = excluded.rows, data = excluded.data
            """, new { s.Name, created = Ms(s.CreatedAt), s.AsOfRule, Rows = (long)s.Rows, empty = Array.Empty<byte>() }, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM feature_snapshot_parts WHERE name = @Name", new { s.Name }, tx, cancellationToken: ct));
        var size = Math.Max(1, SnapshotPartBytes);
        for (int offset = 0, part = 0; offset < s.Data.Length; offset += size, part++)
        {
            var data = s.Data.AsSpan(offset, Math.Min(size, s.Data.Length - offset)).ToArray();
            await c.ExecuteAsync(new CommandDefinition("INSERT INTO feature_snapshot_parts (name, part, data) VALUES (@Name, @part, @data)",
                new { s.Name, part, data }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
    }

    public async Task<FeatureSnapshot?> GetFeatureSnapshotAsync(string name, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<(string Name, long CreatedAt, string AsOfRule, long Rows, byte[] Data)?>(new CommandDefinition(
            "SELECT name, created_at, as_of_rule, rows, data FROM feature_snapshots WHERE name = @name", new { name }, cancellationToken: ct));
        if (r is not { } x) return null;
        var data = x.Data;
        if (data.Length == 0)
        {
            // Written in parts (an empty data column): read them in order into one array.
            var parts = (await c.QueryAsync<byte[]>(new CommandDefinition(
                "SELECT data FROM feature_snapshot_parts WHERE name = @name ORDER BY part", new { name }, cancellationToken: ct))).ToList();
            data = new byte[parts.Sum(p => (long)p.Length)];
            var at = 0;
            foreach (var p in parts) { p.CopyTo(data, at); at += p.Length; }
        }
        return new FeatureSnapshot { Name = x.Name, CreatedAt = Time(x.CreatedAt), AsOfRule = x.AsOfRule, Rows = (int)x.Rows, Data = data };
    }
}
