using LeadScore.Core;

namespace LeadScore.Engine.Modeling;

public enum SplitKind
{
    /// <summary>A separate test file was given.</summary>
    TestFile,
    /// <summary>The most recent rows (by decision time) are the test set.</summary>
    Time,
    /// <summary>Random, keeping the share of conversions equal in both parts.</summary>
    StratifiedRandom,
}

/// <summary>Training and held-out rows, with how they were split, stated in words.</summary>
public sealed record DataSplit(FeatureFrame Train, FeatureFrame Test, SplitKind Kind, string Description);

/// <summary>Splits labelled frames for training, held-out evaluation and cross-validation. Seeded.</summary>
public static class DataSplitter
{
    /// <summary>
    /// Time split (most recent <paramref name="testFraction"/> of rows) when the frame has times,
    /// stratified random otherwise.
    /// </summary>
    public static DataSplit Split(FeatureFrame frame, double testFraction, int seed)
    {
        if (frame.Labels.Count != frame.Count) throw new LeadScoreException("every training row needs a label");
        if (frame.Times.Count == frame.Count && frame.Count > 0)
        {
            var order = Enumerable.Range(0, frame.Count).OrderBy(i => frame.Times[i]).ThenBy(i => i).ToArray();
            var nTest = (int)Math.Round(frame.Count * testFraction);
            var train = order[..^nTest];
            var test = order[^nTest..];
            var cut = frame.Times[test[0]];
            return new DataSplit(frame.Subset(train), frame.Subset(test), SplitKind.Time,
                $"time split: the most recent {testFraction * 100:0}% of rows (from {cut:yyyy-MM-dd}) are the test set, {train.Length} earlier rows train");
        }
        var (trainIdx, testIdx) = StratifiedHoldOut(frame.Labels, testFraction, seed);
        return new DataSplit(frame.Subset(trainIdx), frame.Subset(testIdx), SplitKind.StratifiedRandom,
            $"stratified random split (no time column): {testFraction * 100:0}% of rows held out for testing, seed {seed}");
    }

    public static DataSplit Given(FeatureFrame train, FeatureFrame test, string testFile) =>
        new(train, test, SplitKind.TestFile, $"given test set {testFile}: trained on all {train.Count} rows of the training file, tested on {test.Count} rows");

    public static (int[] Train, int[] Test) StratifiedHoldOut(IReadOnlyList<bool> labels, double testFraction, int seed)
    {
        var rng = new Random(seed);
        var train = new List<int>(); var test = new List<int>();
        foreach (var cls in new[] { true, false })
        {
            var idx = Enumerable.Range(0, labels.Count).Where(i => labels[i] == cls).ToArray();
            rng.Shuffle(idx);
            var nTest = (int)Math.Round(idx.Length * testFraction);
            test.AddRange(idx[..nTest]); train.AddRange(idx[nTest..]);
        }
        train.Sort(); test.Sort();
        return (train.ToArray(), test.ToArray());
    }

    /// <summary>Fold number (0..k-1) of every row, each fold with the same share of conversions.</summary>
    public static int[] StratifiedFolds(IReadOnlyList<bool> labels, int folds, int seed)
    {
        var rng = new Random(seed);
        var fold = new int[labels.Count];
        var next = 0; // carried across classes so the folds also come out the same size
        foreach (var cls in new[] { true, false })
        {
            var idx = Enumerable.Range(0, labels.Count).Where(i => labels[i] == cls).ToArray();
            rng.Shuffle(idx);
            foreach (var i in idx) fold[i] = next++ % folds;
        }
        return fold;
    }
}
