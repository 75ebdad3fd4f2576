using System.Data.Common;
using Dapper;
using LeadScore.Storage.Migrations;
using Microsoft.Data.Sqlite;

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

    protected override bool IsUniqueViolation(DbException ex) => ex is SqliteException { SqliteErrorCode: 19 };
    protected override string Ordinal(string column) => column;
    protected override string InList(string column, string parameter) => $"{column} IN {parameter}";

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
