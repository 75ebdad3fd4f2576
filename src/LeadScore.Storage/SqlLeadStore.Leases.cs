using Dapper;

namespace LeadScore.Storage;

/// <summary>Leader leases (<see cref="ILeaseStore"/>): one row per name, taken by a conditional upsert, on both backends.</summary>
public abstract partial class SqlLeadStore
{
    public async Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan ttl, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ttl), "a lease must be positive");
        await using var c = await OpenAsync(ct);
        // One atomic statement: a free name is inserted; a held one is taken over only by its holder (renewal) or once
        // it expired (the holder crashed). Otherwise the upsert changes no row.
        return await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO leases (name, owner, expires_at) VALUES (@name, @owner, @until)
            ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE leases.owner = excluded.owner OR leases.expires_at < @now
            """, new { name, owner, until = Ms(now + ttl), now = Ms(now) }, cancellationToken: ct)) > 0;
    }

    public async Task ReleaseLeaseAsync(string name, string owner, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM leases WHERE name = @name AND owner = @owner", new { name, owner }, cancellationToken: ct));
    }

    public async Task<(string Owner, DateTimeOffset ExpiresAt)?> GetLeaseAsync(string name, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<(string Owner, long ExpiresAt)?>(new CommandDefinition(
            "SELECT owner, expires_at FROM leases WHERE name = @name", new { name }, cancellationToken: ct));
        return r is { } x ? (x.Owner, Time(x.ExpiresAt)) : null;
    }
}
