using LeadScore.Application.Lifecycle;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Lifecycle;

/// <summary>
/// The loop state (<c>lifecycle:state</c>) is written by the leader and by policy training jobs, possibly on two instances at
/// once: each update is a compare-and-set on the setting's version, so no write is lost and a challenger moves once.
/// </summary>
public sealed class LifecycleStateRaceTests
{
    [Fact]
    public async Task Concurrent_updates_from_two_instances_on_PostgreSQL_lose_nothing()
    {
        // Given two instances (two stores, two connection pools) on one PostgreSQL database
        var cs = await TestStores.CreatePostgresDatabaseAsync();
        await using var a = await LeadStore.OpenAsync(TestPaths.NewTempDir("ls-a"), cs);
        await using var b = await LeadStore.OpenAsync(TestPaths.NewTempDir("ls-b"), cs);
        var states = new[] { new LifecycleStateStore(a, TimeProvider.System), new LifecycleStateStore(b, TimeProvider.System) };

        // When each increments a counter in the state 40 times, 8 updates in flight per instance
        const int PerInstance = 40;
        await Task.WhenAll(states.SelectMany(s => Enumerable.Range(0, 8).Select(k => Task.Run(async () =>
        {
            for (var i = 0; i < PerInstance / 8; i++) await s.UpdateAsync(x => x with { LastAlertSeen = x.LastAlertSeen + 1 });
        }))));

        // Then every increment is there (a plain read-modify-write loses some of them under this contention)
        (await states[0].GetAsync()).LastAlertSeen.ShouldBe(2 * PerInstance);
    }

    [Fact]
    public async Task Of_two_instances_ending_the_same_challenge_only_one_moves_it()
    {
        var cs = await TestStores.CreatePostgresDatabaseAsync();
        await using var a = await LeadStore.OpenAsync(TestPaths.NewTempDir("ls-a"), cs);
        await using var b = await LeadStore.OpenAsync(TestPaths.NewTempDir("ls-b"), cs);
        var sa = new LifecycleStateStore(a, TimeProvider.System);
        var sb = new LifecycleStateStore(b, TimeProvider.System);
        var challenge = new ChallengeState { Version = "v2", Champion = "v1", Mode = "shadow", StartedAt = DateTimeOffset.UnixEpoch, DecisionDelayDays = 14, HorizonDays = 30 };
        await sa.UpdateAsync(s => s with { Challenge = challenge });

        // Both decided from the same state (look 0 of v2) and race to end it, 20 times each: as ContinuousLearning does, a writer
        // moves the challenger only if the change it saved was the one that ended it (the change runs again after a conflict).
        var moved = 0;
        await Task.WhenAll(new[] { sa, sb }.Select(s => Task.Run(async () =>
        {
            for (var round = 0; round < 20; round++)
            {
                var mine = false;
                await s.UpdateAsync(x =>
                {
                    mine = x.Challenge is { Version: "v2", Looks: 0 };
                    return mine ? x with { Challenge = null } : x;
                });
                if (mine) Interlocked.Increment(ref moved);
            }
        })));

        // Then exactly one of the 40 updates ended it (without the compare-and-set, both instances can read the challenge and both end it)
        moved.ShouldBe(1);
        (await sb.GetAsync()).Challenge.ShouldBeNull();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_compare_and_set_with_a_stale_version_writes_nothing(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        (await store.TrySaveSettingAsync("x:test", "1", 0, DateTimeOffset.UnixEpoch)).ShouldBe(1);
        (await store.TrySaveSettingAsync("x:test", "again", 0, DateTimeOffset.UnixEpoch)).ShouldBeNull("a first save when one exists");
        (await store.TrySaveSettingAsync("x:test", "2", 1, DateTimeOffset.UnixEpoch)).ShouldBe(2);
        (await store.TrySaveSettingAsync("x:test", "stale", 1, DateTimeOffset.UnixEpoch)).ShouldBeNull("version 1 is stale");
        (await store.GetSettingAsync("x:test")).ShouldNotBeNull().Value.ShouldBe("2");
    }
}
