using System.Globalization;

namespace LeadScore.Engine.Features;

/// <summary>A decision delay or horizon chosen from the data (or given), with the rule behind it in words.</summary>
public sealed record FunnelChoice(TimeSpan DecisionDelay, string DelayWhy, double HorizonDays, string HorizonWhy)
{
    /// <summary>
    /// The lead ages rows are built at (the first is <see cref="DecisionDelay"/>), given or chosen from the data
    /// (<see cref="FunnelDefaults.ChooseAges"/>); null = one row per lead at the decision delay.
    /// </summary>
    public IReadOnlyList<TimeSpan>? Ages { get; init; }
}

/// <summary>
/// Decision delay and horizon that fit a funnel, read from its wins (leads whose last outcome is converted). A fixed
/// creation + 14 days dropped half the wins of a funnel that closes in two weeks; a horizon nobody stated made the
/// probability mean "converts some day", and the most recent leads (only the fast ones decided) biased the test set.
/// </summary>
public static class FunnelDefaults
{
    /// <summary>At most this share of wins may come at or before the default decision time.</summary>
    public const double MaxWinsDropped = 0.10;
    /// <summary>The default delay never exceeds the old fixed one: a later decision point only makes fresh leads older than any training row.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(14);
    /// <summary>The horizon covers this share of the wins after the decision time.</summary>
    public const double HorizonQuantile = 0.90;
    public const double MinHorizonDays = 7;
    public const string DelayRule = "the longest whole number of days (up to 14) before which at most 10% of wins happen; creation itself (0) for fast funnels";
    public const string HorizonRule = "the 90th percentile of time from decision to conversion among converted leads, rounded up to whole weeks, at least 7 days";

    /// <summary>
    /// The delay (whole days) at or before which at most 10% of the wins happen: wins at or before the decision time get
    /// no row, so this bounds what the decision point drops. No wins: the old 14 days.
    /// </summary>
    public static TimeSpan ChooseDelay(IReadOnlyList<TimeSpan> creationToWin)
    {
        if (creationToWin.Count == 0) return MaxDelay;
        var sorted = creationToWin.Order().ToArray();
        var allowed = (int)Math.Floor(sorted.Length * MaxWinsDropped);
        // Wins at or before d days are dropped: the largest whole d with at most `allowed` of them.
        var d = (int)Math.Min(MaxDelay.TotalDays, Math.Floor(sorted[Math.Min(allowed, sorted.Length - 1)].TotalDays));
        while (d > 0 && CountAtOrBefore(sorted, TimeSpan.FromDays(d)) > allowed) d--;
        return TimeSpan.FromDays(Math.Max(0, d));
    }

    /// <summary>The 90th percentile of decision-to-conversion times, rounded up to whole weeks, at least 7 days; no wins: 90 days.</summary>
    public static double ChooseHorizonDays(IReadOnlyList<TimeSpan> decisionToWin)
    {
        if (decisionToWin.Count == 0) return 90;
        var sorted = decisionToWin.Order().ToArray();
        var q = sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * HorizonQuantile) - 1)];
        return Math.Max(MinHorizonDays, Math.Ceiling(q.TotalDays / 7) * 7);
    }

    /// <summary>
    /// Fills what was not given from the wins: each as (creation, conversion time). The horizon is measured from the decision
    /// time actually used (the given or chosen delay; the first age when several are given).
    /// </summary>
    public static FunnelChoice Choose(IReadOnlyList<(DateTimeOffset Created, DateTimeOffset Won)> wins, TimeSpan? delay, double? horizonDays)
    {
        var inv = CultureInfo.InvariantCulture;
        var d = delay ?? ChooseDelay(wins.Select(w => w.Won - w.Created).ToArray());
        var delayWhy = delay is not null
            ? string.Create(inv, $"{d.TotalDays:0.##} days (given)")
            : string.Create(inv, $"{d.TotalDays:0.##} days (default from the data: {DelayRule}; {wins.Count:N0} wins)");
        var after = wins.Select(w => w.Won - (w.Created + d)).Where(t => t > TimeSpan.Zero).ToArray();
        var h = horizonDays ?? ChooseHorizonDays(after);
        var horizonWhy = horizonDays is not null
            ? string.Create(inv, $"{h:0.##} days (given)")
            : string.Create(inv, $"{h:0.##} days (default from the data: {HorizonRule}; {after.Length:N0} wins after the decision time)");
        return new FunnelChoice(d, delayWhy, h, horizonWhy);
    }

    /// <summary>Candidate ages beyond creation, a week and the decision point (and a week and two after it): the ages a seller reviews a pipeline at.</summary>
    private static readonly int[] LadderDays = [30, 45, 60, 90, 120, 180, 270, 365];
    /// <summary>Several ages only when a quarter of the leads open at the decision point stay open this much longer.</summary>
    public static readonly TimeSpan LongOpen = TimeSpan.FromDays(14);
    public const double AgesUpToQuantile = 0.95;
    public const string AgesRule = "several ages when at least a quarter of the leads open at the decision point stay open 14 days longer: creation, 7 days, the decision point and a week and two weeks after it, then 30, 45, 60, 90, 120, 180, 270 and 365 days, at least 5 days apart, up to the age by which 95% of them have closed; with a given --decision-delay, from that delay on";

    /// <summary>
    /// The ages to build rows at, from how long leads stay open: <paramref name="openFor"/> holds, for each lead still open
    /// at its decision point, the time from its creation to its close (won or lost), or to the data's end when it is still
    /// open. A model trained at one age has never seen an older open lead, yet live scoring meets them every day; when
    /// leads close soon after the decision point one age is enough (null). <paramref name="fromCreation"/> false (a delay
    /// the user gave): the ages start at the delay.
    /// </summary>
    public static IReadOnlyList<TimeSpan>? ChooseAges(TimeSpan delay, IReadOnlyList<TimeSpan> openFor, bool fromCreation = true)
    {
        if (openFor.Count < 20) return null;
        var sorted = openFor.Order().ToArray();
        TimeSpan Q(double q) => sorted[Math.Clamp((int)Math.Ceiling(sorted.Length * q) - 1, 0, sorted.Length - 1)];
        if (Q(0.75) < delay + LongOpen) return null;
        var upTo = Q(AgesUpToQuantile);
        // From creation: live scoring meets leads of every age, the freshest ones first; with rows from day 0 on, a lead
        // a few days old is scored by a model that has seen leads that young (and no win comes before the first age).
        var candidates = new[] { TimeSpan.Zero, TimeSpan.FromDays(7), delay, delay + TimeSpan.FromDays(7), delay + TimeSpan.FromDays(14) }
            .Concat(LadderDays.Select(d => TimeSpan.FromDays(d))).Distinct().Order()
            // A decision delay the user gave is the earliest age: no row before the point they chose.
            .Where(a => fromCreation || a >= delay);
        var ages = new List<TimeSpan>();
        foreach (var a in candidates)
            if (ages.Count == 0 || (a <= upTo && a - ages[^1] >= TimeSpan.FromDays(5))) ages.Add(a);
        return ages.Count > 1 ? ages : null;
    }

    /// <summary>"14, 21, 28 days".</summary>
    public static string ListDays(IEnumerable<TimeSpan> ages) =>
        string.Join(", ", ages.Select(a => a.TotalDays.ToString("0.##", CultureInfo.InvariantCulture))) + " days";

    private static int CountAtOrBefore(TimeSpan[] sorted, TimeSpan t)
    {
        var n = 0;
        while (n < sorted.Length && sorted[n] <= t) n++;
        return n;
    }
}
