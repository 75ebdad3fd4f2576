using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Features;

public sealed class HorizonLabelTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset AsOf = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static Lead L(string id, DateTimeOffset created) => new() { Id = id, CreatedAt = created };
    private static Outcome O(Lead lead, OutcomeKind kind, double day) => new() { LeadId = lead.Id, Kind = kind, At = lead.CreatedAt.AddDays(day) };

    [Fact]
    public void Labels_follow_the_horizon_from_the_decision_time_and_undecided_rows_past_the_as_of_time_are_censored()
    {
        // Given leads decided at creation + 14 days with a 30-day horizon (the window ends on day 44), labels judged as of 1 June
        var early = L("H01", Start);                                  // converted on day 30: within the window
        var late = L("H02", Start);                                   // converted on day 60: after the window
        var lost = L("H03", Start);                                   // lost on day 20
        var open = L("H04", Start);                                   // never decided, window long over
        var reopenedWon = L("H05", Start);                            // lost 20, reopened 25, converted 40: the latest outcome in the window wins
        var reopenedOpen = L("H06", Start);                           // lost 20, reopened 25, converted 50: open on day 44
        var censored = L("H07", AsOf.AddDays(-20));                   // open, window ends 10 days after the as-of time
        var fastRecent = L("H08", AsOf.AddDays(-20));                 // converted 3 days before the as-of time: decided, not matured
        var beforeDecision = L("H09", Start);                         // converted on day 5, before the decision time
        var tie = L("H10", Start);                                    // converted and reopened at the same moment on day 30: reopened wins
        Lead[] leads = [early, late, lost, open, reopenedWon, reopenedOpen, censored, fastRecent, beforeDecision, tie];
        Outcome[] outcomes =
        [
            O(early, OutcomeKind.Converted, 30), O(late, OutcomeKind.Converted, 60), O(lost, OutcomeKind.Lost, 20),
            O(reopenedWon, OutcomeKind.Lost, 20), O(reopenedWon, OutcomeKind.Reopened, 25), O(reopenedWon, OutcomeKind.Converted, 40),
            O(reopenedOpen, OutcomeKind.Lost, 20), O(reopenedOpen, OutcomeKind.Reopened, 25), O(reopenedOpen, OutcomeKind.Converted, 50),
            O(fastRecent, OutcomeKind.Converted, 17), O(beforeDecision, OutcomeKind.Converted, 5),
            O(tie, OutcomeKind.Converted, 30), O(tie, OutcomeKind.Reopened, 30),
        ];
        var computer = new FeatureComputer(FeatureTestData.Defaults(FeatureTestData.SmallSet));
        var options = new TrainingSetOptions { DecisionDelay = TimeSpan.FromDays(14), HorizonDays = 30, KnownBefore = AsOf };

        // When the training set is built
        var set = new TrainingSetBuilder(computer, options).Build(leads, [], [], outcomes);

        // Then each rule holds
        var label = set.Frame.Ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => set.Frame.Labels[x.i]);
        label["H01"].ShouldBeTrue();
        label["H02"].ShouldBeFalse();
        label["H03"].ShouldBeFalse();
        label["H04"].ShouldBeFalse();
        label["H05"].ShouldBeTrue();
        label["H06"].ShouldBeFalse();
        label["H10"].ShouldBeFalse();
        label.ShouldNotContainKey("H07");
        set.Censored.ShouldBe(1);
        label["H08"].ShouldBeTrue();
        set.NotMatured.ShouldBe(1);
        set.Frame.IsMatured(set.Frame.Ids.IndexOf("H08")).ShouldBeFalse();
        set.Frame.IsMatured(set.Frame.Ids.IndexOf("H01")).ShouldBeTrue();
        label.ShouldNotContainKey("H09");
        set.Wins.ShouldBe(6);                 // H01, H02, H05, H06, H08, H09 ended converted (H10 ended reopened)
        set.WinsBeforeDecision.ShouldBe(1);
        set.HorizonDays.ShouldBe(30);
        set.AsOf.ShouldBe(AsOf);
        set.Frame.Horizon.ShouldBe(TimeSpan.FromDays(30));
        set.Describe().ShouldContain("converted within 30 days of the decision time");
    }

    [Fact]
    public void Without_an_explicit_as_of_time_labels_are_judged_at_the_data_end()
    {
        var a = L("A1", Start);
        var b = L("A2", Start.AddDays(100));
        var set = new TrainingSetBuilder(new FeatureComputer(FeatureTestData.Defaults(FeatureTestData.SmallSet)),
                new TrainingSetOptions { DecisionDelay = TimeSpan.Zero, HorizonDays = 7 })
            .Build([a, b], [], [], [O(a, OutcomeKind.Converted, 120)]);

        // The latest time in the data is A1's conversion (day 120): A2 (created day 100, window to day 107) has matured open
        set.AsOf.ShouldBe(Start.AddDays(120));
        set.Frame.Ids.ShouldBe(["A1", "A2"]);
        set.Frame.Labels.ShouldBe([false, false]);
    }

    [Fact]
    public void Default_decision_delay_drops_at_most_a_tenth_of_the_wins_and_is_creation_for_fast_funnels()
    {
        // 20 wins on days 1..20: at most 2 may come at or before the decision time
        FunnelDefaults.ChooseDelay([.. Enumerable.Range(1, 20).Select(d => TimeSpan.FromDays(d))]).ShouldBe(TimeSpan.FromDays(2));
        // Slow funnel: capped at the old 14 days
        FunnelDefaults.ChooseDelay([.. Enumerable.Range(1, 20).Select(d => TimeSpan.FromDays(20 * d))]).ShouldBe(TimeSpan.FromDays(14));
        // A quarter of the wins within hours of creation: decide at creation
        FunnelDefaults.ChooseDelay([.. Enumerable.Range(0, 20).Select(i => i < 5 ? TimeSpan.FromHours(3) : TimeSpan.FromDays(i))]).ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Default_horizon_is_the_90th_percentile_to_conversion_rounded_up_to_weeks_and_at_least_a_week()
    {
        FunnelDefaults.ChooseHorizonDays([.. Enumerable.Range(1, 100).Select(d => TimeSpan.FromDays(d))]).ShouldBe(91);
        FunnelDefaults.ChooseHorizonDays([TimeSpan.FromHours(5), TimeSpan.FromDays(1)]).ShouldBe(7);
        var choice = FunnelDefaults.Choose([(Start, Start.AddDays(20)), (Start, Start.AddDays(40))], TimeSpan.FromDays(14), null);
        choice.HorizonDays.ShouldBe(28);      // 6 and 26 days after the decision time: 26 rounds up to 4 weeks
        choice.HorizonWhy.ShouldContain("90th percentile");
        FunnelDefaults.Choose([], TimeSpan.FromDays(3), 30).HorizonWhy.ShouldBe("30 days (given)");
    }

    [Fact]
    public void Time_split_and_held_out_metrics_use_matured_rows_only()
    {
        // Given 800 matured rows with a real signal and, at the most recent times, 150 decided rows whose horizon is not over:
        // all converted (only the fast outcomes of recent leads are known), which would otherwise fill the time split's test set
        var rng = new Random(5);
        var frame = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, "")]) { GroupRowsById = true, Horizon = TimeSpan.FromDays(30) };
        for (var i = 0; i < 950; i++)
        {
            var x = rng.NextDouble() * 4 - 2;
            var unmatured = i >= 800;
            var y = unmatured || rng.NextDouble() < 1 / (1 + Math.Exp(-(2 * x - 1.5)));
            frame.Add($"L{i:D4}", [FeatureValue.Of(x)], y, Start.AddDays(i * 0.2));
        }
        frame.AsOf = Start.AddDays(800 * 0.2 + 30).AddMinutes(-1);

        // When a model is trained with a time split
        var r = new ModelingContext().Train(frame, new TrainingOptions
        {
            Trainer = new LogisticOptions(), TimeBudget = TimeSpan.Zero, MaxTrials = 0, ImportanceRows = 0,
        }, ct: TestContext.Current.CancellationToken);

        // Then neither training nor the held-out rows hold an unmatured row, and the card says how many were left out
        r.Test.Ids.ShouldAllBe(id => int.Parse(id.Substring(1)) < 800);
        (r.Model.Card.RowsTrain + r.Model.Card.RowsTest).ShouldBe(800);
        r.Model.Card.SplitKind.ShouldBe(SplitKind.Time);
        r.Model.Card.UnmaturedRows.ShouldBe(150);
        r.Model.Card.HorizonDays.ShouldBe(30);
        r.Metrics.Rows.ShouldBe(r.Model.Card.RowsTest);
        r.Metrics.BaseRate.ShouldBeLessThan(0.6);
        r.Model.Card.Notes.ShouldContain(n => n.Contains("150 rows whose decision time + 30 days"));
    }
}
