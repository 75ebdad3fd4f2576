namespace LeadScore.Core;

/// <summary>Whether a feature holds a number or a category.</summary>
public enum FeatureKind
{
    /// <summary>A real number; <see cref="double.NaN"/> means missing. Booleans are 0/1.</summary>
    Numeric,
    /// <summary>A category label; null means missing.</summary>
    Categorical,
}

/// <summary>One model input as a person would name it, with where it came from.</summary>
public sealed record FeatureInfo(string Name, FeatureKind Kind, string Description)
{
    /// <summary>A template for reason sentences, e.g. "Visited the pricing page {value} times in the last 7 days".</summary>
    public string? Phrase { get; init; }
    /// <summary>Segment features are reported on in evaluation (source, company size...).</summary>
    public bool IsSegment { get; init; }
}

/// <summary>A feature value: a number (NaN = missing) or a category (null = missing).</summary>
public readonly record struct FeatureValue(double Number, string? Category)
{
    public static readonly FeatureValue Missing = new(double.NaN, null);
    public static FeatureValue Of(double number) => new(number, null);
    public static FeatureValue Of(string? category) => new(double.NaN, category);
    public bool IsMissing => double.IsNaN(Number) && Category is null;
    public override string ToString() => Category ?? (double.IsNaN(Number) ? "" : Number.ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// A table of feature rows with labels: what training, evaluation and batch scoring work on.
/// Rows are aligned with <see cref="Features"/>.
/// </summary>
public sealed class FeatureFrame
{
    public FeatureFrame(IReadOnlyList<FeatureInfo> features)
    {
        Features = features;
    }

    public IReadOnlyList<FeatureInfo> Features { get; }
    public List<FeatureValue[]> Rows { get; } = [];
    /// <summary>Row identifiers (lead ids), same length as <see cref="Rows"/>.</summary>
    public List<string> Ids { get; } = [];
    /// <summary>Labels (true = converted); empty for unlabelled frames.</summary>
    public List<bool> Labels { get; } = [];
    /// <summary>Decision times, used for time splits; empty when there is no time.</summary>
    public List<DateTimeOffset> Times { get; } = [];
    /// <summary>
    /// Pipeline weights: how many days of the lead's open life each row stands for (a lead seen at ages 14, 21 and 30 days
    /// and closed on day 25 gives 7, 4 and no row). Weighted this way the rows look like the open pipeline on any given day,
    /// which is what grade bands are cut for. Empty = every row weighs the same (one row per lead).
    /// </summary>
    public List<double> Weights { get; } = [];
    /// <summary>
    /// Rows sharing an id are one lead seen at several decision ages (same label): splits and cross-validation folds
    /// must keep them together. Set by the training-set builder; kept by <see cref="Subset"/> and <see cref="Without"/>.
    /// </summary>
    public bool GroupRowsById { get; set; }
    /// <summary>
    /// The horizon the labels follow (converted within this long after the row's decision time), when the builder had one;
    /// with <see cref="AsOf"/> it tells which rows have matured. Kept by <see cref="Subset"/> and <see cref="Without"/>.
    /// </summary>
    public TimeSpan? Horizon { get; set; }
    /// <summary>The data's end when the labels were set: a row has matured when its decision time + <see cref="Horizon"/> is at or before it.</summary>
    public DateTimeOffset? AsOf { get; set; }

    public int Count => Rows.Count;

    /// <summary>
    /// True when row <paramref name="i"/>'s label is final: no horizon (the label is whatever was recorded), or its
    /// decision time + horizon is at or before <see cref="AsOf"/>. A recent row that already converted or was lost is not
    /// yet matured: among recent rows only the fast outcomes are decided, so keeping them would bias a time split.
    /// </summary>
    public bool IsMatured(int i) => Horizon is not { } h || AsOf is not { } a || Times.Count != Count || Times[i] + h <= a;

    public int IndexOf(string feature)
    {
        for (var i = 0; i < Features.Count; i++)
            if (Features[i].Name == feature) return i;
        return -1;
    }

    /// <summary>Row <paramref name="i"/>'s pipeline weight (1 when the frame has none).</summary>
    public double WeightOf(int i) => Weights.Count == Count ? Weights[i] : 1;

    public void Add(string id, FeatureValue[] row, bool? label = null, DateTimeOffset? time = null)
    {
        if (row.Length != Features.Count)
            throw new ArgumentException($"Row has {row.Length} values, frame has {Features.Count} features.", nameof(row));
        Ids.Add(id);
        Rows.Add(row);
        if (label is { } l) Labels.Add(l);
        if (time is { } t) Times.Add(t);
    }

    /// <summary>A new frame with the rows at <paramref name="indexes"/> (labels and times follow).</summary>
    public FeatureFrame Subset(IReadOnlyList<int> indexes)
    {
        var f = new FeatureFrame(Features) { GroupRowsById = GroupRowsById, Horizon = Horizon, AsOf = AsOf };
        foreach (var i in indexes)
        {
            f.Ids.Add(Ids[i]);
            f.Rows.Add(Rows[i]);
            if (Labels.Count > 0) f.Labels.Add(Labels[i]);
            if (Times.Count > 0) f.Times.Add(Times[i]);
            if (Weights.Count == Count) f.Weights.Add(Weights[i]);
        }
        return f;
    }

    /// <summary>A new frame without the named features.</summary>
    public FeatureFrame Without(IReadOnlySet<string> names)
    {
        var keep = Enumerable.Range(0, Features.Count).Where(i => !names.Contains(Features[i].Name)).ToArray();
        var f = new FeatureFrame(keep.Select(i => Features[i]).ToArray()) { GroupRowsById = GroupRowsById, Horizon = Horizon, AsOf = AsOf };
        for (var r = 0; r < Rows.Count; r++)
        {
            var row = new FeatureValue[keep.Length];
            for (var j = 0; j < keep.Length; j++) row[j] = Rows[r][keep[j]];
            f.Ids.Add(Ids[r]);
            f.Rows.Add(row);
        }
        f.Labels.AddRange(Labels);
        f.Times.AddRange(Times);
        f.Weights.AddRange(Weights);
        return f;
    }
}
