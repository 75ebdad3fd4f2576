namespace LeadScore.Storage;

/// <summary>
/// The prediction log: every probability LeadScore handed out or stored, with the model, slot and the feature values
/// drift monitoring compares with the model's reference. Append-only; read window by window, in time order.
/// </summary>
public interface IPredictionLog
{
    /// <summary>Appends a batch of predictions (one transaction; the fastest bulk path of each backend).</summary>
    Task AppendPredictionsAsync(IReadOnlyList<LoggedPrediction> predictions, CancellationToken ct = default);

    /// <summary>
    /// The predictions made in [<paramref name="from"/>, <paramref name="to"/>), oldest first (ties by insertion), optionally
    /// of one model version and one slot. Streamed through one connection: memory does not grow with the window.
    /// </summary>
    IAsyncEnumerable<LoggedPrediction> StreamPredictionsAsync(DateTimeOffset from, DateTimeOffset to, string? modelVersion = null, string? slot = null,
        CancellationToken ct = default);

    /// <summary>
    /// The same rows as <see cref="StreamPredictionsAsync"/> for one model version and slot, through a forward-only cursor
    /// that materialises nothing per row: the reader takes the columns it needs and copies the feature bytes only of the rows
    /// it keeps (monitoring keeps a reservoir of a few thousand of a window's rows; the rest are never copied).
    /// </summary>
    Task<PredictionCursor> OpenPredictionCursorAsync(DateTimeOffset from, DateTimeOffset to, string modelVersion, string slot, CancellationToken ct = default);

    /// <summary>The first and last prediction time (of one model version and slot when given), or null when none is logged.</summary>
    Task<(DateTimeOffset First, DateTimeOffset Last)?> GetPredictionSpanAsync(string? modelVersion = null, string? slot = null, CancellationToken ct = default);

    /// <summary>How many predictions are logged (of one model version when given).</summary>
    Task<long> CountPredictionsAsync(string? modelVersion = null, CancellationToken ct = default);

    /// <summary>Deletes the predictions made before <paramref name="cutoff"/> (the retention job); returns how many. With
    /// <paramref name="dryRun"/> nothing is deleted and the count is of the rows that would be.</summary>
    Task<long> DeletePredictionsOlderThanAsync(DateTimeOffset cutoff, bool dryRun = false, CancellationToken ct = default);
}

/// <summary>
/// A forward-only reader over logged predictions of one model and slot, oldest first (see
/// <see cref="IPredictionLog.OpenPredictionCursorAsync"/>). The current row's columns are read when asked for; the strings
/// allocate when read, the feature bytes are copied only by <see cref="CopyFeatures"/>. Not thread-safe; dispose it.
/// </summary>
public abstract class PredictionCursor : IAsyncDisposable
{
    /// <summary>Moves to the next row; false at the end.</summary>
    public abstract ValueTask<bool> ReadAsync(CancellationToken ct = default);
    public abstract DateTimeOffset PredictedAt { get; }
    /// <summary>The lead's id, or null (reads the column: a new string each time).</summary>
    public abstract string? LeadId { get; }
    public abstract double Probability { get; }
    /// <summary>The grade (one shared string per distinct grade).</summary>
    public abstract string Grade { get; }
    public abstract double? HorizonDays { get; }
    /// <summary>The length of the stored feature row in bytes; 0 when it was not sampled.</summary>
    public abstract int FeatureBytes { get; }
    /// <summary>How many predictions the row's features stand for (<see cref="LoggedPrediction.FeatureWeight"/>; 1 when not stored).</summary>
    public abstract double FeatureWeight { get; }
    /// <summary>Copies the feature row into <paramref name="into"/> (at least <see cref="FeatureBytes"/> long).</summary>
    public abstract void CopyFeatures(byte[] into);
    public abstract ValueTask DisposeAsync();
}

/// <summary>Where a logged prediction was made: the served slot and the path that asked for it.</summary>
public static class PredictionSlots
{
    public const string Champion = "champion";
    public const string Challenger = "challenger";
    public const string Shadow = "shadow";
    /// <summary>A version named explicitly (score --csv --model v3) that serves in no slot.</summary>
    public const string Explicit = "explicit";
}

/// <summary>The path that produced a logged prediction.</summary>
public static class PredictionSources
{
    /// <summary>POST /api/v1/score and /score/batch.</summary>
    public const string Api = "api";
    /// <summary>Stored leads re-scored (new data, a new model, time passing, score --all).</summary>
    public const string Rescore = "rescore";
    /// <summary>The CLI's score --csv.</summary>
    public const string Batch = "batch";
}

/// <summary>One logged prediction.</summary>
public sealed record LoggedPrediction
{
    public required DateTimeOffset PredictedAt { get; init; }
    /// <summary>The lead's id when the caller gave one (stored leads, API requests with an id, CSV rows with an id column).</summary>
    public string? LeadId { get; init; }
    public required string ModelVersion { get; init; }
    /// <summary>One of <see cref="PredictionSlots"/>.</summary>
    public required string Slot { get; init; }
    public required double Probability { get; init; }
    public required string Grade { get; init; }
    /// <summary>The model's horizon in days (label: converted within it); null for models without one.</summary>
    public double? HorizonDays { get; init; }
    /// <summary>One of <see cref="PredictionSources"/>.</summary>
    public required string Source { get; init; }
    /// <summary>
    /// The feature values in the model's feature order, compactly (the Engine's FeatureRowCodec format: one float32 each);
    /// null when the row was not sampled.
    /// </summary>
    public byte[]? Features { get; init; }
    /// <summary>
    /// How many predictions this feature row stands for: 1 / the probability that the prediction kept its features (the
    /// sample rate in force when it was logged); null means 1. Drift monitoring weighs its reservoir by it.
    /// </summary>
    public double? FeatureWeight { get; init; }
}
