using System.Globalization;
using System.IO.Compression;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Lifecycle;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Modeling;

/// <summary>One version's figures on the shared rows.</summary>
public sealed record MetricsOnRows(string Version, double Auc, double PrAuc, double LogLoss, double Ece, double Brier, double CardAuc, int FeaturesMissing);

/// <summary>Two versions re-evaluated on the same rows, and DeLong's paired test of their AUC difference (B - A).</summary>
public sealed record SameRowsComparison
{
    public required MetricsOnRows A { get; init; }
    public required MetricsOnRows B { get; init; }
    public required int Rows { get; init; }
    public required int Positives { get; init; }
    /// <summary>The rows' decision times: the earliest and the latest.</summary>
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset To { get; init; }
    public required double HorizonDays { get; init; }
    /// <summary>Which rows and why, in a sentence.</summary>
    public required string Rule { get; init; }
    /// <summary>AUC(B) - AUC(A), its standard error, z and the two-sided p-value.</summary>
    public required PairedAucTest Test { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>Whether the two cards' own figures were measured on the same held-out rows (same test ids).</summary>
    public bool CardsShareTestSet { get; init; }
}

/// <summary>
/// Compares two model versions on the same rows: the most recent matured hold-out that neither trained on, rebuilt from
/// the workspace with point-in-time features (the rows after the later of the two versions' training rows, by decision
/// time). Each card's own figures were measured on its own test set, and two test sets do not compare; these do.
/// </summary>
public sealed class ModelComparison(ModelRegistry registry, TrainingService training, ILeadStore store, TimeProvider time)
{
    /// <summary>The fewest rows of each class the comparison needs.</summary>
    public const int MinRowsPerClass = 2;

    public async Task<SameRowsComparison> CompareAsync(string versionA, string versionB, CancellationToken ct = default)
    {
        var (mvA, cardA) = await registry.ShowAsync(versionA, ct);
        var (mvB, cardB) = await registry.ShowAsync(versionB, ct);
        if (mvA.Version == mvB.Version) throw new LeadScoreException($"'{versionA}' and '{versionB}' are the same version ({mvA.Version}): name two versions", "b");
        var defsA = await DefinitionsAsync(mvA.Version, ct);
        var defsB = await DefinitionsAsync(mvB.Version, ct);
        var notes = new List<string>();

        var horizon = (cardA.HorizonDays, cardB.HorizonDays) switch
        {
            ({ } a, { } b) when a != b => Math.Max(a, b),
            ({ } a, _) => a,
            (_, { } b) => b,
            _ => (double?)null,
        };
        if (cardA.HorizonDays is { } ha && cardB.HorizonDays is { } hb && ha != hb)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"the versions predict over different horizons ({mvA.Version} {ha:0.##} days, {mvB.Version} {hb:0.##} days): both are judged on converting within {horizon:0.##} days"));
        var funnel = await training.ChooseFunnelAsync(null, horizon, null, null, ct);
        // Matured as of the data's end (the latest lead, activity or outcome stored), as training judges it: the clock is no
        // evidence that a lead did not convert. A version trained with a later --as-of knew the data complete up to it.
        var options = new TrainingSetOptions { DecisionDelay = funnel.DecisionDelay, DecisionAges = funnel.Ages, HorizonDays = funnel.HorizonDays };

        // Rows neither version trained on: after the start of a time-split test set (its training rows all came before),
        // or after the last row a version saw at all (a random split trained on rows from the whole period).
        var (sinceA, whyA) = HeldOutFrom(mvA.Version, cardA);
        var (sinceB, whyB) = HeldOutFrom(mvB.Version, cardB);
        var since = sinceA >= sinceB ? sinceA : sinceB;
        var inclusive = (sinceA >= sinceB ? cardA : cardB).SplitKind == SplitKind.Time;

        var frameA = (await training.BuildTrainingSetAsync(defsA, options, ct)).Frame;
        var cardsAsOf = new[] { cardA.AsOf, cardB.AsOf }.Max();
        if (cardsAsOf is { } known && (frameA.AsOf is not { } dataEnd || known > dataEnd) && known <= time.GetUtcNow())
        {
            options = options with { KnownBefore = known };
            frameA = (await training.BuildTrainingSetAsync(defsA, options, ct)).Frame;
        }
        // With several rows per lead (lead ages) a time split keeps whole leads together: the test set is the leads whose first
        // matured row is at or after its start, with all their matured rows. Each row is judged here by its lead's first time.
        var firstAt = DataSplitter.LeadFirstTimes(frameA, maturedOnly: true);
        var keep = new List<int>();
        for (var i = 0; i < frameA.Count; i++)
            if ((inclusive ? firstAt[i] >= since : firstAt[i] > since) && frameA.IsMatured(i)) keep.Add(i);
        if (inclusive)
        {
            // The test set starts at its first row's time; rows tied with it may have gone either way (a time split breaks
            // ties by row order, and dates without a time of day tie often), so tied rows are left out unless only one
            // row (lead) has that time: then it is the test set's first.
            var tied = frameA.GroupRowsById
                ? Enumerable.Range(0, frameA.Count).Where(i => firstAt[i] == since && frameA.IsMatured(i)).Select(i => frameA.Ids[i]).Distinct().Count()
                : Enumerable.Range(0, frameA.Count).Count(i => frameA.Times[i] == since);
            if (tied > 1)
            {
                keep.RemoveAll(i => firstAt[i] == since);
                notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{tied} row(s) decided exactly at {since:yyyy-MM-dd HH:mm}Z, where the later test set starts, were left out: tied rows may have been trained on"));
            }
        }
        var rowsA = frameA.Subset(keep);
        FeatureFrame rowsB;
        if (defsA.ToJson() == defsB.ToJson()) rowsB = rowsA;
        else
        {
            // Each version reads its own features; the rows (leads, decision times, labels) do not depend on them.
            var frameB = (await training.BuildTrainingSetAsync(defsB, options, ct)).Frame;
            var at = new Dictionary<(string, long), int>();
            for (var i = 0; i < frameB.Count; i++) at[(frameB.Ids[i], frameB.Times[i].UtcTicks)] = i;
            var pick = new List<int>();
            var both = new List<int>();
            for (var k = 0; k < rowsA.Count; k++)
                if (at.TryGetValue((rowsA.Ids[k], rowsA.Times[k].UtcTicks), out var j)) { pick.Add(j); both.Add(k); }
            rowsA = rowsA.Subset(both);
            rowsB = frameB.Subset(pick);
        }
        var positives = rowsA.Labels.Count(l => l);
        var rule = string.Create(CultureInfo.InvariantCulture,
            $"leads decided {(inclusive ? "at or after" : "after")} {since:yyyy-MM-dd HH:mm}Z ({whyA}; {whyB}) whose {funnel.HorizonDays:0.##}-day horizon had passed by {frameA.AsOf:yyyy-MM-dd HH:mm}Z ({(options.KnownBefore is null ? "the data's end" : "the versions' as-of time")}), decision {funnel.DelayWhy}");
        if (positives < MinRowsPerClass || rowsA.Count - positives < MinRowsPerClass)
            throw new LeadScoreException(string.Create(CultureInfo.InvariantCulture,
                $"too few rows to compare {mvA.Version} and {mvB.Version} on: {rowsA.Count:N0} matured row(s) ({positives:N0} converted) that neither trained on, {rule}; " +
                $"it needs at least {MinRowsPerClass} converted and {MinRowsPerClass} not. Import newer leads and outcomes, or wait for the horizon to pass"), "rows");

        var modelA = await registry.LoadAsync(mvA.Version, ct);
        var modelB = await registry.LoadAsync(mvB.Version, ct);
        var missingA = modelA.MissingFeatures(rowsA);
        var missingB = modelB.MissingFeatures(rowsB);
        foreach (var (v, missing) in new[] { (mvA.Version, missingA), (mvB.Version, missingB) })
            if (missing.Count > 0) notes.Add($"{v} needs {missing.Count} feature(s) its definitions no longer compute ({string.Join(", ", missing.Take(5))}): read as missing");
        var pA = modelA.Predict(rowsA);
        var pB = modelB.Predict(rowsB);
        var labels = rowsA.Labels;
        var test = DeLong.Paired(pB, pA, labels);
        return new SameRowsComparison
        {
            A = Metrics(mvA.Version, pA, labels, cardA, missingA.Count),
            B = Metrics(mvB.Version, pB, labels, cardB, missingB.Count),
            Rows = rowsA.Count,
            Positives = positives,
            From = rowsA.Times.Min(),
            To = rowsA.Times.Max(),
            HorizonDays = funnel.HorizonDays,
            Rule = rule,
            Test = test,
            Notes = notes,
            CardsShareTestSet = cardA.TestIdsHash is not null && cardA.TestIdsHash == cardB.TestIdsHash,
        };
    }

    private static MetricsOnRows Metrics(string version, double[] p, IReadOnlyList<bool> labels, ModelCard card, int missing)
    {
        var m = Evaluator.Evaluate(p, labels);
        return new MetricsOnRows(version, m.Auc, m.PrAuc, m.LogLoss, m.Ece, m.Brier, card.Metrics.Auc, missing);
    }

    private static (DateTimeOffset Since, string Why) HeldOutFrom(string version, ModelCard card)
    {
        if (card.SplitKind == SplitKind.Time && card.TestFrom is { } tf)
            return (tf, string.Create(CultureInfo.InvariantCulture, $"{version} trained on rows before {tf:yyyy-MM-dd HH:mm}Z, its test set's start"));
        if (card.DataTo is { } to)
            return (to, string.Create(CultureInfo.InvariantCulture, $"{version} ({(card.SplitKind == SplitKind.StratifiedRandom ? "random split" : "test file")}) saw rows up to {to:yyyy-MM-dd HH:mm}Z"));
        throw new LeadScoreException($"model {version}'s card does not say which rows it trained on (no data dates): it cannot be re-evaluated on rows it did not see", "a");
    }

    /// <summary>The feature definitions a workspace model computes its features with (its artifact's copy).</summary>
    private async Task<FeatureDefinitions> DefinitionsAsync(string version, CancellationToken ct)
    {
        var bytes = await store.GetModelArtifactAsync(version, ct) ?? throw new NotFoundException($"model version '{version}' has no artifact");
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        if (ArtifactEntries.Read(zip, ArtifactEntries.FeatureDefinitions) is not { } defs)
            throw new LeadScoreException(
                $"model {version} was trained on a flat file (train --csv), not on the workspace: there are no stored leads to re-evaluate it on; evaluate both on one file with ./leadscore train --csv ... --test-csv FILE", "a");
        return FeatureDefinitions.FromJson(System.Text.Encoding.UTF8.GetString(defs), $"model {version}");
    }
}
