using System.Diagnostics;
using Npgsql;

namespace LeadScore.TestKit;

/// <summary>
/// The streaming read replica of the test PostgreSQL server that test.sh starts beside it (<c>scripts/pg.sh replica</c>):
/// its connection string in LEADSCORE_TEST_PG_REPLICA, its data folder in LEADSCORE_TEST_PG_REPLICA_DIR (to stop and start
/// it). Replica tests fail, never skip, when it is missing. Tests that pause, stop or start it keep to one test class per
/// assembly, so no other test sees it change.
/// </summary>
public static class TestReplica
{
    /// <summary>How long a wait for replication may take before the test fails (a loaded machine replays in milliseconds to seconds).</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(90);

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("LEADSCORE_TEST_PG_REPLICA") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("LEADSCORE_TEST_PG_REPLICA is not set: run ./test.sh, which starts a streaming replica of its PostgreSQL (scripts/pg.sh replica).");

    public static string DataDirectory =>
        Environment.GetEnvironmentVariable("LEADSCORE_TEST_PG_REPLICA_DIR") is { Length: > 0 } d
            ? d
            : throw new InvalidOperationException("LEADSCORE_TEST_PG_REPLICA_DIR is not set: run ./test.sh.");

    /// <summary>The replica's connection string for the database <paramref name="primaryConnectionString"/> names (physical replication copies every database).</summary>
    public static string For(string primaryConnectionString) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = new NpgsqlConnectionStringBuilder(primaryConnectionString).Database, Timeout = 5 }.ConnectionString;

    /// <summary>Waits until the replica has replayed everything the primary has written so far (its current WAL position).</summary>
    public static Task WaitForReplayAsync() => WaitForAsync("pg_last_wal_replay_lsn()");

    /// <summary>Waits until the replica has received (not necessarily replayed) everything the primary has written so far.</summary>
    public static Task WaitForReceiveAsync() => WaitForAsync("pg_last_wal_receive_lsn()");

    private static async Task WaitForAsync(string position)
    {
        string lsn;
        await using (var p = new NpgsqlConnection(TestStores.PostgresAdminConnectionString))
        {
            await p.OpenAsync();
            // The test server commits asynchronously (synchronous_commit=off): a commit may still sit in the WAL buffers,
            // which the primary has not sent. One synchronous commit that wrote WAL (a transactional WAL message; a
            // transaction that wrote nothing commits asynchronously whatever the setting) flushes every record before it,
            // so its flush position covers the test's writes.
            await using (var flush = new NpgsqlCommand("SET synchronous_commit = on; SELECT pg_logical_emit_message(true, 'leadscore-test', 'flush');", p))
                await flush.ExecuteNonQueryAsync();
            await using var cmd = new NpgsqlCommand("SELECT pg_current_wal_flush_lsn()::text", p);
            lsn = (string)(await cmd.ExecuteScalarAsync())!;
        }
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var r = new NpgsqlConnection(AdminConnectionString);
                await r.OpenAsync();
                await using var cmd = new NpgsqlCommand($"SELECT COALESCE({position} >= @lsn::pg_lsn, false)", r);
                cmd.Parameters.AddWithValue("lsn", lsn);
                if ((bool)(await cmd.ExecuteScalarAsync())!) return;
            }
            catch (NpgsqlException) when (waited.Elapsed < WaitLimit)
            {
                // Starting up: try again.
            }
            if (waited.Elapsed > WaitLimit) throw new TimeoutException($"the replica did not reach {position} {lsn} within {WaitLimit.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    /// <summary>Pauses WAL replay on the replica (it keeps receiving): reads there stay as they are until <see cref="ResumeReplayAsync"/>.</summary>
    public static Task PauseReplayAsync() => ExecuteAsync("SELECT pg_wal_replay_pause()");

    public static Task ResumeReplayAsync() => ExecuteAsync("SELECT pg_wal_replay_resume()");

    private static async Task ExecuteAsync(string sql)
    {
        await using var r = new NpgsqlConnection(AdminConnectionString);
        await r.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, r);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Stops the replica server (<c>scripts/pg.sh stop</c>, fast shutdown: its sessions are cut).</summary>
    public static Task StopAsync() => PgShAsync("stop", DataDirectory);

    /// <summary>Starts the replica again in place (same folder and port; standby.signal keeps it a standby) and waits until it has caught up.</summary>
    public static async Task StartAsync()
    {
        await PgShAsync("start", DataDirectory, new NpgsqlConnectionStringBuilder(AdminConnectionString).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await WaitForReplayAsync();
    }

    private static async Task PgShAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(TestPaths.RepoRoot, "scripts", "pg.sh")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"scripts/pg.sh {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}");
    }
}
