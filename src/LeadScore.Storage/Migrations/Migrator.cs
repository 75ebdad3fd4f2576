using System.Data.Common;
using System.Reflection;
using Dapper;

namespace LeadScore.Storage.Migrations;

/// <summary>
/// Applies the embedded SQL migrations of a backend in order, each in its own transaction, and
/// records them in <c>schema_migrations</c>. Safe to run on every start.
/// </summary>
internal static class Migrator
{
    public static IReadOnlyList<(int Version, string Name, string Sql)> Load(string backendFolder)
    {
        var asm = Assembly.GetExecutingAssembly();
        var prefix = $"{asm.GetName().Name}.Migrations.{backendFolder}.";
        return asm.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var name = n[prefix.Length..^4];
                using var s = asm.GetManifestResourceStream(n)!;
                using var r = new StreamReader(s);
                return (int.Parse(name.Split('_')[0].TrimStart('_')), name, r.ReadToEnd());
            })
            .OrderBy(m => m.Item1)
            .ToList();
    }

    public static async Task ApplyAsync(DbConnection c, string backendFolder, TimeProvider time, CancellationToken ct)
    {
        await c.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", cancellationToken: ct));
        var applied = (await c.QueryAsync<long>(new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: ct))).ToHashSet();
        foreach (var (version, name, sql) in Load(backendFolder))
        {
            if (applied.Contains(version)) continue;
            await using var tx = await c.BeginTransactionAsync(ct);
            await c.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @name, @at)",
                new { v = (long)version, name, at = time.GetUtcNow().ToString("O") }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
        }
    }
}
