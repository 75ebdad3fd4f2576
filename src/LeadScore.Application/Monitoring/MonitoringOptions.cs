using System.ComponentModel.DataAnnotations;

namespace LeadScore.Application.Monitoring;

/// <summary>The prediction log and monitoring over it. Bound from <c>LeadScore:Monitoring</c> and validated at start.</summary>
public sealed class MonitoringOptions
{
    public const string Section = "LeadScore:Monitoring";

    /// <summary>Whether predictions are logged at all (off: nothing is recorded, monitoring over the log has nothing to read).</summary>
    public bool PredictionLog { get; set; } = true;

    /// <summary>
    /// The share of logged predictions that keep their feature values (the rest keep probability, grade and the rest). Under high
    /// volume a sample is enough for drift; 1 keeps every row. Deterministic: every k-th prediction, not a random draw.
    /// </summary>
    [Range(0.0, 1.0)] public double FeatureSampleRate { get; set; } = 1.0;

    /// <summary>
    /// At most about this many online predictions (POST /score) a second keep their feature values; zero: no cap. A busy
    /// second's share follows the second before it (rate = this / the previous second's predictions, drawn by a hash of the
    /// prediction's sequence number) and each kept row records its weight (1 / rate), so drift over the log stays unbiased
    /// when traffic rises and falls. Every probability is logged either way. Bulk paths (re-scoring, score --csv) are not
    /// capped: they are not on a request's path. The cap is what keeps the log within 10% of POST /score's cost at
    /// thousands of requests a second (encoding and storing 140 feature values costs about as much as a light request).
    /// </summary>
    [Range(0, 1_000_000)] public int FeatureRowsPerSecond { get; set; } = 100;

    /// <summary>Predictions waiting to be written; when full, new ones are dropped and counted (a request never waits for the log).</summary>
    [Range(1, 10_000_000)] public int ChannelCapacity { get; set; } = 200_000;

    /// <summary>Rows per write to the store.</summary>
    [Range(1, 100_000)] public int WriteBatchSize { get; set; } = 5_000;

    /// <summary>
    /// How long a serving instance's writer lets predictions gather before it writes them (a pause on the real clock, not
    /// the simulated one). A busy server then writes one transaction per pause instead of one per request (each costs a
    /// connection, a transaction and its commit), and wakes its writer once per pause instead of on nearly every request.
    /// A full batch is written at once. Zero writes as soon as something waits. Predictions still in the channel when the
    /// server stops are written by the stop.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")] public TimeSpan WriteDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Days per monitoring window (the API's and CLI's default; --window overrides).</summary>
    [Range(1, 366)] public int WindowDays { get; set; } = 7;

    /// <summary>How often the leader checks for completed windows and raises alerts; zero turns the job off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")] public TimeSpan MonitoringInterval { get; set; } = TimeSpan.FromHours(1);
}
