using LeadScore.Core;

namespace LeadScore.Engine.Monitoring;

/// <summary>
/// A seeded reservoir over rows (Vitter's algorithm R): keeps at most <see cref="Capacity"/> rows of a window in
/// column arrays allocated once, whatever the number of rows fed. Feed a window (row by row or in column batches),
/// take <see cref="ToSample"/>, then <see cref="Reset"/> for the next window: memory stays flat in the rows seen.
/// The same seed and the same rows in the same order give the same sample. Not thread-safe.
/// </summary>
public sealed class WindowSampler
{
    private readonly IReadOnlyList<(string Name, FeatureKind Kind)> _schema;
    private readonly double[]?[] _numbers;
    private readonly string?[]?[] _categories;
    private readonly double[] _scores;
    private readonly string?[] _grades;
    private readonly int _seed;
    private Random _random;
    private int _kept;
    private bool _anyScore, _anyGrade;

    public WindowSampler(IReadOnlyList<(string Name, FeatureKind Kind)> schema, int capacity, int seed)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _schema = schema; Capacity = capacity; _seed = seed; _random = new Random(seed);
        _numbers = new double[]?[schema.Count];
        _categories = new string?[]?[schema.Count];
        for (var f = 0; f < schema.Count; f++)
            if (schema[f].Kind == FeatureKind.Numeric) _numbers[f] = new double[capacity];
            else _categories[f] = new string?[capacity];
        _scores = new double[capacity];
        _grades = new string?[capacity];
    }

    public int Capacity { get; }
    /// <summary>Rows fed since the last reset.</summary>
    public long Seen { get; private set; }

    /// <summary>The slot the next row goes to, or -1 when the reservoir skips it.</summary>
    private int NextSlot()
    {
        Seen++;
        if (_kept < Capacity) return _kept++;
        var j = _random.NextInt64(Seen);
        return j < Capacity ? (int)j : -1;
    }

    /// <summary>Feeds one row: a value per schema column, its probability and grade (optional).</summary>
    public void Add(ReadOnlySpan<FeatureValue> row, double score = double.NaN, string? grade = null)
    {
        if (row.Length != _schema.Count) throw new ArgumentException($"{row.Length} values for {_schema.Count} columns.", nameof(row));
        var slot = NextSlot();
        if (slot < 0) return;
        for (var f = 0; f < row.Length; f++)
            if (_numbers[f] is { } num) num[slot] = row[f].Number;
            else _categories[f]![slot] = row[f].Category;
        _scores[slot] = score; _grades[slot] = grade;
        _anyScore |= !double.IsNaN(score); _anyGrade |= grade is not null;
    }

    /// <summary>Feeds a batch given as columns (aligned with the schema by name).</summary>
    public void AddBatch(DriftSample batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var cols = new FeatureColumn[_schema.Count];
        for (var f = 0; f < _schema.Count; f++)
            cols[f] = batch.Columns.FirstOrDefault(c => c.Name == _schema[f].Name) ?? throw new ArgumentException($"The batch lacks column {_schema[f].Name}.", nameof(batch));
        var rows = batch.Rows;
        for (var i = 0; i < rows; i++)
        {
            var slot = NextSlot();
            if (slot < 0) continue;
            for (var f = 0; f < cols.Length; f++)
                if (_numbers[f] is { } num) num[slot] = cols[f].Numbers![i];
                else _categories[f]![slot] = cols[f].Categories![i];
            _scores[slot] = batch.Scores?[i] ?? double.NaN;
            _grades[slot] = batch.Grades?[i];
            _anyScore |= batch.Scores is not null; _anyGrade |= batch.Grades is not null;
        }
    }

    /// <summary>The rows kept, as a sample (copies; the sampler can be reset and reused).</summary>
    public DriftSample ToSample()
    {
        var cols = new FeatureColumn[_schema.Count];
        for (var f = 0; f < cols.Length; f++)
            cols[f] = _numbers[f] is { } num ? FeatureColumn.Numeric(_schema[f].Name, num.AsSpan(0, _kept).ToArray())
                : FeatureColumn.Categorical(_schema[f].Name, _categories[f]!.AsSpan(0, _kept).ToArray());
        return new DriftSample(cols)
        {
            Scores = _anyScore ? _scores.AsSpan(0, _kept).ToArray() : null,
            Grades = _anyGrade ? _grades.AsSpan(0, _kept).ToArray() : null,
        };
    }

    /// <summary>Forgets the window (the arrays are kept) and restarts the random sequence from the seed.</summary>
    public void Reset()
    {
        _kept = 0; Seen = 0; _anyScore = _anyGrade = false;
        _random = new Random(_seed);
    }
}
