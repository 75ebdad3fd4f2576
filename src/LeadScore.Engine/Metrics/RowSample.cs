namespace LeadScore.Engine.Metrics;

/// <summary>Seeded samples of row indexes: the same seed and size give the same rows on any machine.</summary>
public static class RowSample
{
    /// <summary>
    /// <paramref name="max"/> of the indexes 0..<paramref name="n"/>-1 drawn without replacement (a partial Fisher-Yates
    /// shuffle), in ascending order; all of them when <paramref name="n"/> is at most <paramref name="max"/>.
    /// </summary>
    public static int[] Sorted(int n, int max, Random rng)
    {
        var idx = Enumerable.Range(0, n).ToArray();
        if (n <= max) return idx;
        for (var i = 0; i < max; i++)
        {
            var j = i + rng.Next(n - i);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }
        var picked = idx[..max];
        Array.Sort(picked);
        return picked;
    }
}
