using System.Data.Common;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Hashed API keys (<see cref="IApiKeyStore"/>).</summary>
public abstract partial class SqlLeadStore
{
    public async Task SaveApiKeyAsync(ApiKey k, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at, revoked_at) VALUES (@Id, @Name, @Prefix, @Hash, @scopes, @created, NULL)",
                new { k.Id, k.Name, k.Prefix, k.Hash, scopes = string.Join(',', k.Scopes), created = Ms(k.CreatedAt) }, cancellationToken: ct));
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new LeadScoreException($"an API key named '{k.Name}' already exists", "name");
        }
    }

    private sealed record KeyRow(string Id, string Name, string Prefix, string Hash, string Scopes, long CreatedAt, long? RevokedAt);

    private const string KeyColumns = "id AS Id, name AS Name, prefix AS Prefix, hash AS Hash, scopes AS Scopes, created_at AS CreatedAt, revoked_at AS RevokedAt";

    private static ApiKey ToKey(KeyRow r) => new()
    {
        Id = r.Id, Name = r.Name, Prefix = r.Prefix, Hash = r.Hash, Scopes = r.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries),
        CreatedAt = Time(r.CreatedAt), RevokedAt = r.RevokedAt is { } x ? Time(x) : null,
    };

    public async Task<ApiKey?> FindApiKeyByHashAsync(string hash, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition($"SELECT {KeyColumns} FROM api_keys WHERE hash = @hash", new { hash }, cancellationToken: ct));
        return r is null ? null : ToKey(r);
    }

    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<KeyRow>(new CommandDefinition($"SELECT {KeyColumns} FROM api_keys ORDER BY created_at, name", cancellationToken: ct));
        return rows.Select(ToKey).ToList();
    }

    public async Task<bool> RevokeApiKeyAsync(string idOrName, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = @now WHERE (id = @idOrName OR name = @idOrName) AND revoked_at IS NULL",
            new { idOrName, now = NowMs }, cancellationToken: ct)) > 0;
    }
}
