using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Jobs;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace LeadScore.Application.Tests;

/// <summary>
/// A re-scoring range taken over mid-way resumes after its checkpoint: two instances (two composition roots over one real
/// store, each with its own instance id) share a simulated clock, the first loses its lease mid-range, and each lead ends
/// with exactly one score, one prediction-log row and one webhook delivery. SQLite and PostgreSQL.
/// </summary>
public sealed class RescoreCheckpointTests
{
    private const int Leads = 1000;
    private const int Every = 100;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_range_whose_instance_died_mid_way_is_resumed_after_its_checkpoint_and_scores_each_lead_once(string backend)
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var (a, b, ids, hook, rangeId) = await ArrangeAsync(store, time, ct);

        // Given instance a dies after its third checkpoint (its work is cancelled; the job row stays Running under its lease)
        var claimed = (await store.ClaimJobAsync(InstanceId(a), time.GetUtcNow(), Lease, rangeId, ct)).ShouldNotBeNull();
        using var dies = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reports = 0;
        var progress = new SyncProgress(_ => { if (++reports == 3) dies.Cancel(); });
        await Should.ThrowAsync<OperationCanceledException>(() => RangeHandler(a).RunAsync(claimed, progress, dies.Token));
        var left = (await store.GetJobAsync(rangeId, ct)).ShouldNotBeNull();
        left.Status.ShouldBe(JobStatus.Running);
        var checkpoint = JsonSerializer.Deserialize(left.Checkpoint!, JobJsonContext.Default.RescoreRangeCheckpoint)!;
        checkpoint.Scored.ShouldBe(3 * Every);
        (await ScoredLeadsAsync(store, ids, ct)).ShouldBe(3 * Every, "exactly the committed chunks are stored");

        // When its lease expires and instance b's runner takes the range over
        time.Advance(Lease + TimeSpan.FromSeconds(1));
        var done = (await b.Get<JobRunner>().RunNowAsync(rangeId, null, ct)).ShouldNotBeNull();

        // Then the range finishes on attempt 2, resumed after the checkpoint: every lead scored, logged and announced once
        done.Status.ShouldBe(JobStatus.Succeeded, done.Message);
        (await store.GetJobAsync(rangeId, ct))!.Attempts.ShouldBe(2);
        JsonSerializer.Deserialize(done.ResultJson!, JobJsonContext.Default.RescoreJobResult)!.Rescored.ShouldBe(Leads);
        await ShouldHaveScoredEachLeadOnceAsync(store, a, b, ids, hook, ct);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task An_instance_that_lost_its_lease_mid_range_stores_nothing_more_and_its_successor_finishes_the_range(string backend)
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var (a, b, ids, hook, rangeId) = await ArrangeAsync(store, time, ct);

        // Given instance a is paused past its lease after its first checkpoint, and instance b claims the range meanwhile
        var claimed = (await store.ClaimJobAsync(InstanceId(a), time.GetUtcNow(), Lease, rangeId, ct)).ShouldNotBeNull();
        JobRecord? taken = null;
        var progress = new SyncProgress(_ =>
        {
            if (taken is not null) return;
            time.Advance(Lease + TimeSpan.FromSeconds(1));
            taken = store.ClaimJobAsync(InstanceId(b), time.GetUtcNow(), Lease, rangeId, ct).GetAwaiter().GetResult();
        });

        // When a wakes up and commits its next chunk, the commit is refused (fenced by the lease)
        await Should.ThrowAsync<JobLeaseLostException>(() => RangeHandler(a).RunAsync(claimed, progress, ct));
        taken.ShouldNotBeNull().Attempts.ShouldBe(2);
        JsonSerializer.Deserialize(taken.Checkpoint!, JobJsonContext.Default.RescoreRangeCheckpoint)!.Scored.ShouldBe(Every);
        (await ScoredLeadsAsync(store, ids, ct)).ShouldBe(Every, "the refused chunk stored nothing");

        // Then b, resuming from the checkpoint it claimed, scores the rest once
        var result = await RangeHandler(b).RunAsync(taken, new SyncProgress(_ => { }), ct);
        JsonSerializer.Deserialize(result, JobJsonContext.Default.RescoreJobResult)!.Rescored.ShouldBe(Leads);
        await ShouldHaveScoredEachLeadOnceAsync(store, a, b, ids, hook, ct);
    }

    private static async Task<(IServiceProvider A, IServiceProvider B, List<string> Ids, string Hook, string RangeId)> ArrangeAsync(
        ILeadStore store, ManualTime time, CancellationToken ct)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LeadScore:Jobs:RescoreCheckpointEvery"] = Every.ToString(CultureInfo.InvariantCulture),
            ["LeadScore:Jobs:Lease"] = Lease.ToString("c", CultureInfo.InvariantCulture),
        };
        var a = AppServices.For(store, time: time, settings: settings);
        var b = AppServices.For(store, time: time, settings: settings);
        InstanceId(a).ShouldNotBe(InstanceId(b));
        await SmallModels.RegisterAsync(a.Get<ModelRegistry>());
        var rng = new Random(11);
        // Ids whose ordinal and linguistic orders differ (case, digits before letters): the resume point is ordinal.
        var ids = Enumerable.Range(0, Leads).Select(i => (i % 3) switch { 0 => $"a{i:D4}", 1 => $"B{i:D4}", _ => $"{i:D4}x" }).ToList();
        await store.UpsertLeadsAsync(ids.Select(id => new Lead
        {
            Id = id,
            CreatedAt = T0.AddDays(-30),
            Attributes = new Dictionary<string, string?> { ["visits"] = rng.Next(0, 20).ToString(CultureInfo.InvariantCulture), ["source"] = "web" },
        }).ToList(), ct);
        // Fires on every lead's first score (any score crosses 0 from none), so a lost or doubled delivery shows per lead.
        const string hook = "wh_checkpoint";
        await store.SaveWebhookAsync(new Webhook { Id = hook, Url = "http://127.0.0.1:9/hook", Rule = WebhookRule.ScoreCrossed, Threshold = 0, Secret = "s", CreatedAt = T0 }, ct);
        const string rangeId = "job_checkpoint-a1-r000";
        await a.Get<JobQueue>().EnqueueRescoreRangeAsync(rangeId, new RescoreRangeRequest { Parent = "job_checkpoint", Cause = RescoreCauses.NewModel }, ct);
        return (a, b, ids, hook, rangeId);
    }

    private static async Task ShouldHaveScoredEachLeadOnceAsync(ILeadStore store, IServiceProvider a, IServiceProvider b, List<string> ids, string hook, CancellationToken ct)
    {
        foreach (var id in ids) (await store.GetScoreHistoryAsync(id, ct)).Count.ShouldBe(1, id);
        var deliveries = await store.ListDeliveriesAsync(hook, 10 * Leads, ct);
        deliveries.GroupBy(d => d.LeadId).Where(g => g.Count() != 1).Select(g => g.Key).ShouldBeEmpty("one delivery per lead");
        deliveries.Select(d => d.LeadId).Order(StringComparer.Ordinal).ShouldBe(ids.Order(StringComparer.Ordinal));
        // The prediction log is written after each commit; both instances' pending rows are flushed (a crash would lose a's, never double them).
        await a.Get<PredictionLogger>().FlushAsync(ct);
        await b.Get<PredictionLogger>().FlushAsync(ct);
        var logged = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var p in store.StreamPredictionsAsync(T0.AddDays(-1), T0.AddDays(1), ct: ct))
            logged[p.LeadId!] = logged.GetValueOrDefault(p.LeadId!) + 1;
        logged.Count.ShouldBe(Leads);
        logged.Where(kv => kv.Value != 1).Select(kv => kv.Key).ShouldBeEmpty("one prediction-log row per lead");
    }

    private static async Task<int> ScoredLeadsAsync(ILeadStore store, List<string> ids, CancellationToken ct)
    {
        var n = 0;
        foreach (var id in ids) n += (await store.GetScoreHistoryAsync(id, ct)).Count;
        return n;
    }

    private static IJobHandler RangeHandler(IServiceProvider services) =>
        services.GetServices<IJobHandler>().Single(h => h.Kind == JobKinds.RescoreRange);

    private static string InstanceId(IServiceProvider services) => services.Get<LeadScoreInstance>().Id;

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to a thread-pool callback, too late to stop the next chunk).</summary>
    private sealed class SyncProgress(Action<(double Fraction, string Stage)> onReport) : IProgress<(double Fraction, string Stage)>
    {
        public void Report((double Fraction, string Stage) value) => onReport(value);
    }
}
