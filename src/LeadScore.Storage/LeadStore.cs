using LeadScore.Core;
using LeadScore.Storage.Postgres;
using LeadScore.Storage.Sqlite;
using Npgsql;

namespace LeadScore.Storage;

/// <summary>Opens the store a workspace uses and applies pending migrations.</summary>
public static class LeadStore
{
    public const string SqliteFileName = "leadscore.db";

    /// <summary>
    /// PostgreSQL when <paramref name="connectionString"/> is given, otherwise SQLite in
    /// <paramref name="workspaceDirectory"/>. Failures become one clear <see cref="LeadScoreException"/>.
    /// </summary>
    /// <param name="time">The clock the store stamps its own times with (history, updates); the system clock when null.
    /// Last, so that callers written before it existed still compile.</param>
    public static async Task<ILeadStore> OpenAsync(string workspaceDirectory, string? connectionString = null, CancellationToken ct = default, TimeProvider? time = null)
    {
        SqlLeadStore store;
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            store = new PostgresLeadStore(connectionString, time);
        }
        else
        {
            try
            {
                Directory.CreateDirectory(workspaceDirectory);
                var probe = Path.Combine(workspaceDirectory, ".write-test");
                await File.WriteAllTextAsync(probe, "", ct);
                File.Delete(probe);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new LeadScoreException($"workspace '{workspaceDirectory}' is not writable: {ex.Message}", "workspace");
            }
            store = new SqliteLeadStore(Path.Combine(workspaceDirectory, SqliteFileName), time);
        }
        try
        {
            await store.MigrateAsync(ct);
            return store;
        }
        catch (Exception ex) when (ex is NpgsqlException or Microsoft.Data.Sqlite.SqliteException or System.Net.Sockets.SocketException or TimeoutException)
        {
            await store.DisposeAsync();
            throw new LeadScoreException($"cannot open {store.Describe()}: {ex.Message}", "database");
        }
    }
}
