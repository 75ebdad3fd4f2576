using System.Text.Json;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Lifecycle;

/// <summary>The loop on a generated funnel fed day by day: the gate, the shadow and split challengers, promotion and rollback, on both backends.</summary>
public sealed class ContinuousLearningTests
{
    private static async Task AddModelHookAsync(ILeadStore store, WebhookRule rule) => await store.SaveWebhookAsync(new Webhook
    {
        Id = "wh_" + rule, Url = "https://example.org/hook", Rule = rule, Secret = "s3cret", CreatedAt = LoopWorld.Start,
    });

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_candidate_that_fails_the_gate_stays_a_candidate_and_one_that_passes_is_promoted_with_mode_none(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 2500, days: 200);
        await w.AtDayAsync(150);
        (await w.TrainByHandAsync(new LightGbmOptions())).Registration.Version.ShouldBe("v1");

        // When the gate asks for far more than any model can show
        await w.PolicyAsync(("gate", "auc >= champion + 0.5; ece <= 0.5"), ("challenger.mode", "none"));
        var job = await w.ScheduleAndRunAsync();

        // Then the job succeeded, the candidate is registered but the champion stays, and the evaluation says which rule failed
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1");
        var gateEvent = (await w.HistoryAsync()).Single(e => e.Kind == LifecycleEventKinds.Gate);
        gateEvent.Version.ShouldBe("v2");
        gateEvent.Reason.ShouldStartWith("failed: AUC");
        var evaluation = (await w.Services.Get<LifecycleHistory>().GetEvaluationAsync(gateEvent.EvaluationId!))!;
        evaluation.Passed.ShouldBeFalse();
        evaluation.Champion.ShouldBe("v1");
        var rules = JsonDocument.Parse(evaluation.RulesJson).RootElement;
        rules.GetArrayLength().ShouldBe(2);
        rules[0].GetProperty("passed").GetBoolean().ShouldBeFalse();
        rules[1].GetProperty("passed").GetBoolean().ShouldBeTrue();
        var figures = JsonDocument.Parse(evaluation.FiguresJson).RootElement;
        figures.GetProperty("candidate").GetProperty("auc").GetDouble().ShouldBeGreaterThan(0.6);
        figures.GetProperty("champion").GetProperty("auc").GetDouble().ShouldBeGreaterThan(0.6);
        figures.GetProperty("hold_out").GetProperty("rows").GetInt32().ShouldBe(evaluation.Rows);
        // The card says why and on what it was trained.
        var (_, card) = await w.Services.Get<ModelRegistry>().ShowAsync("v2");
        card.TrainedBecause.ShouldBe("no model trained by the policy yet");
        card.TrainingWindow.ShouldBe("all history");

        // When the gate is one it can pass, three days later (the minimum gap) with the schedule due
        await AddModelHookAsync(w.Store, WebhookRule.ModelPromoted);
        await w.PolicyAsync(("gate", "auc >= champion - 0.5"), ("schedule.every_days", "3"), ("window.months", "4"), ("window.kind", "last_months"));
        await w.AtDayAsync(153);
        job = await w.ScheduleAndRunAsync();

        // Then the new model is champion at once (mode none), recorded, and model_promoted fires
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v3");
        var events = await w.HistoryAsync();
        events.Last(e => e.Kind == LifecycleEventKinds.Gate).Reason.ShouldStartWith("passed");
        var promotion = events.Last(e => e.Kind == LifecycleEventKinds.Promotion);
        (promotion.Version, promotion.Previous).ShouldBe(("v3", "v1"));
        promotion.Reason.ShouldContain("challenger mode none");
        (await w.Services.Get<ModelRegistry>().ShowAsync("v3")).Card.TrainingWindow.ShouldBe("the last 4 months of decision times");
        var delivery = (await w.Store.ListDeliveriesAsync("wh_ModelPromoted", 10)).ShouldHaveSingleItem();
        delivery.EventType.ShouldBe("model.promoted");
        var payload = JsonDocument.Parse(delivery.Payload).RootElement;
        payload.GetProperty("version").GetString().ShouldBe("v3");
        payload.GetProperty("previous").GetString().ShouldBe("v1");
        // Nothing more is due right after a training.
        (await w.ScheduleAndRunAsync()).ShouldBeNull();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_better_shadow_challenger_is_promoted_automatically_once_outcomes_mature(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend);
        await w.AtDayAsync(150);
        await w.TrainPoorByHandAsync();
        await w.PolicyAsync(("gate", "auc >= champion + 0.005"), ("challenger.mode", "shadow"), ("challenger.outcomes_to_decide", "300"));
        await AddModelHookAsync(w.Store, WebhookRule.ModelPromoted);

        var job = await w.ScheduleAndRunAsync();
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        (await w.Store.GetAliasAsync(ServingModels.ChallengerAlias)).ShouldBe("v2");
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1");
        w.Services.Get<ServingModels>().Current.Describe().ShouldBe("champion=v1 challenger=v2 (shadow)");
        var started = (await w.HistoryAsync()).Single(e => e.Kind == LifecycleEventKinds.ChallengeStarted);
        started.Reason.ShouldContain("shadow");

        // Nothing has matured yet: no look.
        var learning = w.Services.Get<ContinuousLearning>();
        (await learning.ReviewAsync()).ShouldBeEmpty();

        // As outcomes mature, the leader looks until the test decides.
        for (var day = 190; day <= 260 && await w.Store.GetAliasAsync(ModelAliases.Champion) == "v1"; day += 5)
        {
            await w.AtDayAsync(day);
            await learning.ReviewAsync();
        }

        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v2", await w.DescribeAsync());
        (await w.Store.GetAliasAsync(ServingModels.ChallengerAlias)).ShouldBeNull();
        var events = await w.HistoryAsync();
        var ended = events.Single(e => e.Kind == LifecycleEventKinds.ChallengeEnded);
        ended.Reason.ShouldStartWith("won: AUC challenger");
        var figures = JsonDocument.Parse(ended.FiguresJson!).RootElement;
        figures.GetProperty("challenger_auc").GetDouble().ShouldBeGreaterThan(figures.GetProperty("champion_auc").GetDouble());
        figures.GetProperty("p").GetDouble().ShouldBeLessThan(0.05);
        var evaluations = await w.Services.Get<LifecycleHistory>().EvaluationsOfAsync("v2");
        evaluations.Select(e => e.Kind).ShouldBe(["gate", .. Enumerable.Repeat("challenge", evaluations.Count - 1)]);
        evaluations[^1].Passed.ShouldBeTrue();
        var promotion = events.Last(e => e.Kind == LifecycleEventKinds.Promotion);
        promotion.Reason.ShouldStartWith("challenger won on live leads");
        (await w.Store.ListDeliveriesAsync("wh_ModelPromoted", 10)).Count.ShouldBe(1);
        // The promoted model is now watched against the one it replaced.
        (await w.Services.Get<LifecycleStateStore>().GetAsync()).Watch!.Previous.ShouldBe("v1");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task After_a_performance_alert_the_window_follows_the_change_and_a_clearly_better_candidate_is_fast_tracked(string backend)
    {
        await using var w = await ConceptWorldAsync(backend, followBy: "new_only", scheduleEveryDays: "null");
        var states = w.Services.Get<LifecycleStateStore>();
        await states.UpdateAsync(s => s with { LastTrainingAt = w.Time.GetUtcNow() });

        // Day 190: the champion's leads scored in the week from day 114 (the first created on the drift day, at age 14) did
        // worse than it promised. The change is taken from that window's end: the leads decided from day 121 on.
        await w.AtDayAsync(190);
        var changeAt = LoopWorld.Start.AddDays(121);
        await AddAlertAsync(w, "v1", LoopWorld.Start.AddDays(114), "realized AUC 0.58 is below the held-out 0.80 (z = 5.1)");
        var job = await w.ScheduleAndRunAsync();
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);

        // The change is recorded, and the candidate learned from the leads decided since it only.
        var state = await states.GetAsync();
        state.Change.ShouldNotBeNull().Since.ShouldBe(changeAt);
        state.Change.ModelVersion.ShouldBe("v1");
        var registry = w.Services.Get<ModelRegistry>();
        var (_, card) = await registry.ShowAsync("v2");
        card.TrainingWindow.ShouldBe("the last 6 months of decision times, only leads first decided since 2025-05-02 (the change a performance alert found)", await w.DescribeAsync());
        card.DataFrom.ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(changeAt);
        card.TrainedBecause.ShouldStartWith("trigger: performance alert (realized AUC 0.58");

        // It passed the gate, but on 10 weeks of the new process it is not better beyond chance on its hold-out: no fast
        // track, it is tested on live leads.
        var events = await w.HistoryAsync();
        events.First(e => e.Kind == LifecycleEventKinds.Gate && e.Version == "v2").Reason.ShouldStartWith("passed", Case.Sensitive, await w.DescribeAsync());
        events.Single(e => e.Kind == LifecycleEventKinds.Gate && e.Reason.StartsWith("no fast track")).Reason.ShouldEndWith("tested on live leads instead");
        (await w.Store.GetAliasAsync(ServingModels.ChallengerAlias)).ShouldBe("v2");

        // Day 230, the champion still alerted: the alert retrains while v2 is tested, on the leads since the same change.
        await w.AtDayAsync(230);
        await AddAlertAsync(w, "v1", LoopWorld.Start.AddDays(190), "realized AUC 0.57 is below the held-out 0.80 (z = 5.6)");
        job = await w.ScheduleAndRunAsync();
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        (await registry.ShowAsync("v3")).Card.TrainingWindow.ShouldEndWith("only leads first decided since 2025-05-02 (the change a performance alert found)");

        // With 16 weeks of the new process it beats the failing champion on the same hold-out beyond chance: promoted at
        // once, the challenge of v2 ended, and v3 watched against v1.
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v3", await w.DescribeAsync());
        (await w.Store.GetAliasAsync(ServingModels.ChallengerAlias)).ShouldBeNull();
        events = await w.HistoryAsync();
        events.Single(e => e.Kind == LifecycleEventKinds.ChallengeEnded).Reason.ShouldBe("ended: the newer candidate v3 was fast-tracked after the champion's performance alert");
        var promotion = events.Single(e => e.Kind == LifecycleEventKinds.Promotion && e.Version == "v3");
        promotion.Reason.ShouldStartWith("fast track: the champion v1 raised a performance alert");
        var figures = JsonDocument.Parse(promotion.FiguresJson!).RootElement;
        figures.GetProperty("p").GetDouble().ShouldBeLessThanOrEqualTo(0.05);
        figures.GetProperty("candidate_log_loss").GetDouble().ShouldBeLessThan(figures.GetProperty("champion_log_loss").GetDouble());
        figures.GetProperty("leads").GetInt32().ShouldBeLessThan(figures.GetProperty("rows").GetInt32(), "a lead's rows at several ages are one lead's evidence");
        figures.GetProperty("candidate_auc").GetDouble().ShouldBeGreaterThan(figures.GetProperty("champion_auc").GetDouble());
        state = await states.GetAsync();
        state.Watch!.Previous.ShouldBe("v1");
        state.Challenge.ShouldBeNull();
        // The change stays where the first alert found it: a later alert says the champion kept failing, not that the process changed again.
        state.Change!.Since.ShouldBe(changeAt);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task With_follow_change_by_indicator_a_tree_model_keeps_the_older_leads_marked_by_a_change_indicator_that_is_never_a_reason(string backend)
    {
        await using var w = await ConceptWorldAsync(backend, followBy: "indicator", scheduleEveryDays: "null");
        var states = w.Services.Get<LifecycleStateStore>();
        await states.UpdateAsync(s => s with { LastTrainingAt = w.Time.GetUtcNow() });
        var registry = w.Services.Get<ModelRegistry>();

        // Day 190: ten weeks of new leads, far fewer than the window's older ones. The older leads stay in, marked; the hold-out is
        // the latest fifth of the new leads' rows, so it is new leads only however few they are.
        const string marked = "the last 6 months of decision times, the leads first decided before 2025-05-02 (the change a performance alert found) marked by a change indicator that is missing on the leads since and on every lead served";
        await w.AtDayAsync(190);
        await AddAlertAsync(w, "v1", LoopWorld.Start.AddDays(114), "realized AUC 0.58 is below the held-out 0.80 (z = 5.1)");
        (await w.ScheduleAndRunAsync())!.Status.ShouldBe(JobStatus.Succeeded);
        var v2 = (await registry.ShowAsync("v2")).Card;
        v2.TrainingWindow.ShouldBe(marked, await w.DescribeAsync());
        v2.TestFrom.ShouldNotBeNull().ShouldBeGreaterThan(LoopWorld.Start.AddDays(121));
        v2.RowsTest.ShouldBeLessThan((v2.RowsTest + v2.RowsTrain) / 10);

        // Day 230: forty days more of them.
        await w.AtDayAsync(230);
        await AddAlertAsync(w, "v1", LoopWorld.Start.AddDays(190), "realized AUC 0.57 is below the held-out 0.80 (z = 5.6)");
        var job = await w.ScheduleAndRunAsync();
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        var card = (await registry.ShowAsync("v3")).Card;
        card.TrainingWindow.ShouldBe(marked);
        // The window starts six months back, before the change; its hold-out is the latest fifth of the new leads' rows, as
        // new_only would hold out, not a fifth of the whole window (that would leave few new leads to learn from).
        card.DataFrom.ShouldNotBeNull().ShouldBeLessThan(LoopWorld.Start.AddDays(121));
        card.TestFrom.ShouldNotBeNull().ShouldBeGreaterThan(LoopWorld.Start.AddDays(121));
        card.RowsTest.ShouldBeGreaterThan(v2.RowsTest, "40 more days of new leads than v2 had");
        card.RowsTest.ShouldBeLessThan((card.RowsTest + card.RowsTrain) / 6);
        var served = Engine.Scoring.ServableModel.Load("v3", (await w.Store.GetModelArtifactAsync("v3"))!);
        served.Engine.Encoder.Features.Single(f => f.Name == FeatureInfo.ChangeIndicatorName).IsContext.ShouldBeTrue();

        // It is promoted at once, as with new_only, the challenge of v2 ended.
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v3", await w.DescribeAsync());
        var events = await w.HistoryAsync();
        var promotion = events.Single(e => e.Kind == LifecycleEventKinds.Promotion && e.Version == "v3");
        promotion.Reason.ShouldStartWith("fast track: the champion v1 raised a performance alert");
        var figures = JsonDocument.Parse(promotion.FiguresJson!).RootElement;
        figures.GetProperty("candidate_auc").GetDouble().ShouldBeGreaterThan(figures.GetProperty("champion_auc").GetDouble());

        // Served, every lead reads the indicator as missing: no reason ever names it, and drift monitoring does not compare it.
        var ids = new List<string>();
        await foreach (var l in w.Store.StreamLeadsAsync()) { ids.Add(l.Id); if (ids.Count == 300) break; }
        var changes = await w.Services.Get<IScoringService>().RescoreAsync(ids, ScoreCause.Manual);
        changes.Count.ShouldBe(300);
        changes.ShouldAllBe(c => c.Current.ModelVersion == "v3");
        changes.ShouldContain(c => c.Current.ReasonsJson != "[]");
        changes.ShouldAllBe(c => !c.Current.ReasonsJson.Contains(FeatureInfo.ChangeIndicatorName));
        var reference = Engine.Scoring.ModelReference.Read((await w.Store.GetModelArtifactAsync("v3"))!).ShouldNotBeNull();
        reference.Features.Single(f => f.Name == FeatureInfo.ChangeIndicatorName).Rows.ShouldBe(0);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task While_the_change_an_alert_found_is_in_force_a_scheduled_candidate_better_on_the_hold_out_is_fast_tracked(string backend)
    {
        await using var w = await ConceptWorldAsync(backend, followBy: "new_only", scheduleEveryDays: "30");
        // An alert of v1 found the change on day 190 (the leads decided from day 121 on); the last training was on day 200.
        var states = w.Services.Get<LifecycleStateStore>();
        var changeAt = LoopWorld.Start.AddDays(121);
        var found = new ChangeState { Since = changeAt, FoundAt = LoopWorld.Start.AddDays(190), ModelVersion = "v1", Alert = "realized AUC 0.58 is below the held-out 0.80 (z = 5.1)" };
        await states.UpdateAsync(s => s with { LastTrainingAt = LoopWorld.Start.AddDays(200), Change = found });

        // Day 230: no alert, the schedule is due. The change is still in force, so the candidate learns from the leads since
        // it and, ranking the latest of them better than the champion beyond chance, is promoted at once instead of being
        // tested on live leads for another horizon.
        await w.AtDayAsync(230);
        var job = await w.ScheduleAndRunAsync();
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        var card = (await w.Services.Get<ModelRegistry>().ShowAsync("v2")).Card;
        card.TrainedBecause.ShouldStartWith("schedule: every 30 days");
        card.TrainingWindow.ShouldEndWith("only leads first decided since 2025-05-02 (the change a performance alert found)");
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v2", await w.DescribeAsync());
        (await w.Store.GetAliasAsync(ServingModels.ChallengerAlias)).ShouldBeNull();
        var promotion = (await w.HistoryAsync()).Single(e => e.Kind == LifecycleEventKinds.Promotion && e.Version == "v2");
        promotion.Reason.ShouldStartWith("fast track: the change a performance alert found (the leads first decided since 2025-05-02) is in force, and on the same ");
        promotion.Reason.ShouldContain("the candidate's probabilities are better than the champion v1: log loss ");
        promotion.Reason.ShouldContain("(paired, clustered by lead), one-sided p ");
        var figures = JsonDocument.Parse(promotion.FiguresJson!).RootElement;
        figures.GetProperty("p").GetDouble().ShouldBeLessThanOrEqualTo(0.05);
        var state = await states.GetAsync();
        state.Watch!.Previous.ShouldBe("v1");
        state.Change.ShouldBe(found);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task An_alert_of_a_model_trained_after_the_change_was_found_is_not_a_new_change(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 2500, days: 200);
        var states = w.Services.Get<LifecycleStateStore>();
        // A change found on day 40 (by v0's alert), out of a 3-month window by day 150; v1 is trained after it, on day 150.
        var found = new ChangeState { Since = LoopWorld.Start.AddDays(30), FoundAt = LoopWorld.Start.AddDays(40), ModelVersion = "v0", Alert = "realized AUC 0.6 is below the held-out 0.8" };
        await w.AtDayAsync(150);
        (await w.TrainByHandAsync(new LightGbmOptions())).Registration.Version.ShouldBe("v1");
        await w.PolicyAsync(("window.months", "3"), ("window.kind", "last_months"), ("schedule.every_days", "null"), ("challenger.mode", "shadow"));
        await states.UpdateAsync(s => s with { LastTrainingAt = w.Time.GetUtcNow(), Change = found });

        // v1 then does worse than it promised.
        await w.AtDayAsync(170);
        await AddAlertAsync(w, "v1", LoopWorld.Start.AddDays(155), "realized AUC 0.70 is below the held-out 0.80 (z = 3.1)");
        var job = await w.ScheduleAndRunAsync();
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);

        // It learned from the changed process already: its alert retrains on the window alone and records no new change.
        (await states.GetAsync()).Change.ShouldBe(found);
        var card = (await w.Services.Get<ModelRegistry>().ShowAsync("v2")).Card;
        card.TrainingWindow.ShouldBe("the last 3 months of decision times");
        card.TrainedBecause.ShouldStartWith("trigger: performance alert (realized AUC 0.70");
    }

    /// <summary>
    /// The concept-change world: 40 leads a day, from day 100 on the pricing signal turned round (the generator's concept
    /// drift, strength 3); v1 trained by hand on day 95 (the old process) and the champion; a 6-month window, shadow challenger.
    /// </summary>
    private static async Task<LoopWorld> ConceptWorldAsync(string backend, string followBy, string scheduleEveryDays)
    {
        var w = await LoopWorld.CreateAsync(backend, leads: 10_000, days: 250, conceptDriftAtDay: 100);
        try
        {
            await w.AtDayAsync(95);
            (await w.TrainByHandAsync(new LightGbmOptions())).Registration.Version.ShouldBe("v1");
            await w.PolicyAsync(("window.months", "6"), ("window.kind", "last_months"), ("schedule.every_days", scheduleEveryDays), ("challenger.mode", "shadow"),
                ("window.follow_change_by", followBy));
            return w;
        }
        catch
        {
            await w.DisposeAsync();
            throw;
        }
    }

    private static Task AddAlertAsync(LoopWorld w, string version, DateTimeOffset windowStart, string message) => w.Store.TryAddAlertAsync(new MonitoringAlert
    {
        Kind = ContinuousLearning.AlertKinds.PerformanceDropped, ModelVersion = version, Slot = PredictionSlots.Champion, WindowStart = windowStart,
        WindowEnd = windowStart.AddDays(7), RaisedAt = w.Time.GetUtcNow(), Message = message, DetailsJson = "{}",
    });

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_newer_candidate_no_better_than_the_challenger_under_test_leaves_it_in_place(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 2500, days: 200);
        await w.AtDayAsync(150);
        await w.TrainPoorByHandAsync();
        await w.PolicyAsync(("gate", "auc >= champion + 0.005"), ("challenger.mode", "shadow"), ("schedule.every_days", "0.01"), ("triggers.min_days_between", "0"));
        (await w.ScheduleAndRunAsync())!.Status.ShouldBe(JobStatus.Succeeded);
        (await w.Store.GetAliasAsync(ServingModels.ChallengerAlias)).ShouldBe("v2");

        // The schedule retrains an hour later on the same data with the same seed: the same model, so no better than v2.
        w.Time.Advance(TimeSpan.FromHours(1));
        var job = await w.ScheduleAndRunAsync();
        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        (await w.Store.GetAliasAsync(ServingModels.ChallengerAlias)).ShouldBe("v2");
        (await w.Services.Get<LifecycleStateStore>().GetAsync()).Challenge!.Version.ShouldBe("v2");
        var events = await w.HistoryAsync();
        var kept = events.Single(e => e.Kind == LifecycleEventKinds.ChallengeKept);
        (kept.Version, kept.Previous).ShouldBe(("v2", "v1"));
        kept.Reason.ShouldContain("kept over the newer candidate v3");
        kept.Reason.ShouldContain("(replacing it needs + 0.005)");
        events.ShouldNotContain(e => e.Kind == LifecycleEventKinds.ChallengeEnded);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_split_challenger_serves_its_share_and_wins_on_the_realized_auc_of_its_leads(string backend)
    {
        // Two independent arms need about four times the leads of a paired shadow comparison for the same power.
        await using var w = await LoopWorld.CreateAsync(backend, leads: 12_000, seed: 11);
        await w.AtDayAsync(150);
        await w.TrainPoorByHandAsync();
        await w.PolicyAsync(("gate", "auc >= champion + 0.005"), ("challenger.mode", "split"), ("challenger.split_percent", "50"), ("challenger.outcomes_to_decide", "1500"));
        (await w.ScheduleAndRunAsync())!.Status.ShouldBe(JobStatus.Succeeded);
        w.Services.Get<ServingModels>().Current.Describe().ShouldBe("champion=v1 challenger=v2 (split 50%)");

        // Stored re-scores follow the split: a lead in the share is stored with the challenger's score.
        var scoring = w.Services.Get<IScoringService>();
        var ids = new List<string>();
        await foreach (var l in w.Store.StreamLeadsAsync()) { ids.Add(l.Id); if (ids.Count == 200) break; }
        var changes = await scoring.RescoreAsync(ids, ScoreCause.Manual);
        foreach (var c in changes)
            c.Current.ModelVersion.ShouldBe(Engine.Lifecycle.ChallengerSplit.ServedByChallenger(c.Current.LeadId, 50) ? "v2" : "v1");
        changes.Count(c => c.Current.ModelVersion == "v2").ShouldBeInRange(60, 140);
        // The challenger's scores carry their reasons too (none is listed when every reason is under half a point: a score near 0).
        changes.ShouldAllBe(c => c.Current.ModelVersion == "v1" || c.Current.ReasonsJson != "[]" || c.Current.Score <= 3);
        changes.ShouldContain(c => c.Current.ModelVersion == "v2" && c.Current.ReasonsJson != "[]");

        var learning = w.Services.Get<ContinuousLearning>();
        for (var day = 190; day <= 290 && await w.Store.GetAliasAsync(ModelAliases.Champion) == "v1"; day += 5)
        {
            await w.AtDayAsync(day);
            await learning.ReviewAsync();
        }
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v2", await w.DescribeAsync());
        var ended = (await w.HistoryAsync()).Single(e => e.Kind == LifecycleEventKinds.ChallengeEnded);
        ended.Reason.ShouldStartWith("won: realized AUC of each arm on the leads it served");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_promoted_model_worse_than_the_one_it_replaced_is_rolled_back_automatically(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend);
        await w.AtDayAsync(150);
        await w.TrainByHandAsync(new LightGbmOptions());
        var poor = await w.TrainPoorByHandAsync();
        poor.Registration.Promoted.ShouldBeFalse();
        await w.PolicyAsync(("rollback.outcomes_to_decide", "300"));
        await AddModelHookAsync(w.Store, WebhookRule.ModelRolledBack);

        // A person promotes the poor model.
        await w.Services.Get<ModelLifecycle>().PromoteAsync("v2");
        (await w.Services.Get<LifecycleStateStore>().GetAsync()).Watch!.Version.ShouldBe("v2");

        var learning = w.Services.Get<ContinuousLearning>();
        for (var day = 190; day <= 260 && await w.Store.GetAliasAsync(ModelAliases.Champion) == "v2"; day += 5)
        {
            await w.AtDayAsync(day);
            await learning.ReviewAsync();
        }

        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1", await w.DescribeAsync());
        var rollback = (await w.HistoryAsync()).Single(e => e.Kind == LifecycleEventKinds.Rollback);
        (rollback.Version, rollback.Previous).ShouldBe(("v1", "v2"));
        rollback.Reason.ShouldStartWith("automatic rollback: realized AUC");
        var figures = JsonDocument.Parse(rollback.FiguresJson!).RootElement;
        figures.GetProperty("previous_auc").GetDouble().ShouldBeGreaterThan(figures.GetProperty("auc").GetDouble());
        var delivery = (await w.Store.ListDeliveriesAsync("wh_ModelRolledBack", 10)).ShouldHaveSingleItem();
        delivery.EventType.ShouldBe("model.rolled_back");
        (await w.Services.Get<LifecycleStateStore>().GetAsync()).Watch.ShouldBeNull();
    }
}
