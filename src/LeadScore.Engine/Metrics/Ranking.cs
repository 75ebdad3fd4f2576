namespace LeadScore.Engine.Metrics;

/// <summary>
/// Ranking metrics, one implementation each, shared by model evaluation, cross-validation, permutation
/// importance, the leakage audit and the champion rule (and later monitoring).
/// </summary>
public static class Ranking
{
    /// <summary>
    /// Area under the ROC curve: the Mann-Whitney U statistic over positives x negatives, with tied scores
    /// counting half (the same value as scikit-learn's <c>roc_auc_score</c>). NaN scores tie with each other
    /// and rank below every number.
    /// </summary>
    /// <returns>
    /// The AUC, or NaN when either class is absent (no rows included): the AUC is undefined then, and each
    /// caller says what that means for it (a blank metric, or "no signal" in the leakage audit).
    /// </returns>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count)
            throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels.", nameof(labels));
        var n = scores.Count;
        var keys = new double[n];
        var idx = new int[n];
        for (var i = 0; i < n; i++) { keys[i] = scores[i]; idx[i] = i; }
        Array.Sort(keys, idx);
        double rankSumPos = 0;
        long pos = 0;
        var k = 0;
        while (k < n)
        {
            // A run of equal scores shares its average rank. Equals, not ==, so NaNs form one run.
            var j = k;
            while (j + 1 < n && keys[j + 1].Equals(keys[k])) j++;
            var rank = (k + j) / 2.0 + 1;
            for (var t = k; t <= j; t++) if (labels[idx[t]]) { rankSumPos += rank; pos++; }
            k = j + 1;
        }
        var neg = n - pos;
        if (pos == 0 || neg == 0) return double.NaN;
        return (rankSumPos - pos * (pos + 1) / 2.0) / ((double)pos * neg);
    }
}
