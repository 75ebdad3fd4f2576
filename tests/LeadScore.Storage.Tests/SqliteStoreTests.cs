using Dapper;
using LeadScore.TestKit;
using Microsoft.Data.Sqlite;

namespace LeadScore.Storage.Tests;

/// <summary>SQLite-only process behaviour.</summary>
public sealed class SqliteStoreTests
{
    [Fact]
    public async Task Disposing_a_sqlite_store_leaves_other_connection_pools_alone()
    {
        // Given: an idle pooled connection elsewhere in the process, marked by a temp table (which lives as long as the connection)
        var other = new SqliteConnectionStringBuilder { DataSource = Path.Combine(TestPaths.NewTempDir(), "other.db"), Pooling = true }.ToString();
        await using (var c = new SqliteConnection(other))
        {
            await c.OpenAsync();
            await c.ExecuteAsync("CREATE TEMP TABLE marker (x INTEGER)");
        }
        var (store, _, _) = await TestStores.OpenAsync(TestStores.Sqlite);
        await store.CountLeadsAsync();

        // When
        await store.DisposeAsync();

        // Then: the other pool still holds that connection
        await using var again = new SqliteConnection(other);
        await again.OpenAsync();
        (await again.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_temp_master WHERE name = 'marker'")).ShouldBe(1);
    }
}
