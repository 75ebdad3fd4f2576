using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Features;

/// <summary>
/// Several lead ages by default: when they are chosen, the pipeline weight each row carries, and grade bands cut on that
/// weight so that the open pipeline on a given day falls into the bands at the stated shares.
/// </summary>
public sealed class LeadAgeTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan D14 = TimeSpan.FromDays(14);
    private static TimeSpan Days(double d) => TimeSpan.FromDays(d);

    [Fact]
    public void A_fast_funnel_keeps_one_age_and_a_slow_one_gets_the_ladder_up_to_where_95_percent_have_closed()
    {
        // Leads open at day 14 that all close by day 25: one age is enough
        FunnelDefaults.ChooseAges(D14, [.. Enumerable.Range(0, 100).Select(i => Days(15 + i % 10))]).ShouldBeNull();
        // Too few leads to say
        FunnelDefaults.ChooseAges(D14, [.. Enumerable.Range(0, 19).Select(_ => Days(200))]).ShouldBeNull();

        // Open 15 to 114 days (uniform): the 95th percentile is day 109, so from creation: 0, 7, 14, 21, 28, 45, 60, 90
        // (not 30: within 5 days of 28)
        var slow = FunnelDefaults.ChooseAges(D14, [.. Enumerable.Range(0, 100).Select(i => Days(15 + i))])!;
        slow.Select(a => a.TotalDays).ShouldBe([0, 7, 14, 21, 28, 45, 60, 90]);
        // A 3-day delay: creation, 7, 17 (the delay + 14), 30, ...; 3 and 10 are within 5 days of an earlier age
        FunnelDefaults.ChooseAges(Days(3), [.. Enumerable.Range(0, 100).Select(i => Days(15 + i))])!.Select(a => a.TotalDays).ShouldBe([0, 7, 17, 30, 45, 60, 90]);

        // A delay the user gave is the earliest age
        FunnelDefaults.ChooseAges(D14, [.. Enumerable.Range(0, 100).Select(i => Days(15 + i))], fromCreation: false)!
            .Select(a => a.TotalDays).ShouldBe([14, 21, 28, 45, 60, 90]);

        // From creation (delay 0), long-lived leads: the ladder reaches 365
        var year = FunnelDefaults.ChooseAges(TimeSpan.Zero, [.. Enumerable.Range(0, 100).Select(_ => Days(400))])!;
        year.Select(a => a.TotalDays).ShouldBe([0, 7, 14, 30, 45, 60, 90, 120, 180, 270, 365]);
    }

    [Fact]
    public void Each_row_weighs_the_days_of_open_life_it_stands_for()
    {
        var asOf = Start.AddDays(200);
        var closed = new Lead { Id = "W1", CreatedAt = Start };             // lost on day 25: rows at 14 (7 days) and 21 (4 days)
        var open = new Lead { Id = "W2", CreatedAt = Start };               // never closed: 14 (7), 21 (9), 30 (the last step again: 9)
        var recent = new Lead { Id = "W3", CreatedAt = asOf.AddDays(-36) }; // open: 14 (7), 21 (9), 30 (cut by the as-of time on day 36: 6)
        var reopened = new Lead { Id = "W4", CreatedAt = Start };           // lost 18, reopened 22, converted 35: rows 14 (4 days) and 30 (5 days); none at 21 (closed)
        Outcome[] outcomes =
        [
            new() { LeadId = "W1", Kind = OutcomeKind.Lost, At = Start.AddDays(25) },
            new() { LeadId = "W4", Kind = OutcomeKind.Lost, At = Start.AddDays(18) },
            new() { LeadId = "W4", Kind = OutcomeKind.Reopened, At = Start.AddDays(22) },
            new() { LeadId = "W4", Kind = OutcomeKind.Converted, At = Start.AddDays(35) },
        ];
        var options = new TrainingSetOptions { DecisionAges = [D14, Days(21), Days(30)], HorizonDays = 5, KnownBefore = asOf };
        var set = new TrainingSetBuilder(new FeatureComputer(FeatureTestData.Defaults(FeatureTestData.SmallSet)), options)
            .Build([closed, open, recent, reopened], [], [], outcomes);

        var f = set.Frame;
        f.Weights.Count.ShouldBe(f.Count);
        var w = Enumerable.Range(0, f.Count).Select(i => (f.Ids[i], (f.Times[i] - (f.Ids[i] == "W3" ? recent.CreatedAt : Start)).TotalDays, f.Weights[i])).ToList();
        w.ShouldBe(
        [
            ("W1", 14, 7), ("W1", 21, 4),
            ("W2", 14, 7), ("W2", 21, 9), ("W2", 30, 9),
            ("W3", 14, 7), ("W3", 21, 9), ("W3", 30, 6),
            ("W4", 14, 4), ("W4", 30, 5),
        ]);

        // One age: no weights (every row weighs the same, as before)
        var single = new TrainingSetBuilder(new FeatureComputer(FeatureTestData.Defaults(FeatureTestData.SmallSet)),
            new TrainingSetOptions { DecisionDelay = D14, HorizonDays = 10, KnownBefore = asOf }).Build([closed, open], [], [], outcomes);
        single.Frame.Weights.ShouldBeEmpty();
        single.Frame.WeightOf(0).ShouldBe(1);
    }

    [Fact]
    public void Weighted_bands_cut_at_shares_of_the_weight_and_unit_weights_cut_as_before()
    {
        var p = Enumerable.Range(0, 100).Select(i => (100 - i) / 100.0).ToArray(); // 1.00, 0.99, ... 0.01
        CalibrationFitter.ChooseGrades(p, weights: [.. p.Select(_ => 1.0)]).ShouldBe(CalibrationFitter.ChooseGrades(p));
        CalibrationFitter.ChooseGrades(p).ShouldBe(new GradeBands(0.91, 0.71, 0.41));

        // The low half weighs 3 each: total 200. 10% of the weight (20) is reached at the 20th row (0.81); 30% (60) after the
        // 50 light rows and 4 heavy ones (62, at 0.47); 60% (120) after 24 heavy ones (122, at 0.27)
        var w = p.Select(x => x > 0.5 ? 1.0 : 3.0).ToArray();
        CalibrationFitter.ChooseGrades(p, weights: w).ShouldBe(new GradeBands(0.81, 0.47, 0.27));
    }

    [Fact]
    public void Weights_survive_the_stored_format_and_sets_stored_before_them_still_read()
    {
        var f = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, "x")]);
        f.Add("A", [FeatureValue.Of(1.5)], true, Start);
        f.Add("A", [FeatureValue.Of(2.5)], false, Start.AddDays(7));
        f.Weights.AddRange([7, 3.25]);
        var copy = FeatureFrameSerializer.Deserialize(FeatureFrameSerializer.Serialize(f));
        copy.Weights.ShouldBe([7, 3.25]);
        copy.Subset([1]).Weights.ShouldBe([3.25]);
        copy.Without(new HashSet<string>()).Weights.ShouldBe([7, 3.25]);

        // Format 1 (no weights): magic, version, one numeric feature, no strings, one row with a label and no time
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new BinaryWriter(gz, System.Text.Encoding.UTF8))
        {
            w.Write(0x4C534646); w.Write(1);
            w.Write(1); w.Write("x"); w.Write((byte)FeatureKind.Numeric); w.Write("x"); w.Write(false); w.Write(false);
            w.Write(0);
            w.Write(1); w.Write(true); w.Write(false);
            w.Write("B"); w.Write(true); w.Write(4.0);
        }
        var old = FeatureFrameSerializer.Deserialize(ms.ToArray());
        old.Ids.ShouldBe(["B"]);
        old.Rows[0][0].Number.ShouldBe(4.0);
        old.Weights.ShouldBeEmpty();
    }
}
