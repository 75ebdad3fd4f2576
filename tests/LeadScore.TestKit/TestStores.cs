using LeadScore.Storage;
using Npgsql;
using Xunit;

namespace LeadScore.TestKit;

/// <summary>
/// Real stores for tests: a SQLite file in a fresh temp folder, or a fresh database on the
/// PostgreSQL server test.sh starts (connection string in LEADSCORE_TEST_PG). PostgreSQL tests
/// fail, never skip, when that server is missing.
/// </summary>
public static class TestStores
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgresql";

    /// <summary>Both backends, for [Theory] tests: <c>[MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]</c>.</summary>
    public static TheoryData<string> Backends => new(Sqlite, Postgres);

    public static string PostgresAdminConnectionString =>
        Environment.GetEnvironmentVariable("LEADSCORE_TEST_PG") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("LEADSCORE_TEST_PG is not set: run ./test.sh, which starts a throwaway PostgreSQL 15 and sets it.");

    /// <summary>Creates an empty database on the test server and returns its connection string.</summary>
    public static async Task<string> CreatePostgresDatabaseAsync()
    {
        var admin = PostgresAdminConnectionString;
        var name = $"ls_{Guid.NewGuid():N}";
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>
    /// A fresh, migrated store. The returned workspace folder is new and empty apart from the SQLite file.
    /// With <paramref name="time"/>, the store stamps its own times from that clock.
    /// </summary>
    public static async Task<(ILeadStore Store, string Workspace, string? ConnectionString)> OpenAsync(string backend, TimeProvider? time = null)
    {
        var ws = TestPaths.NewTempDir("leadscore-ws");
        string? cs = backend == Postgres ? await CreatePostgresDatabaseAsync() : null;
        var store = await LeadStore.OpenAsync(ws, cs, time: time);
        return (store, ws, cs);
    }
}
