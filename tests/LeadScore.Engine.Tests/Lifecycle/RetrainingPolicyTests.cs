using LeadScore.Core;
using LeadScore.Engine.Lifecycle;

namespace LeadScore.Engine.Tests.Lifecycle;

public sealed class RetrainingPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero); // a Monday

    [Fact]
    public void Every_n_days_is_due_only_once_n_days_passed()
    {
        var p = RetrainingPolicy.Default with { Triggers = new() { DatasetDrift = false, PerformanceAlert = false } };
        p.DueReason(new RetrainingState(T0, 0), T0.AddDays(14.9)).ShouldBeNull();
        p.DueReason(new RetrainingState(T0, 0), T0.AddDays(15)).ShouldNotBeNull().ShouldStartWith("schedule: every 15 days");
        p.DueReason(new RetrainingState(null, 0), T0).ShouldBe("no model trained by the policy yet");
    }

    [Fact]
    public void A_cron_schedule_is_due_at_its_next_occurrence_after_the_last_training()
    {
        var p = RetrainingPolicy.Default.With("schedule.cron", "0 3 * * 1"); // Mondays 03:00 UTC
        p.Schedule.Cron.ShouldBe("0 3 * * 1");
        var state = new RetrainingState(T0, 0);
        p.DueReason(state, T0.AddDays(6.6)).ShouldBeNull(); // Sunday evening
        p.DueReason(state, new DateTimeOffset(2026, 3, 9, 3, 0, 0, TimeSpan.Zero)).ShouldNotBeNull().ShouldContain("cron '0 3 * * 1' was due at 2026-03-09 03:00Z");
    }

    [Fact]
    public void Each_trigger_makes_a_retraining_due_and_says_which()
    {
        var p = RetrainingPolicy.Default with { Schedule = new() { EveryDays = null }, Triggers = new() { MinNewOutcomes = 500, MinDaysBetween = 3 } };
        var later = T0.AddDays(4);
        p.DueReason(new RetrainingState(T0, 0), later).ShouldBeNull();
        p.DueReason(new RetrainingState(T0, 0, DriftAlertSince: "dataset drift in week 2026-03-02"), later).ShouldBe("trigger: dataset drift alert (dataset drift in week 2026-03-02)");
        p.DueReason(new RetrainingState(T0, 0, PerformanceAlertSince: "AUC 0.61 below 0.70"), later).ShouldBe("trigger: performance alert (AUC 0.61 below 0.70)");
        p.DueReason(new RetrainingState(T0, 499), later).ShouldBeNull();
        p.DueReason(new RetrainingState(T0, 500), later).ShouldBe("trigger: 500 outcomes matured since the last training (at least 500)");
        // Too soon after the last training: the alert waits.
        p.DueReason(new RetrainingState(T0, 900, DriftAlertSince: "x"), T0.AddDays(2)).ShouldBeNull();
        // Switched off trigger, switched off policy.
        (p with { Triggers = p.Triggers with { DatasetDrift = false } }).DueReason(new RetrainingState(T0, 0, DriftAlertSince: "x"), later).ShouldBeNull();
        (p with { Enabled = false }).DueReason(new RetrainingState(null, 900), later).ShouldBeNull();
    }

    [Fact]
    public void While_a_change_is_in_force_a_retraining_is_due_every_week_whatever_the_schedule()
    {
        var p = RetrainingPolicy.Default with { Schedule = new() { EveryDays = 30 } };
        p.Window.FollowChangeEveryDays.ShouldBe(7);
        p.DueReason(new RetrainingState(T0, 0, ChangeInForce: true), T0.AddDays(6.9)).ShouldBeNull();
        p.DueReason(new RetrainingState(T0, 0, ChangeInForce: true), T0.AddDays(7))
            .ShouldBe("change in force: every 7 days while the change a performance alert found is in force (7 days since the last training)");
        // No change in force: the schedule alone.
        p.DueReason(new RetrainingState(T0, 0), T0.AddDays(29)).ShouldBeNull();
        // An alert and the schedule say more, and come first.
        p.DueReason(new RetrainingState(T0, 0, PerformanceAlertSince: "AUC 0.61 below 0.70", ChangeInForce: true), T0.AddDays(8)).ShouldBe("trigger: performance alert (AUC 0.61 below 0.70)");
        p.DueReason(new RetrainingState(T0, 0, ChangeInForce: true), T0.AddDays(30)).ShouldNotBeNull().ShouldStartWith("schedule: every 30 days");
        // Off.
        (p with { Window = p.Window with { FollowChangeEveryDays = null } }).DueReason(new RetrainingState(T0, 0, ChangeInForce: true), T0.AddDays(8)).ShouldBeNull();
        // min_days_between still holds.
        (p with { Window = p.Window with { FollowChangeEveryDays = 1 } }).DueReason(new RetrainingState(T0, 0, ChangeInForce: true), T0.AddDays(2)).ShouldBeNull();
    }

    [Fact]
    public void Json_round_trips_and_set_changes_one_field()
    {
        var p = RetrainingPolicy.Default.With("challenger.mode", "split").With("challenger.split_percent", "20")
            .With("gate", "auc >= champion + 0.01; ece <= 0.05").With("window.months", "6").With("window.kind", "last_months");
        var back = RetrainingPolicy.FromJson(p.ToJson());
        back.Challenger.Mode.ShouldBe("split");
        back.Challenger.SplitPercent.ShouldBe(20);
        back.Gate.ShouldBe(["auc >= champion + 0.01", "ece <= 0.05"]);
        back.Window.Months.ShouldBe(6);
        back.ToJson().ShouldBe(p.ToJson());
        p.ToJson().ShouldContain("\"every_days\": 15");
    }

    [Theory]
    [InlineData("schedule.every_days", "0", "schedule.every_days must be more than 0")]
    [InlineData("schedule.cron", "every monday", "is not a cron expression")]
    [InlineData("challenger.mode", "canary", "'canary' is not one of none, shadow, split")]
    [InlineData("challenger.split_percent", "100", "must be above 0 and below 100")]
    [InlineData("window.kind", "decay", "decay needs half_life_days")]
    [InlineData("training.algorithm", "xgboost", "training.algorithm")]
    [InlineData("gate", "auc >= 2x", "not a number")]
    [InlineData("schedule.every_weeks", "2", "no field 'schedule.every_weeks'")]
    [InlineData("timing.every_days", "2", "no section 'timing'")]
    [InlineData("schedule.every_days", "abc", "must be a number")]
    [InlineData("schedule.every_days", "1e400", "at most 3650")]
    [InlineData("triggers.min_new_outcomes", "99999999999999", "triggers.min_new_outcomes = 99999999999999: must be a whole number from -2,147,483,648 to 2,147,483,647")]
    [InlineData("challenger.outcomes_to_decide", "99999999999", "challenger.outcomes_to_decide = 99999999999: must be a whole number from")]
    [InlineData("training.seed", "99999999999", "training.seed = 99999999999: must be a whole number from")]
    [InlineData("window.months", "100000", "window.months must be at least 1 and at most 1200")]
    [InlineData("window.half_life_days", "1e308", "window.half_life_days must be above 0 and at most 36500 days")]
    [InlineData("triggers.min_days_between", "1e9", "triggers.min_days_between must be 0 or more and at most 3650 days")]
    [InlineData("training.time_budget_seconds", "999999999", "training.time_budget_seconds must be 0 (defaults, no search) or more, and at most 86400")]
    [InlineData("training.horizon_days", "100000", "training.horizon_days must be above 0 days and at most 3650")]
    [InlineData("window.follow_change_by", "flag", "window.follow_change_by 'flag' is not one of indicator, new_only")]
    [InlineData("window.follow_change_every_days", "0", "window.follow_change_every_days must be above 0 days and at most 3650, or null")]
    public void Bad_values_are_refused_naming_the_field(string path, string value, string message)
    {
        var ex = Should.Throw<LeadScoreException>(() => RetrainingPolicy.Default.With(path, value));
        ex.Message.ShouldContain(message);
        ex.Message.ShouldContain(path.Split('.')[0]);
    }

    [Fact]
    public void Malformed_json_names_line_and_column()
    {
        var ex = Should.Throw<LeadScoreException>(() => RetrainingPolicy.FromJson("{\n  \"enabled\": true,\n  \"schedule\": {\"every_days\": \"x\"}\n}", "policy.json"));
        ex.Message.ShouldContain("policy.json: line 3");
        ex.Message.ShouldNotContain("System.");
        Should.Throw<LeadScoreException>(() => RetrainingPolicy.FromJson("{\"unknown\": 1}")).Message.ShouldContain("unknown");
    }

    [Fact]
    public void Windows_keep_recent_rows_or_decay_older_ones()
    {
        var f = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, "x")]);
        var asOf = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        for (var d = 0; d < 730; d++)
            for (var k = 0; k < 10; k++) f.Add($"L{d}-{k}", [FeatureValue.Of(d)], k % 2 == 0, asOf.AddDays(-d));
        TrainingWindow.Apply(f, new() { Kind = "all" }, asOf, 1).Count.ShouldBe(7300);
        var recent = TrainingWindow.Apply(f, new() { Kind = "last_months", Months = 6 }, asOf, 1);
        recent.Times.Min().ShouldBeGreaterThanOrEqualTo(asOf.AddMonths(-6));
        recent.Count.ShouldBe(f.Times.Count(t => t >= asOf.AddMonths(-6)));
        var decayed = TrainingWindow.Apply(f, new() { Kind = "decay", HalfLifeDays = 90 }, asOf, 1);
        // Expected rows: 10 * sum over d of 0.5^(d/90) = about 10 * 130.3.
        decayed.Count.ShouldBeInRange(1200, 1400);
        // Rows of the last 90 days against those older than 180: about 650 against 325.
        decayed.Times.Count(t => t >= asOf.AddDays(-90)).ShouldBeGreaterThan((int)(decayed.Times.Count(t => t < asOf.AddDays(-180)) * 1.5));
        TrainingWindow.Apply(f, new() { Kind = "decay", HalfLifeDays = 90 }, asOf, 1).Ids.ShouldBe(decayed.Ids);
        TrainingWindow.Describe(new() { Kind = "last_months", Months = 6 }).ShouldBe("the last 6 months of decision times");
    }

    [Fact]
    public void A_change_window_is_in_force_while_it_is_newer_than_the_windows_own_start()
    {
        var since = T0.AddDays(-20);
        var months = new RetrainingPolicy.WindowSettings { Kind = TrainingWindow.LastMonths, Months = 3 };
        TrainingWindow.ChangeInForce(months, since, T0).ShouldBe(since);
        TrainingWindow.ChangeInForce(months, since, since.AddMonths(3).AddDays(1)).ShouldBeNull("the window's own start passed the change");
        TrainingWindow.ChangeInForce(months with { FollowChange = false }, since, T0).ShouldBeNull();
        TrainingWindow.ChangeInForce(months, null, T0).ShouldBeNull();
        var all = new RetrainingPolicy.WindowSettings();
        TrainingWindow.ChangeInForce(all, since, since.AddDays(364)).ShouldBe(since);
        TrainingWindow.ChangeInForce(all, since, since.AddDays(365)).ShouldBeNull("a change narrows an all-history window for a year");
    }

    /// <summary>600 leads, one a day up to 30 days before the end, each seen at ages 0 and 7 (the second row 7 days later); every fifth converted.</summary>
    private static FeatureFrame TwoAgesFrame()
    {
        var f = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, "x")]) { GroupRowsById = true, Horizon = TimeSpan.FromDays(30), AsOf = T0 };
        for (var i = 0; i < 600; i++)
        {
            var t = T0.AddDays(-30 - 600 + i);
            f.Add($"L{i}", [FeatureValue.Of(i)], i % 5 == 0, t);
            f.Add($"L{i}", [FeatureValue.Of(i)], i % 5 == 0, t.AddDays(7));
        }
        return f;
    }

    [Fact]
    public void Since_a_change_keeps_every_row_of_the_leads_first_decided_after_it_and_refuses_too_few()
    {
        var f = TwoAgesFrame();
        var since = T0.AddDays(-30 - 600 + 100);
        var kept = TrainingWindow.SinceChange(f, since).ShouldNotBeNull();
        // L93..L99 have a row after the change (age 7) but were first decided before it: left out, both rows.
        kept.Ids.Distinct().Count().ShouldBe(500);
        kept.Count.ShouldBe(1000);
        kept.Ids.Select(id => int.Parse(id.AsSpan(1))).Min().ShouldBe(100);
        kept.GroupRowsById.ShouldBeTrue();

        // From L398: 202 first rows and 196 second rows matured (L594 on is 7 days short), 398 in all, below 400; from L397, 400.
        TrainingWindow.SinceChange(f, T0.AddDays(-30 - 600 + 398)).ShouldBeNull();
        TrainingWindow.SinceChange(f, T0.AddDays(-30 - 600 + 397)).ShouldNotBeNull().Ids.Distinct().Count().ShouldBe(203);
    }

    [Fact]
    public void A_change_indicator_marks_the_leads_first_decided_before_the_change_and_keeps_every_row()
    {
        var f = TwoAgesFrame();
        var since = T0.AddDays(-30 - 600 + 100);
        var marked = TrainingWindow.WithChangeIndicator(f, since).ShouldNotBeNull();
        marked.Count.ShouldBe(f.Count);
        marked.Ids.ShouldBe(f.Ids);
        marked.Labels.ShouldBe(f.Labels);
        marked.Times.ShouldBe(f.Times);
        (marked.GroupRowsById, marked.Horizon, marked.AsOf).ShouldBe((true, f.Horizon, f.AsOf));
        var c = marked.IndexOf(FeatureInfo.ChangeIndicatorName);
        c.ShouldBe(1);
        marked.Features[c].IsContext.ShouldBeTrue();
        marked.Features[0].IsContext.ShouldBeFalse();
        for (var r = 0; r < marked.Count; r++)
        {
            var lead = int.Parse(marked.Ids[r].AsSpan(1));
            marked[r, 0].Number.ShouldBe(lead);
            // By the lead's first decision: L93..L99's second rows fall after the change but are marked with their first.
            if (lead < 100) marked[r, c].Number.ShouldBe(1);
            else double.IsNaN(marked[r, c].Number).ShouldBeTrue();
        }
        // Marking twice is refused (the frame already has it).
        TrainingWindow.WithChangeIndicator(marked, since).ShouldBeNull();

        // From L397 on 400 matured rows follow the change, a third of the 1,200: enough, as for new_only (the hold-out is then the
        // latest fifth of those 400). From L398 on, 398: too few, as for new_only.
        var late = T0.AddDays(-30 - 600 + 397);
        TrainingWindow.SinceChange(f, late).ShouldNotBeNull();
        var few = TrainingWindow.WithChangeIndicator(f, late).ShouldNotBeNull();
        few.Count.ShouldBe(f.Count);
        Enumerable.Range(0, few.Count).Count(r => double.IsNaN(few[r, c].Number)).ShouldBe(f.Count - Enumerable.Range(0, f.Count).Count(r => int.Parse(f.Ids[r].AsSpan(1)) < 397));
        TrainingWindow.WithChangeIndicator(f, T0.AddDays(-30 - 600 + 398)).ShouldBeNull("too few for SinceChange as well");
    }

    [Fact]
    public void The_policy_json_shows_the_gate_rules_as_written()
    {
        var json = RetrainingPolicy.Default.ToJson();
        json.ShouldContain("\"auc >= champion + 0.005\"");
        json.ShouldContain("\"ece <= max(0.03, champion + 0.02)\"");
        RetrainingPolicy.FromJson(json).Gate.ShouldBe(PromotionGate.DefaultRules);
    }
}
