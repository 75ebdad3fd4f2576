using System.Data.Common;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>The model registry: versions, artifacts, aliases (<see cref="IModelStore"/>).</summary>
public abstract partial class SqlLeadStore
{
    public async Task SaveModelAsync(ModelVersion m, byte[] artifact, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO models (version, created_at, algorithm, card, auc, artifact) VALUES (@Version, @created, @Algorithm, @CardJson, @Auc, @artifact)",
                new { m.Version, created = Ms(m.CreatedAt), m.Algorithm, m.CardJson, m.Auc, artifact }, cancellationToken: ct));
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new LeadScoreException($"model version '{m.Version}' already exists; versions are immutable", "version");
        }
    }

    private sealed record ModelRow(string Version, long CreatedAt, string Algorithm, string Card, double? Auc);

    public async Task<ModelVersion?> GetModelAsync(string version, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
            "SELECT version AS Version, created_at AS CreatedAt, algorithm AS Algorithm, card AS Card, auc AS Auc FROM models WHERE version = @version", new { version }, cancellationToken: ct));
        if (r is null) return null;
        var aliases = await c.QueryAsync<string>(new CommandDefinition("SELECT alias FROM model_aliases WHERE version = @version ORDER BY alias", new { version }, cancellationToken: ct));
        return ToModel(r, aliases.ToList());
    }

    private static ModelVersion ToModel(ModelRow r, IReadOnlyList<string> aliases) => new()
    {
        Version = r.Version, CreatedAt = Time(r.CreatedAt), Algorithm = r.Algorithm, CardJson = r.Card, Auc = r.Auc, Aliases = aliases,
    };

    public async Task<byte[]?> GetModelArtifactAsync(string version, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<byte[]?>(new CommandDefinition("SELECT artifact FROM models WHERE version = @version", new { version }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<ModelVersion>> ListModelsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<ModelRow>(new CommandDefinition(
            "SELECT version AS Version, created_at AS CreatedAt, algorithm AS Algorithm, card AS Card, auc AS Auc FROM models ORDER BY created_at DESC, version DESC", cancellationToken: ct));
        var aliases = (await c.QueryAsync<(string Alias, string Version)>(new CommandDefinition("SELECT alias, version FROM model_aliases ORDER BY alias", cancellationToken: ct)))
            .ToLookup(a => a.Version, a => a.Alias);
        return rows.Select(r => ToModel(r, aliases[r.Version].ToList())).ToList();
    }

    public Task SetAliasAsync(string alias, string version, CancellationToken ct = default) =>
        InTransactionAsync(async (c, tx) =>
        {
            var exists = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM models WHERE version = @version", new { version }, tx, cancellationToken: ct));
            if (exists == 0) throw new NotFoundException($"model version '{version}' not found");
            var now = NowMs;
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO model_aliases (alias, version, updated_at) VALUES (@alias, @version, @now)
                ON CONFLICT (alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """, new { alias, version, now }, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition("INSERT INTO alias_history (alias, version, at) VALUES (@alias, @version, @now)", new { alias, version, now }, tx, cancellationToken: ct));
            return true;
        }, ct);

    public async Task<bool> RemoveAliasAsync(string alias, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM model_aliases WHERE alias = @alias", new { alias }, cancellationToken: ct)) > 0;
    }

    public async Task<string?> GetAliasAsync(string alias, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition("SELECT version FROM model_aliases WHERE alias = @alias", new { alias }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string alias, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string Alias, string Version, long At)>(new CommandDefinition(
            "SELECT alias, version, at FROM alias_history WHERE alias = @alias ORDER BY id DESC", new { alias }, cancellationToken: ct));
        return rows.Select(r => new AliasChange(r.Alias, r.Version, Time(r.At))).ToList();
    }

    public Task<long> NextModelNumberAsync(CancellationToken ct = default) =>
        InTransactionAsync(async (c, tx) => await c.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO counters (name, value) VALUES ('model', 1)
            ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
            RETURNING value
            """, transaction: tx, cancellationToken: ct)), ct);
}
