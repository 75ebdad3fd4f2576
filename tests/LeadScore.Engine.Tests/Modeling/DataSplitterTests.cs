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
}
