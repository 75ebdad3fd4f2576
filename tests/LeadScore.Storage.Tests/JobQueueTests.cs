using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>Jobs claimed with leases, leader leases and shared settings, on both backends.</summary>
public sealed class JobQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    public static TheoryData<string> Backends => TestStores.Backends;

    private static JobRecord Job(string id, int minutes = 0) =>
        new() { Id = id, Kind = "train", Status = JobStatus.Queued, RequestJson = "{}", CreatedAt = T0.AddMinutes(minutes) };

    [Theory, MemberData(nameof(Backends))]
    public async Task A_claimed_job_is_renewed_and_completed_by_its_owner(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.EnqueueJobAsync(Job("j2", 1));
        await store.EnqueueJobAsync(Job("j1"));

        var claimed = await store.ClaimJobAsync("a", T0.AddMinutes(5), Lease);

        claimed!.Id.ShouldBe("j1", "the oldest queued job is claimed first");
        claimed.Status.ShouldBe(JobStatus.Running);
        claimed.LeaseOwner.ShouldBe("a");
        claimed.LeaseExpiresAt.ShouldBe(T0.AddMinutes(6));
        claimed.StartedAt.ShouldBe(T0.AddMinutes(5));
        claimed.Attempts.ShouldBe(1);
        (await store.RenewJobLeaseAsync("j1", "a", T0.AddMinutes(5.5), Lease, 0.5, "halfway")).ShouldBeTrue();
        var renewed = (await store.GetJobAsync("j1"))!;
        renewed.Progress.ShouldBe(0.5);
        renewed.Message.ShouldBe("halfway");
        renewed.LeaseExpiresAt.ShouldBe(T0.AddMinutes(6.5));
        (await store.ListJobsAsync(JobStatus.Queued)).Select(j => j.Id).ShouldBe(["j2"]);

        var done = renewed with { Status = JobStatus.Succeeded, Progress = 1, ResultJson = "{\"version\":\"v1\"}", FinishedAt = T0.AddMinutes(6) };
        (await store.CompleteJobAsync(done, "a")).ShouldBeTrue();
        var j1 = (await store.GetJobAsync("j1"))!;
        j1.Status.ShouldBe(JobStatus.Succeeded);
        j1.ResultJson.ShouldBe("{\"version\":\"v1\"}");
        j1.FinishedAt.ShouldBe(T0.AddMinutes(6));
        j1.LeaseOwner.ShouldBeNull();
        j1.LeaseExpiresAt.ShouldBeNull();
        (await store.CompleteJobAsync(done, "a")).ShouldBeFalse("a finished job is no longer held");
        (await store.RenewJobLeaseAsync("j1", "a", T0.AddMinutes(7), Lease, 1, null)).ShouldBeFalse();
        (await store.GetJobAsync("nope")).ShouldBeNull();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_job_is_claimed_by_id_only_when_claimable(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.EnqueueJobAsync(Job("j1"));
        await store.EnqueueJobAsync(Job("j2", 1));

        (await store.ClaimJobAsync("a", T0, Lease, jobId: "j2"))!.Id.ShouldBe("j2");
        (await store.ClaimJobAsync("b", T0, Lease, jobId: "j2")).ShouldBeNull("j2 is held by a");
        (await store.ClaimJobAsync("b", T0, Lease, jobId: "missing")).ShouldBeNull();
        (await store.ClaimJobAsync("b", T0, Lease))!.Id.ShouldBe("j1");
        (await store.ClaimJobAsync("c", T0, Lease)).ShouldBeNull("nothing is left to claim");
        await Should.ThrowAsync<ArgumentException>(() => store.EnqueueJobAsync(Job("j3") with { Status = JobStatus.Running }));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Concurrent_claimers_never_get_the_same_job(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        for (var i = 0; i < 30; i++) await store.EnqueueJobAsync(Job($"j{i:00}", i));

        async Task<List<string>> Claimer(string owner)
        {
            var mine = new List<string>();
            while (await store.ClaimJobAsync(owner, T0.AddHours(1), Lease) is { } job) mine.Add(job.Id);
            return mine;
        }
        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => Claimer($"owner{i}"))));

        var all = claims.SelectMany(c => c).ToList();
        all.Count.ShouldBe(30);
        all.Distinct().Count().ShouldBe(30);
        (await store.ListJobsAsync(JobStatus.Running)).ShouldAllBe(j => j.Attempts == 1);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task An_expired_lease_is_claimed_by_another_owner_and_the_stale_owner_loses_the_job(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.EnqueueJobAsync(Job("j1"));
        var first = (await store.ClaimJobAsync("dead", T0, Lease))!;

        var duringLease = await store.ClaimJobAsync("b", T0.AddSeconds(30), Lease);
        var afterExpiry = await store.ClaimJobAsync("b", T0.AddMinutes(2), Lease);

        duringLease.ShouldBeNull();
        afterExpiry!.Id.ShouldBe("j1");
        afterExpiry.LeaseOwner.ShouldBe("b");
        afterExpiry.Attempts.ShouldBe(2);
        afterExpiry.StartedAt.ShouldBe(T0, "the first start is kept");
        (await store.RenewJobLeaseAsync("j1", "dead", T0.AddMinutes(2), Lease, 0.9, null)).ShouldBeFalse();
        (await store.CompleteJobAsync(first with { Status = JobStatus.Failed, Message = "late" }, "dead")).ShouldBeFalse();
        (await store.CompleteJobAsync(afterExpiry with { Status = JobStatus.Succeeded }, "b")).ShouldBeTrue();
        (await store.GetJobAsync("j1"))!.Status.ShouldBe(JobStatus.Succeeded);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_leader_lease_is_held_until_released_or_expired(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var ttl = TimeSpan.FromSeconds(30);

        (await store.TryAcquireLeaseAsync("leader", "a", T0, ttl)).ShouldBeTrue();
        (await store.TryAcquireLeaseAsync("leader", "b", T0.AddSeconds(10), ttl)).ShouldBeFalse();
        (await store.TryAcquireLeaseAsync("leader", "a", T0.AddSeconds(20), ttl)).ShouldBeTrue("the holder renews");
        (await store.GetLeaseAsync("leader")).ShouldBe(("a", T0.AddSeconds(50)));
        (await store.TryAcquireLeaseAsync("leader", "b", T0.AddSeconds(45), ttl)).ShouldBeFalse("the renewal moved the expiry");
        (await store.TryAcquireLeaseAsync("leader", "b", T0.AddSeconds(51), ttl)).ShouldBeTrue("a crashed holder's lease expires");
        (await store.TryAcquireLeaseAsync("leader", "a", T0.AddSeconds(52), ttl)).ShouldBeFalse();

        await store.ReleaseLeaseAsync("leader", "a");
        (await store.GetLeaseAsync("leader"))!.Value.Owner.ShouldBe("b", "only the holder can release");
        await store.ReleaseLeaseAsync("leader", "b");
        (await store.GetLeaseAsync("leader")).ShouldBeNull();
        (await store.TryAcquireLeaseAsync("leader", "a", T0.AddSeconds(53), ttl)).ShouldBeTrue();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Concurrent_candidates_get_one_leader(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;

        var won = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => store.TryAcquireLeaseAsync("leader", $"i{i}", T0, TimeSpan.FromMinutes(1)))));

        won.Count(w => w).ShouldBe(1);
        var holder = (await store.GetLeaseAsync("leader"))!.Value.Owner;
        won[int.Parse(holder[1..])].ShouldBeTrue();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Settings_versions_increase_by_one_per_save_even_when_saved_concurrently(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;

        (await store.GetSettingVersionAsync(SettingNames.FeatureDefinitions)).ShouldBe(0);
        (await store.GetSettingAsync(SettingNames.FeatureDefinitions)).ShouldBeNull();
        (await store.SaveSettingAsync(SettingNames.FeatureDefinitions, "{\"v\":1}", T0)).ShouldBe(1);
        (await store.SaveSettingAsync(SettingNames.FeatureDefinitions, "{\"v\":2}", T0.AddMinutes(1))).ShouldBe(2);
        (await store.GetSettingAsync(SettingNames.FeatureDefinitions)).ShouldBe(new StoredSetting(SettingNames.FeatureDefinitions, "{\"v\":2}", 2, T0.AddMinutes(1)));

        var versions = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => store.SaveSettingAsync(SettingNames.FeatureDefinitions, $"{{\"c\":{i}}}", T0.AddMinutes(2)))));

        versions.Order().ShouldBe(Enumerable.Range(3, 10).Select(v => (long)v));
        (await store.GetSettingVersionAsync(SettingNames.FeatureDefinitions)).ShouldBe(12);
        (await store.GetSettingVersionAsync(SettingNames.LeadSchema)).ShouldBe(0, "settings are versioned by name");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_job_chunk_commits_with_its_checkpoint_only_while_its_owner_holds_the_lease(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.UpsertLeadsAsync([new Core.Lead { Id = "L1", CreatedAt = T0 }, new Core.Lead { Id = "L2", CreatedAt = T0 }]);
        await store.SaveWebhookAsync(new Webhook { Id = "wh1", Url = "http://127.0.0.1:9/x", Rule = WebhookRule.BecameA, Secret = "s", CreatedAt = T0 });
        await store.EnqueueJobAsync(Job("j1") with { Kind = "rescore-range" });
        var claimed = (await store.ClaimJobAsync("a", T0, Lease))!;
        claimed.Checkpoint.ShouldBeNull();
        StoredScore Score(string lead, int score) => new()
        {
            LeadId = lead, Probability = score / 100.0, Score = score, Grade = "A", ModelVersion = "v1", ScoredAt = T0, Cause = Core.ScoreCause.NewModel,
        };

        // Given a chunk committed by the owner
        (await store.CommitJobChunkAsync(new JobChunk("j1", "a", "{\"after\":\"L1\"}", [Score("L1", 90)], [new NewDelivery("wh1", "lead.became_a", "L1", "{}")])))
            .ShouldBeTrue();
        (await store.GetJobAsync("j1"))!.Checkpoint.ShouldBe("{\"after\":\"L1\"}");
        // When the lease expires and another instance claims the job
        var taken = (await store.ClaimJobAsync("b", T0 + Lease + TimeSpan.FromSeconds(1), Lease))!;
        taken.Attempts.ShouldBe(2);
        taken.Checkpoint.ShouldBe("{\"after\":\"L1\"}", "the new owner resumes where the old one got");
        // Then the old owner's next chunk is refused whole: no checkpoint, no score, no delivery
        (await store.CommitJobChunkAsync(new JobChunk("j1", "a", "{\"after\":\"L2\"}", [Score("L2", 80)], [new NewDelivery("wh1", "lead.became_a", "L2", "{}")])))
            .ShouldBeFalse();
        (await store.GetJobAsync("j1"))!.Checkpoint.ShouldBe("{\"after\":\"L1\"}");
        (await store.GetScoreHistoryAsync("L2")).ShouldBeEmpty();
        (await store.ListDeliveriesAsync("wh1", 10)).Select(d => d.LeadId).ShouldBe(["L1"]);
        // And the new owner's is stored
        (await store.CommitJobChunkAsync(new JobChunk("j1", "b", "{\"after\":\"L2\"}", [Score("L2", 70)], []))).ShouldBeTrue();
        (await store.GetScoreHistoryAsync("L2")).Select(s => s.Score).ShouldBe([70]);
        (await store.GetLatestScoreAsync("L1"))!.Score.ShouldBe(90);
        var finished = (await store.GetJobAsync("j1"))! with { Status = JobStatus.Succeeded, FinishedAt = T0 + Lease * 2 };
        (await store.CompleteJobAsync(finished, "b")).ShouldBeTrue();
        (await store.CommitJobChunkAsync(new JobChunk("j1", "b", "{}", [Score("L2", 10)], []))).ShouldBeFalse("a finished job takes no more work");
        (await store.GetJobAsync("j1"))!.Checkpoint.ShouldBe("{\"after\":\"L2\"}");
    }
}
