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
    /// <summary>
    /// A context feature describes the training rows, not the lead: it is missing on every served lead, so it is never a reason,
    /// never compared by drift monitoring and may be absent from a frame the model scores (it reads as missing). The one kind
    /// today is the change indicator a retraining adds after a performance alert (<see cref="ChangeIndicatorName"/>).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool IsContext { get; init; }

    /// <summary>
    /// The change indicator's name: 1 on the rows of leads first decided before the change a performance alert found, missing
    /// on the rows after it and on every lead served, so the model serves as it learned the leads after the change while the
    /// older leads still teach it what did not change.
    /// </summary>
    public const string ChangeIndicatorName = "(decided before the change)";
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
/// <remarks>
/// Rows are stored compactly: one <see cref="float"/> a cell, a categorical cell holding its level's index in the
/// column's level table (NaN = missing), so a row costs 4 bytes a feature instead of a <see cref="FeatureValue"/>'s 16
/// plus a string reference per category: a million leads seen at six ages with 140 features is 3.6 GB instead of 15.
/// Numbers are kept at the precision models read them with: the encoder hands every model 32-bit floats, so a number
/// read back from a frame encodes to exactly the slot value the full double would (and a tree splits it the same way);
/// read back, a cell is that float widened to a double (0.1 reads as 0.100000001490116). Integers up to 16,777,216
/// are exact. A number beyond the float range reads back as infinity, which encoding treats like the original.
/// Read a cell with <see cref="this[int, int]"/>, a row with <see cref="CopyRow"/> (into a reused buffer) or
/// <see cref="Row"/> (a new array); <see cref="Rows"/> is a view that builds a new array on every access.
/// Frames made by <see cref="Subset"/> share the rows and level tables of the frame they came from.
/// </remarks>
public sealed class FeatureFrame
{
    private readonly List<float[]> _cells;
    private readonly CategoryLevels?[] _levels;

    public FeatureFrame(IReadOnlyList<FeatureInfo> features)
    {
        Features = features;
        _cells = [];
        _levels = new CategoryLevels?[features.Count];
        for (var f = 0; f < features.Count; f++)
            if (features[f].Kind == FeatureKind.Categorical) _levels[f] = new CategoryLevels();
        Rows = new RowView(this);
    }

    private FeatureFrame(IReadOnlyList<FeatureInfo> features, CategoryLevels?[] levels)
    {
        Features = features;
        _cells = [];
        _levels = levels;
        Rows = new RowView(this);
    }

    public IReadOnlyList<FeatureInfo> Features { get; }
    /// <summary>
    /// The rows as <see cref="FeatureValue"/> arrays: a view that builds a new array on every access (a copy; writing to
    /// it changes nothing). Loops over many cells should use <see cref="this[int, int]"/> or <see cref="CopyRow"/>.
    /// </summary>
    public IReadOnlyList<FeatureValue[]> Rows { get; }
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

    public int Count => _cells.Count;

    /// <summary>Row <paramref name="row"/>'s value of feature <paramref name="feature"/>.</summary>
    public FeatureValue this[int row, int feature] => Decode(feature, _cells[row][feature]);

    /// <summary>Row <paramref name="row"/> as a new array.</summary>
    public FeatureValue[] Row(int row)
    {
        var values = new FeatureValue[Features.Count];
        CopyRow(row, values);
        return values;
    }

    /// <summary>Writes row <paramref name="row"/> into <paramref name="into"/> (at least <see cref="Features"/>.Count long).</summary>
    public void CopyRow(int row, Span<FeatureValue> into)
    {
        var cells = _cells[row];
        for (var f = 0; f < cells.Length; f++) into[f] = Decode(f, cells[f]);
    }

    /// <summary>
    /// Row <paramref name="row"/>'s numbers (NaN = missing) without building the row: categorical cells read as NaN, as
    /// <see cref="FeatureValue.Number"/> does for a category.
    /// </summary>
    public double Number(int row, int feature) => _levels[feature] is null ? _cells[row][feature] : double.NaN;

    private FeatureValue Decode(int feature, float cell) => _levels[feature] is { } levels
        ? double.IsNaN(cell) ? FeatureValue.Missing : FeatureValue.Of(levels[(int)cell])
        : new FeatureValue(cell, null);

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

    public void Add(string id, FeatureValue[] row, bool? label = null, DateTimeOffset? time = null) => AddCompact(id, Compact(row), label, time);

    /// <summary>
    /// <paramref name="row"/> in this frame's compact form, for holding rows before they are added (<see cref="AddCompact"/>)
    /// at a quarter of the memory of the <see cref="FeatureValue"/>s.
    /// </summary>
    public float[] Compact(FeatureValue[] row)
    {
        if (row.Length != Features.Count)
            throw new ArgumentException($"Row has {row.Length} values, frame has {Features.Count} features.", nameof(row));
        var cells = new float[row.Length];
        for (var f = 0; f < row.Length; f++)
            cells[f] = _levels[f] is { } levels
                ? row[f].Category is { } c ? levels.CodeOf(c) : float.NaN
                : (float)row[f].Number;
        return cells;
    }

    /// <summary>Adds a row made by this frame's <see cref="Compact"/> (or read from one of its rows' level tables).</summary>
    public void AddCompact(string id, float[] cells, bool? label = null, DateTimeOffset? time = null)
    {
        if (cells.Length != Features.Count)
            throw new ArgumentException($"Row has {cells.Length} values, frame has {Features.Count} features.", nameof(cells));
        Ids.Add(id);
        _cells.Add(cells);
        if (label is { } l) Labels.Add(l);
        if (time is { } t) Times.Add(t);
    }

    /// <summary>A new frame with the rows at <paramref name="indexes"/> (labels and times follow); the rows are shared, not copied.</summary>
    public FeatureFrame Subset(IReadOnlyList<int> indexes)
    {
        var f = new FeatureFrame(Features, _levels) { GroupRowsById = GroupRowsById, Horizon = Horizon, AsOf = AsOf };
        f._cells.Capacity = indexes.Count;
        foreach (var i in indexes)
        {
            f.Ids.Add(Ids[i]);
            f._cells.Add(_cells[i]);
            if (Labels.Count > 0) f.Labels.Add(Labels[i]);
            if (Times.Count > 0) f.Times.Add(Times[i]);
            if (Weights.Count == Count) f.Weights.Add(Weights[i]);
        }
        return f;
    }

    /// <summary>
    /// A new frame with one more numeric column, <paramref name="feature"/>, valued <paramref name="value"/>(row) (NaN =
    /// missing); labels, times, weights and the frame's settings follow. The cells are copied.
    /// </summary>
    public FeatureFrame WithNumeric(FeatureInfo feature, Func<int, double> value)
    {
        ArgumentNullException.ThrowIfNull(feature);
        ArgumentNullException.ThrowIfNull(value);
        if (feature.Kind != FeatureKind.Numeric) throw new ArgumentException("only a numeric column can be added", nameof(feature));
        if (IndexOf(feature.Name) >= 0) throw new ArgumentException($"the frame already has a feature named '{feature.Name}'", nameof(feature));
        return Remade([.. Features, feature], [.. _levels, null], r =>
        {
            var row = new float[Features.Count + 1];
            _cells[r].CopyTo(row, 0);
            row[^1] = (float)value(r);
            return row;
        });
    }

    /// <summary>A new frame without the named features.</summary>
    public FeatureFrame Without(IReadOnlySet<string> names)
    {
        var keep = Enumerable.Range(0, Features.Count).Where(i => !names.Contains(Features[i].Name)).ToArray();
        return Remade(keep.Select(i => Features[i]).ToArray(), keep.Select(i => _levels[i]).ToArray(), r =>
        {
            var src = _cells[r];
            var row = new float[keep.Length];
            for (var j = 0; j < keep.Length; j++) row[j] = src[keep[j]];
            return row;
        });
    }

    /// <summary>A frame of other columns over the same rows: <paramref name="row"/>(r) gives row r's cells; ids, labels, times, weights and settings follow.</summary>
    private FeatureFrame Remade(IReadOnlyList<FeatureInfo> features, CategoryLevels?[] levels, Func<int, float[]> row)
    {
        var f = new FeatureFrame(features, levels) { GroupRowsById = GroupRowsById, Horizon = Horizon, AsOf = AsOf };
        f._cells.Capacity = Count;
        for (var r = 0; r < Count; r++)
        {
            f.Ids.Add(Ids[r]);
            f._cells.Add(row(r));
        }
        f.Labels.AddRange(Labels);
        f.Times.AddRange(Times);
        f.Weights.AddRange(Weights);
        return f;
    }

    /// <summary>The levels one categorical column has seen, each with its index (append only; safe to read while another thread adds).</summary>
    private sealed class CategoryLevels
    {
        private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
        private string[] _names = new string[8];
        private readonly Lock _gate = new();

        public string this[int code] => Volatile.Read(ref _names)[code];

        public int CodeOf(string level)
        {
            lock (_gate)
            {
                if (_codes.TryGetValue(level, out var code)) return code;
                code = _codes.Count;
                // Codes are stored as floats, exact up to 2^24.
                if (code >= 1 << 24) throw new InvalidOperationException("a categorical feature has more than 16,777,216 levels");
                if (code == _names.Length)
                {
                    var grown = new string[_names.Length * 2];
                    Array.Copy(_names, grown, code);
                    grown[code] = level;
                    Volatile.Write(ref _names, grown);
                }
                else _names[code] = level;
                _codes.Add(level, code);
                return code;
            }
        }
    }

    private sealed class RowView(FeatureFrame frame) : IReadOnlyList<FeatureValue[]>
    {
        public FeatureValue[] this[int index] => frame.Row(index);
        public int Count => frame.Count;
        public IEnumerator<FeatureValue[]> GetEnumerator()
        {
            for (var r = 0; r < frame.Count; r++) yield return frame.Row(r);
        }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
