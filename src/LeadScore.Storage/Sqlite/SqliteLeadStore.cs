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

    /// <param name="time">The clock for times the store stamps itself; the system clock when null.</param>
    public SqliteLeadStore(string path, TimeProvider? time = null) : base(time)
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
        cmd.CommandText = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 16384;";
        await cmd.ExecuteNonQueryAsync(ct);
        return c;
    }

    public override async Task MigrateAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL;", cancellationToken: ct));
        await Migrator.ApplyAsync(c, "Sqlite", Clock, ct);
    }

    /// <summary>
    /// Bulk activity insert through SQLite's own API: prepared single-row statements, bound by position, stepped and
    /// reset per row, inside the batch's transaction. ADO.NET's named-parameter binding cost more than SQLite's b-tree
    /// work here (1M rows: 13 s through multi-row ADO.NET statements). Per row: the first statement copies a stored
    /// version with other content into activity_history (a primary-key probe when nothing changed); the second inserts
    /// or replaces only when the content differs.
    /// </summary>
    public override Task<InsertCounts> InsertActivitiesAsync(IReadOnlyList<Activity> activities, CancellationToken ct = default)
    {
        if (activities.Count == 0) return Task.FromResult(default(InsertCounts));
        var (unique, duplicates) = LastPerEventId(activities);
        var now = NowMs;
        return InTransactionAsync((c, _) =>
        {
            var db = ((SqliteConnection)c).Handle ?? throw new InvalidOperationException("connection is not open");
            Check(db, raw.sqlite3_prepare_v2(db, KeepPreviousActivitySql, out var keep));
            using (keep)
            {
                Check(db, raw.sqlite3_prepare_v2(db, UpsertActivitySql, out var upsert));
                using (upsert)
                {
                    int inserted = 0, updated = 0;
                    for (var i = 0; i < unique.Count; i++)
                    {
                        if ((i & 4095) == 0) ct.ThrowIfCancellationRequested();
                        var a = unique[i];
                        Bind(keep, a);
                        raw.sqlite3_bind_int64(keep, 8, now);
                        Step(db, keep);
                        var changed = raw.sqlite3_changes(db) > 0;
                        Bind(upsert, a);
                        Step(db, upsert);
                        var written = raw.sqlite3_changes(db) > 0;
                        if (changed) updated++;
                        else if (written) inserted++;
                    }
                    return Task.FromResult(new InsertCounts(inserted, unique.Count - inserted - updated + duplicates) { Updated = updated });
                }
            }
        }, ct);
    }

    public override Task AppendPredictionsAsync(IReadOnlyList<LoggedPrediction> predictions, CancellationToken ct = default)
    {
        if (predictions.Count == 0) return Task.CompletedTask;
        return InTransactionAsync((c, _) =>
        {
            var db = ((SqliteConnection)c).Handle ?? throw new InvalidOperationException("connection is not open");
            Check(db, raw.sqlite3_prepare_v2(db, $"INSERT INTO prediction_log ({PredictionColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", out var insert));
            using (insert)
            {
                for (var i = 0; i < predictions.Count; i++)
                {
                    if ((i & 4095) == 0) ct.ThrowIfCancellationRequested();
                    var p = predictions[i];
                    raw.sqlite3_bind_int64(insert, 1, Ms(p.PredictedAt));
                    if (p.LeadId is { } id) raw.sqlite3_bind_text(insert, 2, id); else raw.sqlite3_bind_null(insert, 2);
                    raw.sqlite3_bind_text(insert, 3, p.ModelVersion);
                    raw.sqlite3_bind_text(insert, 4, p.Slot);
                    raw.sqlite3_bind_double(insert, 5, p.Probability);
                    raw.sqlite3_bind_text(insert, 6, p.Grade);
                    if (p.HorizonDays is { } h) raw.sqlite3_bind_double(insert, 7, h); else raw.sqlite3_bind_null(insert, 7);
                    raw.sqlite3_bind_text(insert, 8, p.Source);
                    if (p.Features is { } f) raw.sqlite3_bind_blob(insert, 9, f); else raw.sqlite3_bind_null(insert, 9);
                    if (p.FeatureWeight is { } fw) raw.sqlite3_bind_double(insert, 10, fw); else raw.sqlite3_bind_null(insert, 10);
                    Step(db, insert);
                }
            }
            return Task.FromResult(true);
        }, ct);
    }

    /// <summary>The memory map a prediction cursor asks for (SQLite caps it at its compile-time maximum).</summary>
    private const long CursorMmapBytes = 1L << 32;

    public override async Task<PredictionCursor> OpenPredictionCursorAsync(DateTimeOffset from, DateTimeOffset to, string modelVersion, string slot, CancellationToken ct = default)
    {
        var c = (SqliteConnection)await OpenAsync(ct);
        try
        {
            var db = c.Handle ?? throw new InvalidOperationException("connection is not open");
            // A window is read by index order, each row fetched from the table by rowid: memory-mapped pages spare a read
            // call and a copy per page (set back when the cursor is disposed, as the connection returns to the pool).
            Check(db, raw.sqlite3_exec(db, $"PRAGMA mmap_size = {CursorMmapBytes}"));
            var sql = PredictionCursorSql().Replace("@version", "?3", StringComparison.Ordinal).Replace("@slot", "?4", StringComparison.Ordinal)
                .Replace("@from", "?1", StringComparison.Ordinal).Replace("@to", "?2", StringComparison.Ordinal);
            Check(db, raw.sqlite3_prepare_v2(db, sql, out var stmt));
            raw.sqlite3_bind_int64(stmt, 1, PredictionMs(from));
            raw.sqlite3_bind_int64(stmt, 2, PredictionMs(to));
            raw.sqlite3_bind_text(stmt, 3, modelVersion);
            raw.sqlite3_bind_text(stmt, 4, slot);
            return new SqlitePredictionCursor(c, db, stmt);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The prediction cursor on SQLite's own statement: sqlite3_step per row, numbers and the feature blob read in place
    /// (the blob is copied only by CopyFeatures), grades shared by their UTF-8 bytes.
    /// </summary>
    private sealed class SqlitePredictionCursor(SqliteConnection connection, sqlite3 db, sqlite3_stmt stmt) : PredictionCursor
    {
        private readonly List<(byte[] Utf8, string Text)> _grades = [];
        private long _rows;

        public override ValueTask<bool> ReadAsync(CancellationToken ct = default)
        {
            if ((++_rows & 4095) == 0) ct.ThrowIfCancellationRequested();
            var rc = raw.sqlite3_step(stmt);
            if (rc == raw.SQLITE_ROW) return ValueTask.FromResult(true);
            Check(db, rc);
            return ValueTask.FromResult(false);
        }

        public override DateTimeOffset PredictedAt => PredictionTime(raw.sqlite3_column_int64(stmt, 0));
        public override string? LeadId => raw.sqlite3_column_type(stmt, 1) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(stmt, 1).utf8_to_string();
        public override double Probability => raw.sqlite3_column_double(stmt, 2);

        public override string Grade
        {
            get
            {
                var bytes = raw.sqlite3_column_blob(stmt, 3);
                foreach (var (utf8, text) in _grades) if (bytes.SequenceEqual(utf8)) return text;
                var s = System.Text.Encoding.UTF8.GetString(bytes);
                if (_grades.Count < 64) _grades.Add((bytes.ToArray(), s));
                return s;
            }
        }

        public override double? HorizonDays => raw.sqlite3_column_type(stmt, 4) == raw.SQLITE_NULL ? null : raw.sqlite3_column_double(stmt, 4);
        public override int FeatureBytes => raw.sqlite3_column_type(stmt, 5) == raw.SQLITE_NULL ? 0 : raw.sqlite3_column_bytes(stmt, 5);
        public override double FeatureWeight => raw.sqlite3_column_type(stmt, 6) == raw.SQLITE_NULL ? 1 : raw.sqlite3_column_double(stmt, 6);
        public override void CopyFeatures(byte[] into) => raw.sqlite3_column_blob(stmt, 5).CopyTo(into);

        public override async ValueTask DisposeAsync()
        {
            stmt.Dispose();
            raw.sqlite3_exec(db, "PRAGMA mmap_size = 0");
            await connection.DisposeAsync();
        }
    }

    private static void Bind(sqlite3_stmt stmt, Activity a)
    {
        raw.sqlite3_bind_text(stmt, 1, a.EventId);
        raw.sqlite3_bind_text(stmt, 2, a.LeadId);
        raw.sqlite3_bind_text(stmt, 3, a.Type);
        raw.sqlite3_bind_int64(stmt, 4, Ms(a.Timestamp));
        if (a.Url is { } url) raw.sqlite3_bind_text(stmt, 5, url); else raw.sqlite3_bind_null(stmt, 5);
        if (a.Value is { } v) raw.sqlite3_bind_double(stmt, 6, v); else raw.sqlite3_bind_null(stmt, 6);
        if (a.Properties.Count > 0) raw.sqlite3_bind_text(stmt, 7, ToJson(a.Properties)); else raw.sqlite3_bind_null(stmt, 7);
    }

    private static void Step(sqlite3 db, sqlite3_stmt stmt)
    {
        var rc = raw.sqlite3_step(stmt);
        if (rc != raw.SQLITE_DONE) Check(db, rc);
        raw.sqlite3_reset(stmt);
    }

    // IS NOT is SQLite's null-safe "differs".
    private const string ActivityDiffers =
        "lead_id IS NOT ?2 OR type IS NOT ?3 OR ts IS NOT ?4 OR url IS NOT ?5 OR value IS NOT ?6 OR properties IS NOT ?7";

    private const string KeepPreviousActivitySql =
        "INSERT INTO activity_history (event_id, lead_id, type, ts, url, value, properties, replaced_at) " +
        "SELECT event_id, lead_id, type, ts, url, value, properties, ?8 FROM activities WHERE event_id = ?1 AND (" + ActivityDiffers + ")";

    private const string UpsertActivitySql =
        "INSERT INTO activities (event_id, lead_id, type, ts, url, value, properties) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) " +
        "ON CONFLICT (event_id) DO UPDATE SET lead_id = excluded.lead_id, type = excluded.type, ts = excluded.ts, url = excluded.url, " +
        "value = excluded.value, properties = excluded.properties WHERE " + ActivityDiffers;

    private static void Check(sqlite3 db, int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW)) SqliteException.ThrowExceptionForRC(rc, db);
    }

    protected override bool IsUniqueViolation(DbException ex) => ex is SqliteException { SqliteErrorCode: 19 };

    // secure_delete (set on every connection) zeroed the erased cells; the WAL still holds the pages as they were.
    protected override async Task ForgetErasedPagesAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken: ct));
    }
    protected override string Ordinal(string column) => column;
    protected override string InList(string column, string parameter) => $"{column} IN {parameter}";

    protected override string TablesWithColumnSql =>
        "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = @column ORDER BY m.name";

    public override ValueTask DisposeAsync()
    {
        // Only this file's pool: ClearAllPools would also close the idle connections of every other store in the process.
        using var c = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(c);
        return ValueTask.CompletedTask;
    }
}
