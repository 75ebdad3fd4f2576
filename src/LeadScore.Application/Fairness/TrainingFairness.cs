using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;

namespace LeadScore.Application.Fairness;

/// <summary>
/// Fairness at training: the held-out rows' figures (with group values as known at each row's decision time), the effect of
/// group-aware thresholds for every sensitive attribute (fitted on the training rows' out-of-fold probabilities), and the
/// thresholds to store with the model when mitigation is enabled.
/// </summary>
internal static class TrainingFairness
{
    /// <summary>A group value for row <c>row</c> of a frame: the attribute's raw value for that lead at that row's decision time.</summary>
    public delegate string? ValueAt(FeatureFrame frame, int row, string attribute);

    public static (TrainingResult Result, GroupGrades? Applied) Apply(TrainingResult result, FairnessConfiguration config, ValueAt valueAt)
    {
        var s = config.Effective;
        var attributes = s.Sensitive.Select(a => (a, FairnessRole.Sensitive)).Concat(s.Watch.Select(a => (a, FairnessRole.Watch))).ToArray();
        if (attributes.Length == 0) return (result, null);
        var (test, testProbabilities) = OnePerLead(result.Test, result.TestProbabilities);
        var bands = result.Model.Grades;
        // Each lead's company (its domain, else its name, else the lead itself): the clusters of the tests beyond chance.
        var clusters = Enumerable.Range(0, test.Count)
            .Select(i => valueAt(test, i, "domain") ?? valueAt(test, i, "company") ?? "lead:" + test.Ids[i]).ToArray();
        var columns = attributes.Select(x => new GroupColumn(x.a, x.Item2, Values(test, x.a, valueAt)) { Clusters = clusters }).ToArray();
        // Held-out rows are matured by construction (training evaluates on matured rows only).
        var outcomes = test.Labels.Select(l => (bool?)l).ToArray();
        var report = FairnessAnalyzer.Analyze(testProbabilities, bands, outcomes, columns, s.Options, test) with { AttributesFrom = config.Source };

        GroupGrades? applied = null;
        var effects = new List<MitigationEffect>();
        if (result.Train is { } train && result.TrainOutOfFoldProbabilities is { } oof)
        {
            foreach (var column in columns.Where(c => c.Role == FairnessRole.Sensitive))
            {
                var grades = GroupThresholds.Fit(column.Attribute, oof, Values(train, column.Attribute, valueAt), bands, s.MinGroupSize);
                var isApplied = string.Equals(s.Mitigate, column.Attribute, StringComparison.Ordinal);
                if (isApplied) applied = grades;
                effects.Add(GroupThresholds.Effect(grades, isApplied, testProbabilities, column.Values, outcomes, bands, s.MinGroupSize));
            }
        }
        report = report with { Mitigation = effects };
        var card = result.Model.Card with { Fairness = report };
        return (result with { Model = result.Model.WithCard(card) }, applied);
    }

    /// <summary>
    /// The held-out rows with each lead once: its first row (the lead as first scored). A lead seen at several ages has
    /// several held-out rows sharing its label, its group and most of its features; counted as independent rows, a group of
    /// 60 leads would weigh as 200 in the tests beyond chance, and chance would pass for a group effect. A frame with one row
    /// per lead is returned as it is.
    /// </summary>
    internal static (FeatureFrame Frame, double[] Probabilities) OnePerLead(FeatureFrame frame, double[] probabilities)
    {
        if (DataSplitter.Groups(frame) is null) return (frame, probabilities);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var keep = Enumerable.Range(0, frame.Count)
            .OrderBy(i => frame.Times.Count == frame.Count ? frame.Times[i] : default).ThenBy(i => i)
            .Where(i => seen.Add(frame.Ids[i])).Order().ToArray();
        return (frame.Subset(keep), keep.Select(i => probabilities[i]).ToArray());
    }

    private static string[] Values(FeatureFrame frame, string attribute, ValueAt valueAt) =>
        Enumerable.Range(0, frame.Count).Select(i => GroupGrades.GroupOf(valueAt(frame, i, attribute))).ToArray();
}
