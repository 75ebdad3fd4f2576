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
        var rows = HoldOut(result.Test, config, valueAt);
        if (rows.Columns.Count == 0) return (result, null);
        var test = rows.Frame;
        var testProbabilities = rows.Of(result.TestProbabilities);
        var bands = result.Model.Grades;
        var columns = rows.Columns;
        var outcomes = rows.Outcomes;
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
    /// The held-out rows as every fairness test counts them (at training and in the promotion gate, one rule): each lead once
    /// (<see cref="OnePerLead(FeatureFrame)"/>), its group per declared attribute as known at the row's decision time, and its
    /// company (its domain, else its name, else the lead itself) as the cluster of the tests beyond chance. Held-out rows are
    /// matured by construction (training evaluates on matured rows only), so every outcome is known.
    /// </summary>
    internal static FairnessRows HoldOut(FeatureFrame test, FairnessConfiguration config, ValueAt valueAt)
    {
        var s = config.Effective;
        var attributes = s.Sensitive.Select(a => (a, FairnessRole.Sensitive)).Concat(s.Watch.Select(a => (a, FairnessRole.Watch))).ToArray();
        if (attributes.Length == 0) return new FairnessRows(test, null, [], []);
        var keep = OnePerLead(test);
        var frame = keep is null ? test : test.Subset(keep);
        var clusters = Enumerable.Range(0, frame.Count)
            .Select(i => valueAt(frame, i, "domain") ?? valueAt(frame, i, "company") ?? "lead:" + frame.Ids[i]).ToArray();
        var columns = attributes.Select(x => new GroupColumn(x.a, x.Item2, Values(frame, x.a, valueAt)) { Clusters = clusters }).ToArray();
        return new FairnessRows(frame, keep, columns, frame.Labels.Select(l => (bool?)l).ToArray());
    }

    /// <summary>
    /// The held-out rows with each lead once: its first row (the lead as first scored). A lead seen at several ages has
    /// several held-out rows sharing its label, its group and most of its features; counted as independent rows, a group of
    /// 60 leads would weigh as 200 in the tests beyond chance, and chance would pass for a group effect. A frame with one row
    /// per lead gives null (every row is kept). Returns the kept row indices in order.
    /// </summary>
    internal static int[]? OnePerLead(FeatureFrame frame)
    {
        if (DataSplitter.Groups(frame) is null) return null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return Enumerable.Range(0, frame.Count)
            .OrderBy(i => frame.Times.Count == frame.Count ? frame.Times[i] : default).ThenBy(i => i)
            .Where(i => seen.Add(frame.Ids[i])).Order().ToArray();
    }

    /// <summary>The fairness rows of a hold-out: <see cref="Rows"/> are their indices in the full hold-out (null: all of them).</summary>
    internal sealed record FairnessRows(FeatureFrame Frame, int[]? Rows, IReadOnlyList<GroupColumn> Columns, bool?[] Outcomes)
    {
        /// <summary>A model's probabilities on the full hold-out, cut to these rows.</summary>
        public double[] Of(IReadOnlyList<double> probabilities) => Rows is null ? [.. probabilities] : Rows.Select(i => probabilities[i]).ToArray();
    }

    private static string[] Values(FeatureFrame frame, string attribute, ValueAt valueAt) =>
        Enumerable.Range(0, frame.Count).Select(i => GroupGrades.GroupOf(valueAt(frame, i, attribute))).ToArray();
}
