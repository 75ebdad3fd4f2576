using System.Data.Common;
using Dapper;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LeadScore.Storage.Tests;

/// <summary>Direct access to a test store's database, for checks the store's API deliberately does not offer.</summary>
internal static class RawDatabase
{
    public static async Task<DbConnection> OpenAsync(string backend, string workspace, string? connectionString)
    {
        DbConnection c = backend == TestStores.Postgres
            ? new NpgsqlConnection(connectionString)
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(workspace, LeadStore.SqliteFileName), Pooling = false }.ToString());
        await c.OpenAsync();
        return c;
    }

    /// <summary>Every user table and its columns, read from the database's own catalogue.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ColumnsByTableAsync(DbConnection c, string backend)
    {
        var sql = backend == TestStores.Postgres
            // Partitions are left out: their rows are read (and erased) through the partitioned parent.
            ? """
              SELECT c.table_name, c.column_name FROM information_schema.columns c
              JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = current_schema()::regnamespace
              WHERE c.table_schema = current_schema() AND NOT k.relispartition ORDER BY c.table_name, c.ordinal_position
              """
            : "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid";
        var rows = await c.QueryAsync<(string Table, string Column)>(sql);
        return rows.GroupBy(r => r.Table).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r.Column).ToList());
    }

    public static async Task<long> CountAsync(DbConnection c, string table) => await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM \"{table}\"");
}
