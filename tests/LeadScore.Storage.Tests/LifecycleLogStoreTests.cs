using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>The lifecycle record (migration 007) on both backends.</summary>
public sealed class LifecycleLogStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Evaluations_and_events_are_stored_and_listed_in_order(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var gate = new ModelEvaluation
        {
            Id = "eval_a", At = T0, Kind = "gate", Candidate = "v2", Champion = "v1", Passed = false, Rows = 812, Summary = "failed: AUC 0.7900 misses >= 0.8050",
            FiguresJson = """{"candidate":{"auc":0.79}}""", RulesJson = """[{"rule":"auc >= champion + 0.005","passed":false}]""",
        };
        await store.SaveEvaluationAsync(gate);
        await store.SaveEvaluationAsync(gate with { Id = "eval_b", At = T0.AddDays(1), Kind = "challenge", Passed = true, Champion = null });
        await store.SaveEvaluationAsync(gate with { Id = "eval_c", Candidate = "v3" });

        (await store.GetEvaluationAsync("eval_a")).ShouldBe(gate);
        (await store.GetEvaluationAsync("nope")).ShouldBeNull();
        (await store.ListEvaluationsAsync("v2")).Select(e => (e.Id, e.Passed, e.Champion)).ShouldBe([("eval_a", false, "v1"), ("eval_b", true, (string?)null)]);

        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
            ids.Add(await store.AddLifecycleEventAsync(new LifecycleEvent { At = T0.AddHours(i), Kind = i % 2 == 0 ? "training" : "gate", Version = $"v{i + 1}", Reason = $"r{i}", FiguresJson = i == 0 ? """{"auc":0.8}""" : null }));
        ids.ShouldBeInOrder(SortDirection.Ascending);
        var all = await store.ListLifecycleEventsAsync();
        all.Select(e => e.Reason).ShouldBe(["r0", "r1", "r2", "r3", "r4"]);
        all[0].FiguresJson.ShouldBe("""{"auc":0.8}""");
        all[0].At.ShouldBe(T0);
        (await store.ListLifecycleEventsAsync(since: T0.AddHours(3))).Select(e => e.Reason).ShouldBe(["r3", "r4"]);
        // A limit keeps the newest, still oldest first.
        (await store.ListLifecycleEventsAsync(limit: 2)).Select(e => e.Reason).ShouldBe(["r3", "r4"]);
    }
}
