using LeadScore.Core;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Modeling;

public sealed class DataSplitterTests
{
    private static FeatureFrame Frame(int n, bool withTimes)
    {
        var f = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, "")]);
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // Times in scrambled order so the split has to sort.
        for (var i = 0; i < n; i++)
            f.Add(i.ToString(), [FeatureValue.Of(i)], i % 5 == 0, withTimes ? start.AddDays((i * 37) % n) : null);
        return f;
    }

    [Fact]
    public void Time_split_holds_out_the_most_recent_fifth()
    {
        var frame = Frame(100, withTimes: true);
        var s = DataSplitter.Split(frame, 0.2, 1);
        s.Kind.ShouldBe(SplitKind.Time);
        s.Test.Count.ShouldBe(20);
        s.Test.Times.Min().ShouldBeGreaterThan(s.Train.Times.Max());
        s.Description.ShouldContain("most recent");
    }

    [Fact]
    public void Without_times_the_split_is_stratified_and_says_so()
    {
        var s = DataSplitter.Split(Frame(1000, withTimes: false), 0.2, 1);
        s.Kind.ShouldBe(SplitKind.StratifiedRandom);
        s.Test.Count.ShouldBe(200);
        s.Test.Labels.Count(l => l).ShouldBe(40);
        s.Train.Ids.Intersect(s.Test.Ids).ShouldBeEmpty();
        s.Description.ShouldContain("stratified");
    }

    [Fact]
    public void Folds_keep_the_conversion_share_equal()
    {
        var labels = Enumerable.Range(0, 300).Select(i => i % 3 == 0).ToArray();
        var folds = DataSplitter.StratifiedFolds(labels, 3, 5);
        for (var k = 0; k < 3; k++)
        {
            var inFold = Enumerable.Range(0, 300).Where(i => folds[i] == k).ToArray();
            inFold.Length.ShouldBe(100);
            inFold.Count(i => labels[i]).ShouldBeInRange(33, 34);
        }
    }

    /// <summary>Leads L0..L(n-1), each with 1-4 rows at ages 14, 30, 60, 90 days after its creation (one label per lead).</summary>
    private static FeatureFrame AgedFrame(int leads, bool withTimes)
    {
        var f = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, "")]) { GroupRowsById = true };
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        int[] ages = [14, 30, 60, 90];
        for (var i = 0; i < leads; i++)
        {
            var created = start.AddDays((i * 37) % leads);
            for (var a = 0; a <= i % 4; a++)
                f.Add($"L{i}", [FeatureValue.Of(i)], i % 5 == 0, withTimes ? created.AddDays(ages[a]) : null);
        }
        return f;
    }

    [Fact]
    public void The_description_writes_counts_with_thousands_separators_as_the_rest_of_the_output_does()
    {
        var s = DataSplitter.Split(AgedFrame(2000, withTimes: true), 0.2, 1);
        s.Train.Count.ShouldBeGreaterThan(1000);
        s.Description.ShouldContain(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; {s.Train.Count:N0} rows of "));
        s.Description.ShouldContain(",");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_leads_rows_at_several_ages_never_straddle_the_split(bool withTimes)
    {
        var frame = AgedFrame(200, withTimes);
        var s = DataSplitter.Split(frame, 0.2, 1);

        s.Train.Ids.Intersect(s.Test.Ids).ShouldBeEmpty();
        if (!withTimes) (s.Train.Count + s.Test.Count).ShouldBe(frame.Count);
        ((double)s.Test.Count / frame.Count).ShouldBeInRange(0.15, 0.25);
        s.Test.Labels.ShouldContain(true);
        s.Description.ShouldContain("by lead");
        if (withTimes)
        {
            // The test leads are those first due last: every test lead's first row is later than every train lead's first row.
            var firstTest = s.Test.Ids.Distinct().Select(id => Enumerable.Range(0, s.Test.Count).Where(i => s.Test.Ids[i] == id).Min(i => s.Test.Times[i])).Min();
            var firstTrain = s.Train.Ids.Distinct().Select(id => Enumerable.Range(0, s.Train.Count).Where(i => s.Train.Ids[i] == id).Min(i => s.Train.Times[i])).Max();
            firstTest.ShouldBeGreaterThanOrEqualTo(firstTrain);
            // and no training row is dated in the test period (those rows are left out, and the description counts them)
            s.Train.Times.Max().ShouldBeLessThan(firstTest);
            var left = frame.Count - s.Train.Count - s.Test.Count;
            left.ShouldBeGreaterThan(0);
            s.Description.ShouldContain(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{left:N0} of their rows dated in the test period are left out"));
            s.Description.ShouldContain(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{s.Train.Count:N0} rows of {s.Train.Ids.Distinct().Count():N0} earlier leads train"));
        }
    }

    [Fact]
    public void Cross_validation_folds_keep_a_leads_rows_together_and_stay_stratified()
    {
        var frame = AgedFrame(300, withTimes: true);
        var fold = DataSplitter.StratifiedFolds(frame, 3, 7);

        for (var i = 0; i < frame.Count; i++)
            for (var j = i + 1; j < frame.Count && frame.Ids[j] == frame.Ids[i]; j++)
                fold[j].ShouldBe(fold[i], frame.Ids[i]);
        for (var k = 0; k < 3; k++)
        {
            var leadsInFold = Enumerable.Range(0, frame.Count).Where(i => fold[i] == k).Select(i => frame.Ids[i]).Distinct().ToList();
            leadsInFold.Count.ShouldBeInRange(95, 105);
            leadsInFold.Count(id => int.Parse(id[1..]) % 5 == 0).ShouldBeInRange(19, 21);
        }
    }

    [Fact]
    public void A_flat_table_with_repeated_ids_is_split_by_row_not_grouped()
    {
        // Given a frame not built by lead age (a flat table) whose ids repeat
        var frame = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, "")]);
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 100; i++) frame.Add($"id{i % 10}", [FeatureValue.Of(i)], i % 5 == 0, start.AddDays(i));

        var s = DataSplitter.Split(frame, 0.2, 1);

        // Then it is split by row, exactly as a frame with unique ids
        DataSplitter.Groups(frame).ShouldBeNull();
        s.Test.Count.ShouldBe(20);
        s.Description.ShouldNotContain("by lead");
        s.Test.Times.Min().ShouldBeGreaterThan(s.Train.Times.Max());
        DataSplitter.StratifiedFolds(frame, 3, 7).ShouldBe(DataSplitter.StratifiedFolds(frame.Labels, 3, 7));
        // while the same rows marked as one lead per id are grouped
        var grouped = frame.Subset(Enumerable.Range(0, 100).ToArray());
        grouped.GroupRowsById = true;
        DataSplitter.Groups(grouped).ShouldNotBeNull();
        DataSplitter.Split(grouped, 0.2, 1).Description.ShouldContain("by lead");
    }
}
