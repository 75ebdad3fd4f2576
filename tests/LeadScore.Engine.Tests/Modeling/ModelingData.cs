using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Modeling;

/// <summary>The real datasets, loaded once per test run (read-only; tests subset them, never change them).</summary>
internal static class ModelingData
{
    private static readonly Lazy<FeatureFrame> BankFrame = new(() =>
        FlatTableLoader.Load(TestPaths.BankMarketing, new FlatTableOptions { Target = "y", Positive = "yes", Exclude = ["duration"] }).Frame);

    private static readonly Lazy<FeatureFrame> XEduFrame = new(() =>
        FlatTableLoader.Load(TestPaths.XEducation, new FlatTableOptions { Target = "Converted", IdColumn = "Prospect ID", Exclude = ["Lead Number"] }).Frame);

    /// <summary>Bank marketing without <c>duration</c> (known only after the call: a leak).</summary>
    public static FeatureFrame Bank => BankFrame.Value;

    /// <summary>X Education leads with all columns but the ids.</summary>
    public static FeatureFrame XEducation => XEduFrame.Value;

    /// <summary>
    /// X Education columns filled in by the sales team after contact, so they encode the outcome: the
    /// rep's tags ("Closed by Horizzon", "Will revert after reading the email"), their quality judgement,
    /// the profile they assign, the last (notable) activity, which is updated until the lead closes, and
    /// the Asymmetrique indexes computed by the sales process.
    /// </summary>
    public static IReadOnlyList<ExcludedFeature> XEducationLeaks { get; } =
    [
        new("Tags", "set by sales reps after contact; values name the outcome (e.g. 'Closed by Horizzon')"),
        new("Lead Quality", "sales rep's judgement recorded after contact"),
        new("Lead Profile", "assigned by the sales team after qualification"),
        new("Last Activity", "updated until the lead closes: includes activity after the outcome"),
        new("Last Notable Activity", "updated until the lead closes: includes activity after the outcome"),
        new("Asymmetrique Activity Index", "computed by the sales process after contact"),
        new("Asymmetrique Profile Index", "computed by the sales process after contact"),
        new("Asymmetrique Activity Score", "computed by the sales process after contact"),
        new("Asymmetrique Profile Score", "computed by the sales process after contact"),
    ];

    /// <summary>A stratified sample of rows of a frame (fixed seed).</summary>
    public static FeatureFrame Sample(FeatureFrame frame, int rows, int seed = 7)
    {
        var (_, pick) = DataSplitter.StratifiedHoldOut(frame.Labels, (double)rows / frame.Count, seed);
        return frame.Subset(pick);
    }
}
