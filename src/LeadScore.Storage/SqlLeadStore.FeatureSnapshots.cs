using Dapper;

namespace LeadScore.Storage;

/// <summary>Built feature sets (<see cref="IFeatureSnapshotStore"/>).</summary>
public abstract partial class SqlLeadStore
{
    public async Task SaveFeatureSnapshotAsync(FeatureSnapshot s, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO feature_snapshots (name, created_at, as_of_rule, rows, data) VALUES (@Name, @created, @AsOfRule, @Rows, @Data)
            ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at, as_of_rule = excluded.as_of_rule, rows = excluded.rows, data = excluded.data
            """, new { s.Name, created = Ms(s.CreatedAt), s.AsOfRule, Rows = (long)s.Rows, s.Data }, cancellationToken: ct));
    }

    public async Task<FeatureSnapshot?> GetFeatureSnapshotAsync(string name, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<(string Name, long CreatedAt, string AsOfRule, long Rows, byte[] Data)?>(new CommandDefinition(
            "SELECT name, created_at, as_of_rule, rows, data FROM feature_snapshots WHERE name = @name", new { name }, cancellationToken: ct));
        return r is { } x ? new FeatureSnapshot { Name = x.Name, CreatedAt = Time(x.CreatedAt), AsOfRule = x.AsOfRule, Rows = (int)x.Rows, Data = x.Data } : null;
    }
}
