using System.Runtime.CompilerServices;
using System.Threading.Channels;
using LeadScore.Core;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeadScore.Application.Monitoring;

/// <summary>
/// Records every probability LeadScore hands out or stores, off the request path: <see cref="Log"/> puts the prediction
/// (and a reference to its feature row) on a bounded channel and returns at once; a writer (the hosted
/// <c>PredictionLogWriter</c> in a server, <see cref="FlushAsync"/> in the CLI) encodes the rows and appends them to the
/// store in batches. When the channel is full the prediction is dropped and counted in <see cref="Dropped"/>: a slow
/// database costs log rows, never a request's latency or success.
/// </summary>
public sealed class PredictionLogger
{
    private readonly IPredictionLog _store;
    private readonly MonitoringOptions _options;
    private readonly ILogger _log;
    private readonly Channel<Queued> _channel;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly ConditionalWeakTable<ServableModel, FeatureRowCodec> _codecs = new();
    private long _offered, _dropped, _written, _failed;
    // The online feature budget (MonitoringOptions.FeatureRowsPerSecond): the second being counted, its predictions so far,
    // the previous second's, and the share of this second's predictions that keep their features.
    private readonly Lock _budget = new();
    private long _second = long.MinValue, _inSecond;
    private double _secondRate = 1;

    public PredictionLogger(IPredictionLog store, MonitoringOptions options, ILogger<PredictionLogger>? log = null)
    {
        _store = store;
        _options = options;
        _log = log ?? (ILogger)NullLogger.Instance;
        _channel = Channel.CreateBounded<Queued>(new BoundedChannelOptions(options.ChannelCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: false when full, never a wait
            SingleReader = false,
            SingleWriter = false,
        });
    }

    /// <summary>A prediction waiting to be written: the model's own row, encoded by the writer, not the request.</summary>
    private readonly record struct Queued(DateTimeOffset At, string? LeadId, ServableModel Model, string Slot, double Probability, string Grade, string Source,
        FeatureValue[]? Row, double Weight);

    public bool Enabled => _options.PredictionLog;

    /// <summary>Predictions dropped because the channel was full (the metric a full log shows in).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Predictions written to the store.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Predictions lost because the store refused a batch (logged as a warning).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Predictions waiting in the channel.</summary>
    public int Pending => _channel.Reader.CanCount ? _channel.Reader.Count : 0;

    /// <summary>
    /// Logs one prediction; never blocks. <paramref name="row"/> is the model's feature row as scored (kept by reference:
    /// the caller must not change it afterwards); whether its values are kept follows <see cref="MonitoringOptions.FeatureSampleRate"/>
    /// and <see cref="MonitoringOptions.FeatureRowsPerSecond"/>. Returns false when the prediction was dropped (channel full) or logging is off.
    /// </summary>
    public bool Log(DateTimeOffset at, string? leadId, ServableModel model, string slot, double probability, string grade, string source, FeatureValue[]? row)
    {
        if (!_options.PredictionLog) return false;
        var n = Interlocked.Increment(ref _offered);
        var weight = 1.0;
        if (row is not null)
        {
            if (!Sampled(n)) row = null;
            else if (_options.FeatureRowsPerSecond > 0)
            {
                // Thinned beyond the budget by an independent draw (a hash of n, not every k-th: the slots of one request
                // interleave, a stride would keep one slot's rows and never the other's).
                var rate = BudgetRate(at);
                if (rate < 1 && Unit(n) >= rate) row = null;
                else weight = 1 / rate;
            }
        }
        if (row is not null && _options.FeatureSampleRate < 1) weight /= _options.FeatureSampleRate;
        if (_channel.Writer.TryWrite(new Queued(at, leadId, model, slot, probability, grade, source, row, weight))) return true;
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>
    /// Logs one prediction of a bulk path (re-scoring, batch files): never dropped. When the channel is full the caller
    /// writes a batch itself to make room, so a CLI with no background writer, or a re-score faster than the writer, loses nothing.
    /// </summary>
    public async ValueTask LogBulkAsync(DateTimeOffset at, string? leadId, ServableModel model, string slot, double probability, string grade, string source,
        FeatureValue[]? row, CancellationToken ct = default)
    {
        if (!_options.PredictionLog) return;
        var n = Interlocked.Increment(ref _offered);
        if (row is not null && !Sampled(n)) row = null;
        var pending = new Queued(at, leadId, model, slot, probability, grade, source, row, row is not null && _options.FeatureSampleRate < 1 ? 1 / _options.FeatureSampleRate : 1);
        while (!_channel.Writer.TryWrite(pending)) await WriteBatchAsync(ct);
    }

    /// <summary>Logs a scored result of <paramref name="model"/>.</summary>
    public bool Log(LeadScoreResult result, ServableModel model, string slot, string source, DateTimeOffset at, FeatureValue[]? row, string? leadId) =>
        Log(at, leadId, model, slot, result.Probability, result.Grade, source, row);

    /// <summary>The n-th prediction keeps its features when floor(n * rate) steps up: exactly the rate, evenly spread, seedless.</summary>
    private bool Sampled(long n)
    {
        var rate = _options.FeatureSampleRate;
        if (rate >= 1) return true;
        if (rate <= 0) return false;
        return (long)Math.Floor(n * rate) != (long)Math.Floor((n - 1) * rate);
    }

    /// <summary>
    /// The share of the predictions of <paramref name="at"/>'s second that keep their features: the budget over the previous
    /// second's count (1 when the previous second had none, or fitted the budget). Predictions that arrive slightly out of
    /// order count in the current second.
    /// </summary>
    private double BudgetRate(DateTimeOffset at)
    {
        var second = at.UtcTicks / TimeSpan.TicksPerSecond;
        lock (_budget)
        {
            if (second > _second)
            {
                var previous = second == _second + 1 ? _inSecond : 0;
                // Counted are the rows FeatureSampleRate kept: the budget is of rows that keep features in the end.
                _secondRate = previous <= _options.FeatureRowsPerSecond ? 1 : (double)_options.FeatureRowsPerSecond / previous;
                _second = second;
                _inSecond = 0;
            }
            _inSecond++;
            return _secondRate;
        }
    }

    /// <summary>A uniform number in [0, 1) from the prediction's sequence number (SplitMix64's finaliser): deterministic, seedless.</summary>
    private static double Unit(long n)
    {
        var z = (ulong)n * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Waits until something is waiting to be written (false when the channel is closed).</summary>
    public ValueTask<bool> WaitToWriteAsync(CancellationToken ct) => _channel.Reader.WaitToReadAsync(ct);

    /// <summary>Writes one batch of what is waiting (up to <see cref="MonitoringOptions.WriteBatchSize"/>); returns how many were taken.</summary>
    public async Task<int> WriteBatchAsync(CancellationToken ct = default)
    {
        await _writing.WaitAsync(ct);
        try
        {
            var batch = new List<LoggedPrediction>(Math.Min(_options.WriteBatchSize, Math.Max(1, Pending)));
            while (batch.Count < _options.WriteBatchSize && _channel.Reader.TryRead(out var p)) batch.Add(ToLogged(p));
            if (batch.Count == 0) return 0;
            try
            {
                await _store.AppendPredictionsAsync(batch, ct);
                Interlocked.Add(ref _written, batch.Count);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The log must not take scoring down with it: the batch is lost, counted and reported.
                Interlocked.Add(ref _failed, batch.Count);
                MonitoringLog.PredictionBatchFailed(_log, batch.Count, ex);
            }
            return batch.Count;
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Writes everything waiting now (the CLI before it exits, a server when it stops).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        while (await WriteBatchAsync(ct) > 0) { }
    }

    private LoggedPrediction ToLogged(in Queued p) => new()
    {
        PredictedAt = p.At,
        LeadId = p.LeadId,
        ModelVersion = p.Model.Version,
        Slot = p.Slot,
        Probability = p.Probability,
        Grade = p.Grade,
        HorizonDays = p.Model.HorizonDays,
        Source = p.Source,
        Features = p.Row is { } row ? _codecs.GetValue(p.Model, m => new FeatureRowCodec(m.Engine.Encoder)).Encode(row) : null,
        FeatureWeight = p.Row is not null && p.Weight != 1 ? p.Weight : null,
    };
}

internal static partial class MonitoringLog
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Warning, Message = "The prediction log could not write {Count} predictions; they are lost")]
    public static partial void PredictionBatchFailed(ILogger log, int count, Exception ex);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Monitoring failed; retrying at the next tick")]
    public static partial void MonitoringFailed(ILogger log, Exception ex);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Monitoring raised {Kind} for {Version} ({Slot}) in the window from {WindowStart:u}")]
    public static partial void AlertRaised(ILogger log, string kind, string version, string slot, DateTimeOffset windowStart);
}
