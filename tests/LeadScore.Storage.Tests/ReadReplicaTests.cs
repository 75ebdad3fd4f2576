using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;
using Npgsql;

namespace LeadScore.Storage.Tests;

/// <summary>
/// The lagging reads over a real primary (the test server) and its real streaming replica (<c>scripts/pg.sh replica</c>,
/// started by test.sh): what the router reads comes from the replica while it keeps up, from the primary when it is
/// behind the bound or stopped, and no read fails on the way. One class, so the pause and the stop of the shared replica
/// are seen by no other test. PostgreSQL only: a SQLite workspace has no replica (the start-up check refuses one).
/// </summary>
public sealed class ReadReplicaTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static Lead Lead(string id) => new()
    {
        Id = id,
        CreatedAt = T0,
        Attributes = new Dictionary<string, string?> { [LeadFields.Company] = "Company " + id, [LeadFields.Source] = "web" },
    };

    private static StoredScore Score(string id, int score) => new()
    {
        LeadId = id, Probability = score / 100.0, Score = score, Grade = score >= 50 ? "A" : "B", ModelVersion = "m1", ScoredAt = T0, Cause = ScoreCause.NewData,
    };

    private static async Task WriteAsync(ILeadStore primary, params (string Id, int Score)[] leads)
    {
        await primary.UpsertLeadsAsync(leads.Select(l => Lead(l.Id)).ToList());
        await primary.SaveScoresAsync(leads.Select(l => Score(l.Id, l.Score)).ToList());
    }

    private static async Task<List<string>> ListedAsync(ILaggingReads reads) =>
        (await reads.ListLeadPageAsync(new LeadPageQuery { Limit = 100 })).Items.Select(i => i.Score.LeadId).ToList();

    private static ReplicaReadRouter Router(ILeadStore primary, string connectionString, TimeProvider time, TimeSpan maxLag) =>
        new(new StoreReads(primary), new ReadReplicaSettings { ConnectionString = TestReplica.For(connectionString), MaxLag = maxLag, CheckInterval = TimeSpan.FromSeconds(1),
            // A loaded test machine can take seconds to open a connection: a check that timed out would read as "down".
            CheckTimeout = TimeSpan.FromSeconds(30) }, time);

    [Fact]
    public async Task A_write_on_the_primary_is_read_through_the_replica_once_replayed_and_a_replica_behind_the_bound_is_not_used()
    {
        var (primary, _, cs) = await TestStores.OpenAsync(TestStores.Postgres);
        await using var _primary = primary;
        var time = new ManualTime(T0);
        await using var router = Router(primary, cs!, time, TimeSpan.FromHours(1));
        await using var strict = Router(primary, cs!, time, TimeSpan.Zero);
        await WriteAsync(primary, ("L1", 80), ("L2", 40));
        await TestReplica.WaitForReplayAsync();

        var first = await ListedAsync(router);
        var route = await router.RouteAsync();
        string raw;
        await using (var c = new NpgsqlConnection(TestReplica.For(cs!)))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT (SELECT count(*) FROM leads)::text || '/' || (SELECT count(*) FROM scores_latest)::text || ' ' || pg_last_wal_replay_lsn()::text", c);
            raw = (string)(await cmd.ExecuteScalarAsync())!;
        }
        first.ShouldBe(["L1", "L2"], $"{route} raw {raw}");
        route.Target.ShouldBe(ReadRoute.Replica, route.Detail);
        route.ReplicaState.ShouldBe("streaming");

        await TestReplica.PauseReplayAsync();
        try
        {
            await WriteAsync(primary, ("L3", 90));
            await TestReplica.WaitForReceiveAsync();
            time.Advance(TimeSpan.FromSeconds(2));

            // Replay is paused: the replica has L3's WAL but not L3. The router still trusts it (lag under an hour), so
            // the list it gives is the replica's, without L3, while the primary lists L3.
            (await ListedAsync(router)).ShouldBe(["L1", "L2"]);
            (await ListedAsync(new StoreReads(primary))).ShouldBe(["L3", "L1", "L2"]);
            await using (var c = new NpgsqlConnection(TestReplica.For(cs!)))
            {
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand("SELECT pg_is_in_recovery()", c);
                ((bool)(await cmd.ExecuteScalarAsync())!).ShouldBeTrue();
            }

            // With a bound of zero the same replica is behind: the reads go to the primary, which has L3.
            (await ListedAsync(strict)).ShouldBe(["L3", "L1", "L2"]);
            var behind = await strict.RouteAsync();
            behind.Target.ShouldBe(ReadRoute.Primary);
            behind.ReplicaState.ShouldBe("lagging");
            behind.LagSeconds.ShouldNotBeNull().ShouldBeGreaterThan(0);
        }
        finally
        {
            await TestReplica.ResumeReplayAsync();
        }

        await TestReplica.WaitForReplayAsync();
        time.Advance(TimeSpan.FromSeconds(2));
        (await ListedAsync(router)).ShouldBe(["L3", "L1", "L2"]);
        (await ListedAsync(strict)).ShouldBe(["L3", "L1", "L2"]);
        // A bound of zero trusts the replica only at an instant it has replayed all it received. Other test classes write
        // to the same cluster meanwhile (WAL is cluster-wide), so one check may land mid-replay: the replica must be
        // trusted again at some check once it has caught up, not at the first.
        var caughtUp = await strict.RouteAsync();
        for (var tries = 0; caughtUp.Target != ReadRoute.Replica && tries < 50; tries++)
        {
            await TestReplica.WaitForReplayAsync();
            time.Advance(TimeSpan.FromSeconds(2));
            caughtUp = await strict.RouteAsync();
        }
        caughtUp.Target.ShouldBe(ReadRoute.Replica, caughtUp.Detail);
        var streamed = new List<string>();
        await foreach (var l in router.StreamLeadsAsync()) streamed.Add(l.Id);
        streamed.ShouldBe(["L1", "L2", "L3"]);
    }

    [Fact]
    public async Task A_stopped_replica_fails_no_read_the_primary_serves_them_and_the_replica_is_used_again_once_back()
    {
        var (primary, _, cs) = await TestStores.OpenAsync(TestStores.Postgres);
        await using var _primary = primary;
        var time = new ManualTime(T0);
        await using var router = Router(primary, cs!, time, TimeSpan.FromHours(1));
        await WriteAsync(primary, ("L1", 80), ("L2", 40));
        await TestReplica.WaitForReplayAsync();
        (await ListedAsync(router)).ShouldBe(["L1", "L2"]);
        (await router.RouteAsync()).Target.ShouldBe(ReadRoute.Replica);

        await TestReplica.StopAsync();
        try
        {
            await WriteAsync(primary, ("L3", 90));
            // The route still says replica (checked less than a second ago): the read finds the replica gone and is
            // answered by the primary, with the lead written after the replica stopped.
            (await ListedAsync(router)).ShouldBe(["L3", "L1", "L2"]);
            var route = await router.RouteAsync();
            route.Target.ShouldBe(ReadRoute.Primary);
            route.ReplicaState.ShouldBe("down");
            route.Detail.ShouldNotBeNullOrEmpty();

            // Checked again later, the replica is still down: streams and lists keep coming from the primary.
            time.Advance(TimeSpan.FromSeconds(2));
            var streamed = new List<string>();
            await foreach (var s in router.StreamLatestScoresAsync()) streamed.Add(s.LeadId);
            streamed.ShouldBe(["L1", "L2", "L3"]);
            (await router.RouteAsync()).ReplicaState.ShouldBe("down");
            var outcomes = 0;
            await foreach (var _ in router.StreamOutcomesAsync()) outcomes++;
            outcomes.ShouldBe(0);
        }
        finally
        {
            await TestReplica.StartAsync();
        }

        time.Advance(TimeSpan.FromSeconds(2));
        // The first read after the restart may meet a pooled connection the stop broke: it falls back, and the check after it finds the replica streaming.
        (await ListedAsync(router)).ShouldBe(["L3", "L1", "L2"]);
        time.Advance(TimeSpan.FromSeconds(2));
        var back = await router.RouteAsync();
        back.Target.ShouldBe(ReadRoute.Replica, back.Detail);
        back.ReplicaState.ShouldBe("streaming");
        (await ListedAsync(router)).ShouldBe(["L3", "L1", "L2"]);
    }

    [Fact]
    public async Task A_primary_is_not_taken_for_a_replica_and_a_malformed_setting_is_refused()
    {
        var (primary, _, cs) = await TestStores.OpenAsync(TestStores.Postgres);
        await using var _primary = primary;
        // Pointed at the primary itself (not in recovery): the router reads from the primary store, saying why.
        await using var router = new ReplicaReadRouter(new StoreReads(primary), new ReadReplicaSettings { ConnectionString = cs!, CheckTimeout = TimeSpan.FromSeconds(30) }, new ManualTime(T0));
        await WriteAsync(primary, ("L1", 80));

        (await ListedAsync(router)).ShouldBe(["L1"]);
        var route = await router.RouteAsync();
        route.Target.ShouldBe(ReadRoute.Primary);
        route.ReplicaState.ShouldBe("not_standby");

        ReplicaReadRouter.Validate("Host=127.0.0.1;Port=15432").ShouldBeNull();
        ReplicaReadRouter.Validate("Port=15432").ShouldBe("names no Host");
        ReplicaReadRouter.Validate("not a connection string").ShouldNotBeNull().ShouldStartWith("is not a PostgreSQL connection string");
        ReplicaReadRouter.Validate("Host=127.0.0.1;Port=many").ShouldNotBeNull().ShouldStartWith("is not a PostgreSQL connection string");
        Should.Throw<LeadScoreException>(() => new ReplicaReadRouter(new StoreReads(primary), new ReadReplicaSettings { ConnectionString = "Port=1" }));
    }
}
