using Dapper;

namespace LeadScore.Storage;

/// <summary>Shared, versioned settings (<see cref="ISettingsStore"/>), on both backends.</summary>
public abstract partial class SqlLeadStore
{
    public async Task<StoredSetting?> GetSettingAsync(string name, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<(string Name, string Value, long Version, long UpdatedAt)?>(new CommandDefinition(
            "SELECT name, value, version, updated_at FROM settings WHERE name = @name", new { name }, cancellationToken: ct));
        return r is { } x ? new StoredSetting(x.Name, x.Value, x.Version, Time(x.UpdatedAt)) : null;
    }

    public async Task<long> SaveSettingAsync(string name, string value, DateTimeOffset at, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        // The increment happens inside the upsert, so two instances saving at once get two distinct versions.
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO settings (name, value, version, updated_at) VALUES (@name, @value, 1, @at)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, version = settings.version + 1, updated_at = excluded.updated_at
            RETURNING version
            """, new { name, value, at = Ms(at) }, cancellationToken: ct));
    }

    public async Task<long?> TrySaveSettingAsync(string name, string value, long expectedVersion, DateTimeOffset at, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        // One statement each way, so the version check and the write are atomic on both backends: the first save inserts
        // (a concurrent first save hits the primary key and changes nothing), a later one updates only the expected version.
        var sql = expectedVersion == 0
            ? "INSERT INTO settings (name, value, version, updated_at) VALUES (@name, @value, 1, @at) ON CONFLICT (name) DO NOTHING RETURNING version"
            : "UPDATE settings SET value = @value, version = version + 1, updated_at = @at WHERE name = @name AND version = @expectedVersion RETURNING version";
        return await c.ExecuteScalarAsync<long?>(new CommandDefinition(sql, new { name, value, expectedVersion, at = Ms(at) }, cancellationToken: ct));
    }

    public async Task<long> GetSettingVersionAsync(string name, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        // A primary-key lookup of one integer, never the value: instances call this every few seconds.
        return await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT version FROM settings WHERE name = @name", new { name }, cancellationToken: ct)) ?? 0;
    }
}
