using LeadScore.Application.Ingestion;
using System.Text.Json;
using LeadScore.Application.Jobs;
using LeadScore.Application.Lifecycle;
using LeadScore.Core;
using LeadScore.Hosting;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace LeadScore.Application.Tests.Lifecycle;

/// <summary>When the policy queues a retraining: the schedule and each trigger; and a policy job on two instances runs once.</summary>
public sealed class RetrainingSchedulerTests
{
    private static Task<string?> TriggerOfAsync(JobRecord? job) =>
        Task.FromResult(job is null ? null : JsonSerializer.Deserialize(job.RequestJson, JobJsonContext.Default.TrainJobRequest)!.Trigger);

    /// <summary>Finishes a queued training job without training (the triggers are under test here, not the training).</summary>
    private static async Task FinishAsync(ILeadStore store, JobRecord job, DateTimeOffset now)
    {
        var claimed = (await store.ClaimJobAsync("test", now, TimeSpan.FromMinutes(1), job.Id))!;
        (await store.CompleteJobAsync(claimed with { Status = JobStatus.Succeeded, Progress = 1, FinishedAt = now }, "test")).ShouldBeTrue();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task The_schedule_and_every_trigger_queue_one_retraining_each_and_say_why(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 1500, days: 200);
        await w.AtDayAsync(100);
        var learning = w.Services.Get<ContinuousLearning>();
        var policies = w.Services.Get<RetrainingPolicyService>();
        await policies.SetAsync([("schedule.every_days", "30"), ("triggers.min_new_outcomes", "30"), ("triggers.min_days_between", "2")]);

        // The first time, the policy has trained nothing yet.
        var first = await learning.ScheduleAsync();
        (await TriggerOfAsync(first)).ShouldBe("no model trained by the policy yet");
        (await learning.ScheduleAsync()).ShouldBeNull("a training is already queued");
        await FinishAsync(w.Store, first!, w.Time.GetUtcNow());
        (await learning.ScheduleAsync()).ShouldBeNull("nothing is due right after a training");

        // Enough new outcomes (after the minimum gap).
        await w.AtDayAsync(112);
        var outcomes = await learning.ScheduleAsync();
        (await TriggerOfAsync(outcomes)).ShouldNotBeNull().ShouldMatch(@"^trigger: \d+ outcomes matured since the last training \(at least 30\)$");
        await FinishAsync(w.Store, outcomes!, w.Time.GetUtcNow());

        // A dataset drift alert of the champion, then a performance alert.
        (await RegisterAnyModelAsync(w)).ShouldBe("v1");
        await policies.SetAsync([("triggers.min_new_outcomes", "null")]);
        foreach (var (kind, message) in new[] { ("drift_detected", "dataset drift: 4 of 30 features drifted"), ("performance_dropped", "realized AUC 0.61 below the card's 0.80") })
        {
            w.Time.Advance(TimeSpan.FromDays(3));
            (await learning.ScheduleAsync()).ShouldBeNull($"nothing due before the {kind} alert");
            await AddChampionAlertAsync(w, kind, message);
            var job = await learning.ScheduleAsync();
            (await TriggerOfAsync(job)).ShouldBe(kind == "drift_detected" ? $"trigger: dataset drift alert ({message})" : $"trigger: performance alert ({message})");
            await FinishAsync(w.Store, job!, w.Time.GetUtcNow());
            w.Time.Advance(TimeSpan.FromDays(3));
            (await learning.ScheduleAsync()).ShouldBeNull("an alert retrains once");
        }

        // The performance alert found a change (the end of its window): while it is in force, a training is due every week.
        (await w.Services.Get<LifecycleStateStore>().GetAsync()).Change.ShouldNotBeNull();
        w.Time.Advance(TimeSpan.FromDays(4));
        var weekly = await learning.ScheduleAsync();
        (await TriggerOfAsync(weekly)).ShouldBe("change in force: every 7 days while the change a performance alert found is in force (7 days since the last training)");
        await FinishAsync(w.Store, weekly!, w.Time.GetUtcNow());

        // The schedule: 30 days after the last training (the weekly rule off).
        await policies.SetAsync([("window.follow_change_every_days", "null")]);
        w.Time.Advance(TimeSpan.FromDays(27));
        (await learning.ScheduleAsync()).ShouldBeNull("27 days since the last training");
        w.Time.Advance(TimeSpan.FromDays(3));
        (await TriggerOfAsync(await learning.ScheduleAsync())).ShouldNotBeNull().ShouldStartWith("schedule: every 30 days");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_champion_alert_waits_while_a_challenger_is_under_test_and_retrains_once_the_test_ends(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 1500, days: 200);
        await w.AtDayAsync(100);
        var learning = w.Services.Get<ContinuousLearning>();
        var states = w.Services.Get<LifecycleStateStore>();
        await w.Services.Get<RetrainingPolicyService>().SetAsync([("schedule.every_days", "null"), ("challenger.fast_track_on_alert", "false")]);
        var first = await learning.ScheduleAsync();
        await FinishAsync(w.Store, first!, w.Time.GetUtcNow());
        (await RegisterAnyModelAsync(w)).ShouldBe("v1");
        await states.UpdateAsync(s => s with
        {
            Challenge = new ChallengeState { Version = "v2", Champion = "v1", Mode = "shadow", StartedAt = w.Time.GetUtcNow(), DecisionDelayDays = 14, HorizonDays = 30 },
        });

        w.Time.Advance(TimeSpan.FromDays(4));
        await AddChampionAlertAsync(w, "performance_dropped", "realized AUC 0.61 below the card's 0.80");
        (await learning.ScheduleAsync()).ShouldBeNull("the challenger under test is the answer to the champion's alert");
        w.Time.Advance(TimeSpan.FromDays(4));
        (await learning.ScheduleAsync()).ShouldBeNull("still under test");

        // With the fast track on, the performance alert retrains even while the challenger is tested (its candidate can only
        // be fast-tracked then, never replace the challenger); a drift alert still waits.
        await w.Services.Get<RetrainingPolicyService>().SetAsync([("challenger.fast_track_on_alert", "true"), ("triggers.dataset_drift", "true")]);
        await AddChampionAlertAsync(w, "drift_detected", "3 of 40 features drifted");
        var fast = await learning.ScheduleAsync();
        (await TriggerOfAsync(fast)).ShouldBe("trigger: performance alert (realized AUC 0.61 below the card's 0.80)");
        await FinishAsync(w.Store, fast!, w.Time.GetUtcNow());
        w.Time.Advance(TimeSpan.FromDays(4));
        (await learning.ScheduleAsync()).ShouldBeNull("the drift alert waits for the test; the performance alert was used");

        // The test ends (the challenger lost): the drift alert, still not used, retrains.
        await states.UpdateAsync(s => s with { Challenge = null });
        (await TriggerOfAsync(await learning.ScheduleAsync())).ShouldBe("trigger: dataset drift alert (3 of 40 features drifted)");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_due_retraining_waits_while_an_import_is_running_and_a_stale_running_record_does_not_block_it(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 300, days: 120);
        await w.AtDayAsync(100);
        var learning = w.Services.Get<ContinuousLearning>();
        var running = new ImportRecord
        {
            Id = "imp-running", Kind = "activities", File = "big.csv", FileHash = "00", StartedAt = w.Time.GetUtcNow().AddMinutes(-5),
            RowsRead = 20_000, Status = ImportStatus.Running,
        };
        await w.Store.RecordImportAsync(running);
        (await learning.ScheduleAsync()).ShouldBeNull("an import is committing batches");
        (await learning.ScheduleAsync()).ShouldBeNull("still running");

        await w.Store.RecordImportAsync(running with { Status = ImportStatus.Completed });
        (await TriggerOfAsync(await learning.ScheduleAsync())).ShouldBe("no model trained by the policy yet");

        // A record its process left Running long ago (killed) does not hold the schedule back.
        await using var w2 = await LoopWorld.CreateAsync(backend, leads: 300, days: 120);
        await w2.AtDayAsync(100);
        await w2.Store.RecordImportAsync(running with { Id = "imp-dead", StartedAt = w2.Time.GetUtcNow() - ImportService.StaleAfter - TimeSpan.FromMinutes(1) });
        (await TriggerOfAsync(await w2.Services.Get<ContinuousLearning>().ScheduleAsync())).ShouldBe("no model trained by the policy yet");
    }

    /// <summary>An alert of champion v1 over the last week, raised now.</summary>
    private static Task AddChampionAlertAsync(LoopWorld w, string kind, string message) => w.Store.TryAddAlertAsync(new MonitoringAlert
    {
        Kind = kind, ModelVersion = "v1", Slot = PredictionSlots.Champion, WindowStart = w.Time.GetUtcNow().AddDays(-7), WindowEnd = w.Time.GetUtcNow(),
        RaisedAt = w.Time.GetUtcNow(), Message = message, DetailsJson = "{}",
    });

    private static async Task<string> RegisterAnyModelAsync(LoopWorld w)
    {
        var run = await w.TrainPoorByHandAsync();
        return run.Registration.Version;
    }

    [Fact]
    public async Task A_policy_retraining_on_two_instances_is_queued_once_and_runs_once()
    {
        // Given two instances on one PostgreSQL database
        await using var w = await LoopWorld.CreateAsync(TestStores.Postgres, leads: 1500, days: 200);
        await w.AtDayAsync(150);
        await using var second = await LeadStore.OpenAsync(TestPaths.NewTempDir("leadscore-ws"), w.ConnectionString, time: w.Time);
        var other = AppServices.For(second, time: w.Time);
        await w.Services.Get<RetrainingPolicyService>().SetAsync([("training.horizon_days", "30")]);
        var instances = new[] { w.Services, other };
        var leaders = await Task.WhenAll(instances.Select(s => s.Get<LeaderElection>().TryAcquireAsync(CancellationToken.None)));
        leaders.Count(l => l).ShouldBe(1);

        // When both tick at once, then both workers look for work at once
        var ticks = await Task.WhenAll(instances.Select(s => ActivatorUtilities.CreateInstance<RetrainingScheduler>(s).TickAsync(CancellationToken.None)));
        ticks.SelectMany(t => t).Count(t => t.StartsWith("queued retraining")).ShouldBe(1);
        var ran = await Task.WhenAll(instances.Select(s => s.Get<JobRunner>().RunNextAsync(CancellationToken.None)));

        // Then the job was claimed by one of them, ran once, and produced one model
        ran.Count(r => r).ShouldBe(1);
        var job = (await w.Store.ListJobsAsync(JobStatus.Succeeded)).Single(j => j.Kind == JobKinds.Train);
        job.Attempts.ShouldBe(1);
        (await w.Store.ListModelsAsync()).Select(m => m.Version).ShouldBe(["v1"]);
        (await w.HistoryAsync()).Count(e => e.Kind == LifecycleEventKinds.Training).ShouldBe(1);
        // What is left is the new champion's re-scoring, not a second training.
        (await w.Store.ListJobsAsync(JobStatus.Queued)).ShouldAllBe(j => j.Kind == JobKinds.Rescore);
    }
}
