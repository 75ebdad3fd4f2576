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

    /// <summary>The first and last prediction time (of one model version and slot when given), or null when none is logged.</summary>
    Task<(DateTimeOffset First, DateTimeOffset Last)?> GetPredictionSpanAsync(string? modelVersion = null, string? slot = null, CancellationToken ct = default);

    /// <summary>How many predictions are logged (of one model version when given).</summary>
    Task<long> CountPredictionsAsync(string? modelVersion = null, CancellationToken ct = default);

    /// <summary>Deletes the predictions made before <paramref name="cutoff"/> (the retention job); returns how many.</summary>
    Task<long> DeletePredictionsOlderThanAsync(DateTimeOffset cutoff, CancellationToken ct = default);
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
}
