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
    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    /// <summary>
    /// Time split (most recent <paramref name="testFraction"/> of rows) when the frame has times,
    /// stratified random otherwise.
    /// </summary>
    public static DataSplit Split(FeatureFrame frame, double testFraction, int seed)
    {
        if (frame.Labels.Count != frame.Count) throw new LeadScoreException("every training row needs a label");
        var groups = Groups(frame);
        if (groups is not null) return SplitGroups(frame, groups, testFraction, seed);
        if (frame.Times.Count == frame.Count && frame.Count > 0)
        {
            var order = Enumerable.Range(0, frame.Count).OrderBy(i => frame.Times[i]).ThenBy(i => i).ToArray();
            var nTest = (int)Math.Round(frame.Count * testFraction);
            var train = order[..^nTest];
            var test = order[^nTest..];
            var cut = frame.Times[test[0]];
            return new DataSplit(frame.Subset(train), frame.Subset(test), SplitKind.Time,
                string.Create(Inv, $"time split: the most recent {testFraction * 100:0}% of rows (from {cut:yyyy-MM-dd}) are the test set, {train.Length:N0} earlier rows train"));
        }
        var (trainIdx, testIdx) = StratifiedHoldOut(frame.Labels, testFraction, seed);
        return new DataSplit(frame.Subset(trainIdx), frame.Subset(testIdx), SplitKind.StratifiedRandom,
            $"stratified random split (no time column): {testFraction * 100:0}% of rows held out for testing, seed {seed}");
    }

    /// <summary>
    /// Group number of every row when the frame groups rows by id (<see cref="FeatureFrame.GroupRowsById"/>: one lead's
    /// rows at several decision ages) and some ids repeat, else null. Such rows share a label and most of their
    /// features, so they must never sit on both sides of a split. Flat tables are never grouped.
    /// </summary>
    public static int[]? Groups(FeatureFrame frame)
    {
        if (!frame.GroupRowsById) return null;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var groups = new int[frame.Count];
        for (var i = 0; i < frame.Count; i++)
        {
            if (!index.TryGetValue(frame.Ids[i], out var g)) index[frame.Ids[i]] = g = index.Count;
            groups[i] = g;
        }
        return index.Count == frame.Count ? null : groups;
    }

    /// <summary>
    /// Each row's lead time for a split by lead: the earliest decision time among the rows of its lead (only the matured
    /// rows, <see cref="FeatureFrame.IsMatured"/>, when <paramref name="maturedOnly"/>; a lead without any keeps each row's
    /// own time), or the row's own time when the frame does not group rows by lead. The time split by lead orders leads by
    /// it (<see cref="Split"/>), and a comparison of two versions picks its held-out leads by it, so both follow one rule.
    /// </summary>
    public static DateTimeOffset[] LeadFirstTimes(FeatureFrame frame, bool maturedOnly)
    {
        var firstAt = new DateTimeOffset[frame.Count];
        if (!frame.GroupRowsById)
        {
            for (var i = 0; i < frame.Count; i++) firstAt[i] = frame.Times[i];
            return firstAt;
        }
        var first = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        for (var i = 0; i < frame.Count; i++)
            if ((!maturedOnly || frame.IsMatured(i)) && (!first.TryGetValue(frame.Ids[i], out var f) || frame.Times[i] < f)) first[frame.Ids[i]] = frame.Times[i];
        for (var i = 0; i < frame.Count; i++) firstAt[i] = first.TryGetValue(frame.Ids[i], out var f) ? f : frame.Times[i];
        return firstAt;
    }

    /// <summary>The split of <see cref="Split"/> with each group (lead) wholly on one side.</summary>
    private static DataSplit SplitGroups(FeatureFrame frame, int[] groups, double testFraction, int seed)
    {
        var nGroups = groups.Max() + 1;
        var rowsOf = new List<int>[nGroups];
        for (var g = 0; g < nGroups; g++) rowsOf[g] = [];
        for (var i = 0; i < frame.Count; i++) rowsOf[groups[i]].Add(i);
        var nTest = (int)Math.Round(frame.Count * testFraction);
        var test = new List<int>();
        var dropped = new HashSet<int>();
        string description;
        if (frame.Times.Count == frame.Count)
        {
            // The leads whose first decision time is most recent form the test set, until it holds the test share of rows.
            var leadFirst = LeadFirstTimes(frame, maturedOnly: false);
            var first = rowsOf.Select(r => leadFirst[r[0]]).ToArray();
            var order = Enumerable.Range(0, nGroups).OrderBy(g => first[g]).ThenBy(g => g).ToArray();
            var k = order.Length;
            do test.AddRange(rowsOf[order[--k]]);
            while (k > 1 && test.Count < nTest);
            // Earlier leads' later rows that fall in the test period are not trained on: training sees only the past.
            var cut = first[order[k]];
            for (var j = 0; j < k; j++)
                foreach (var i in rowsOf[order[j]])
                    if (frame.Times[i] >= cut) dropped.Add(i);
            var trainRows = frame.Count - test.Count - dropped.Count;
            description = string.Create(Inv, $"time split by lead: the leads first due most recently (from {cut:yyyy-MM-dd}), {test.Count:N0} rows of {order.Length - k:N0} leads, ") +
                          string.Create(Inv, $"are the test set; {trainRows:N0} rows of {k:N0} earlier leads train (a lead's rows at several ages stay on one side; ") +
                          string.Create(Inv, $"{dropped.Count:N0} of their rows dated in the test period are left out)");
        }
        else
        {
            var rng = new Random(seed);
            foreach (var cls in new[] { true, false })
            {
                var ofClass = Enumerable.Range(0, nGroups).Where(g => frame.Labels[rowsOf[g][0]] == cls).ToArray();
                rng.Shuffle(ofClass);
                var target = (int)Math.Round(ofClass.Sum(g => rowsOf[g].Count) * testFraction);
                var taken = 0;
                foreach (var g in ofClass)
                {
                    if (taken >= target) break;
                    test.AddRange(rowsOf[g]);
                    taken += rowsOf[g].Count;
                }
            }
            description = $"stratified random split by lead (no time column): about {testFraction * 100:0}% of rows held out for testing, a lead's rows on one side, seed {seed}";
        }
        var inTest = new bool[frame.Count];
        foreach (var i in test) inTest[i] = true;
        var trainIdx = Enumerable.Range(0, frame.Count).Where(i => !inTest[i] && !dropped.Contains(i)).ToArray();
        var testIdx = Enumerable.Range(0, frame.Count).Where(i => inTest[i]).ToArray();
        return new DataSplit(frame.Subset(trainIdx), frame.Subset(testIdx), frame.Times.Count == frame.Count ? SplitKind.Time : SplitKind.StratifiedRandom, description);
    }

    public static DataSplit Given(FeatureFrame train, FeatureFrame test, string testFile) =>
        new(train, test, SplitKind.TestFile, string.Create(Inv, $"given test set {testFile}: trained on all {train.Count:N0} rows of the training file, tested on {test.Count:N0} rows"));

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

    /// <summary>
    /// Fold number of every row of a frame: stratified by label, and by lead when rows share an id (all of a lead's
    /// rows in one fold, so no fold model has seen the lead it is validated on).
    /// </summary>
    public static int[] StratifiedFolds(FeatureFrame frame, int folds, int seed)
    {
        if (Groups(frame) is not { } groups) return StratifiedFolds(frame.Labels, folds, seed);
        var groupFold = StratifiedFolds(GroupLabels(frame, groups), folds, seed);
        return Array.ConvertAll(groups, g => groupFold[g]);
    }

    /// <summary>One label per lead: per group when rows are grouped by lead, else per row.</summary>
    public static IReadOnlyList<bool> LeadLabels(FeatureFrame frame) => Groups(frame) is { } groups ? GroupLabels(frame, groups) : frame.Labels;

    private static bool[] GroupLabels(FeatureFrame frame, int[] groups)
    {
        var label = new bool[groups.Max() + 1];
        for (var i = 0; i < frame.Count; i++) label[groups[i]] = frame.Labels[i];
        return label;
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
