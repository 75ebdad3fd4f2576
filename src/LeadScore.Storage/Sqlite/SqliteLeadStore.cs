using System.Data.Common;
using Dapper;
using LeadScore.Storage.Migrations;
using LeadScore.Core;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace LeadScore.Storage.Sqlite;

/// <summary>The embedded default: one SQLite file in the workspace, in WAL mode.</summary>
public sealed class SqliteLeadStore : SqlLeadStore
{
    private readonly string _path;
    private readonly string _connectionString;

    public SqliteLeadStore(string path)
    {
        _path = Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 60,
        }.ToString();
    }

    public override string Backend => "sqlite";
    public override string Describe() => $"SQLite {_path}";

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct);
        // busy_timeout lets concurrent writers (CLI + server) wait instead of failing.
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 16384;";
        await cmd.ExecuteNonQueryAsync(ct);
        return c;
    }

    public override async Task MigrateAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL;", cancellationToken: ct));
        await Migrator.ApplyAsync(c, "Sqlite", ct);
    }

    /// <summary>
    /// Bulk activity insert through SQLite's own API: one prepared single-row statement, bound by position,
    /// stepped and reset per row, inside the batch's transaction. ADO.NET's named-parameter binding cost more
    /// than SQLite's b-tree work here (1M rows: 13 s through multi-row ADO.NET statements).
    /// </summary>
    public override Task<InsertCounts> InsertActivitiesAsync(IReadOnlyList<Activity> activities, CancellationToken ct = default)
    {
        if (activities.Count == 0) return Task.FromResult(default(InsertCounts));
        return InTransactionAsync((c, _) =>
        {
            var db = ((SqliteConnection)c).Handle ?? throw new InvalidOperationException("connection is not open");
            Check(db, raw.sqlite3_prepare_v2(db, InsertActivitySql, out var stmt));
            var inserted = 0;
            using (stmt)
            {
                for (var i = 0; i < activities.Count; i++)
                {
                    if ((i & 4095) == 0) ct.ThrowIfCancellationRequested();
                    var a = activities[i];
                    raw.sqlite3_bind_text(stmt, 1, a.EventId);
                    raw.sqlite3_bind_text(stmt, 2, a.LeadId);
                    raw.sqlite3_bind_text(stmt, 3, a.Type);
                    raw.sqlite3_bind_int64(stmt, 4, Ms(a.Timestamp));
                    if (a.Url is { } url) raw.sqlite3_bind_text(stmt, 5, url); else raw.sqlite3_bind_null(stmt, 5);
                    if (a.Value is { } v) raw.sqlite3_bind_double(stmt, 6, v); else raw.sqlite3_bind_null(stmt, 6);
                    if (a.Properties.Count > 0) raw.sqlite3_bind_text(stmt, 7, ToJson(a.Properties)); else raw.sqlite3_bind_null(stmt, 7);
                    var rc = raw.sqlite3_step(stmt);
                    if (rc != raw.SQLITE_DONE) Check(db, rc);
                    inserted += raw.sqlite3_changes(db);
                    raw.sqlite3_reset(stmt);
                }
            }
            return Task.FromResult(new InsertCounts(inserted, activities.Count - inserted));
        }, ct);
    }

    private const string InsertActivitySql =
        "INSERT INTO activities (event_id, lead_id, type, ts, url, value, properties) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (event_id) DO NOTHING";

    private static void Check(sqlite3 db, int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW)) SqliteException.ThrowExceptionForRC(rc, db);
    }

    protected override bool IsUniqueViolation(DbException ex) => ex is SqliteException { SqliteErrorCode: 19 };
    protected override string Ordinal(string column) => column;
    protected override string InList(string column, string parameter) => $"{column} IN {parameter}";

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
