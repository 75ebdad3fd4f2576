using LeadScore.Core;

namespace LeadScore.Engine.Monitoring;

/// <summary>
/// A seeded reservoir over rows (Vitter's algorithm R): keeps at most <see cref="Capacity"/> rows of a window in
/// column arrays allocated once, whatever the number of rows fed. Feed a window (row by row or in column batches),
/// take <see cref="ToSample"/>, then <see cref="Reset"/> for the next window: memory stays flat in the rows seen.
/// The same seed and the same rows in the same order give the same sample.
/// </summary>
public sealed class WindowSampler
{
    public WindowSampler(IReadOnlyList<(string Name, FeatureKind Kind)> schema, int capacity, int seed) => throw new NotImplementedException();

    public int Capacity { get; }
    /// <summary>Rows fed since the last reset.</summary>
    public long Seen { get; private set; }

    /// <summary>Feeds one row: a value per schema column, its probability and grade (optional).</summary>
    public void Add(ReadOnlySpan<FeatureValue> row, double score = double.NaN, string? grade = null) => throw new NotImplementedException();

    /// <summary>Feeds a batch given as columns (aligned with the schema).</summary>
    public void AddBatch(DriftSample batch) => throw new NotImplementedException();

    /// <summary>The rows kept, as a sample (copies; the sampler can be reset and reused).</summary>
    public DriftSample ToSample() => throw new NotImplementedException();

    public void Reset() => throw new NotImplementedException();
}
