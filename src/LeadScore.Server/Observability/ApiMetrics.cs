using System.Diagnostics;
using LeadScore.Application.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace LeadScore.Server.Observability;

/// <summary>
/// The Prometheus metrics of one server instance (its own registry, so several servers in one
/// process, as in tests, do not mix their numbers): request rates and latencies per route, scores
/// served per grade, the champion model version, webhook deliveries; monitoring (dataset drift, drifted importance share,
/// estimated and realized AUC of the last window, open alerts, per slot, as this instance last computed them) and the
/// prediction log's counters, read when Prometheus scrapes.
/// </summary>
public sealed class ApiMetrics
{
    private readonly Histogram _requests;
    private readonly Counter _scores;
    private readonly Gauge _model;
    private readonly Counter _webhooks;
    private string? _modelVersion;
    private readonly Gauge _drift, _driftShare, _estimatedAuc, _realizedAuc, _openAlerts, _logPending;
    private readonly Gauge _logWritten, _logDropped, _logFailed;

    public ApiMetrics(PredictionLogger? predictionLog = null, MonitoringStatus? monitoring = null)
    {
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        _requests = f.CreateHistogram("leadscore_http_request_duration_seconds", "HTTP requests by route and status code, with their latency.",
            new HistogramConfiguration
            {
                LabelNames = ["method", "route", "code"],
                Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            });
        _scores = f.CreateCounter("leadscore_scores_served_total", "Scores computed, by grade.", new CounterConfiguration { LabelNames = ["grade"] });
        _model = f.CreateGauge("leadscore_model_info", "The champion model version serving scores (value 1).", new GaugeConfiguration { LabelNames = ["version"] });
        _webhooks = f.CreateCounter("leadscore_webhook_deliveries_total", "Webhook delivery attempts by outcome (delivered, retry, parked).",
            new CounterConfiguration { LabelNames = ["outcome"] });

        var slot = new GaugeConfiguration { LabelNames = ["slot", "version"] };
        _drift = f.CreateGauge("leadscore_monitoring_dataset_drift", "1 when the last monitored window shows dataset drift, else 0.", slot);
        _driftShare = f.CreateGauge("leadscore_monitoring_drifted_importance_share", "Share of the model's importance carried by the drifted features in the last monitored window (0-1).", slot);
        _estimatedAuc = f.CreateGauge("leadscore_monitoring_estimated_auc", "CBPE-estimated AUC of the last window's predictions.", slot);
        _realizedAuc = f.CreateGauge("leadscore_monitoring_realized_auc", "Realized AUC of the last window whose cohort has matured outcomes.", slot);
        _openAlerts = f.CreateGauge("leadscore_monitoring_open_alerts", "Alerts of the model serving in the slot (closed when it is replaced), by kind.",
            new GaugeConfiguration { LabelNames = ["slot", "version", "kind"] });
        // The logger's own counts (monotonic in the process): exported as gauges set at scrape time, named as counters.
        _logWritten = f.CreateGauge("leadscore_prediction_log_written_total", "Predictions written to the prediction log by this instance.");
        _logDropped = f.CreateGauge("leadscore_prediction_log_dropped_total", "Predictions dropped because the log's channel was full.");
        _logFailed = f.CreateGauge("leadscore_prediction_log_failed_total", "Predictions lost because the store refused a batch.");
        _logPending = f.CreateGauge("leadscore_prediction_log_pending", "Predictions waiting in the channel to be written.");
        if (predictionLog is not null || monitoring is not null)
            Registry.AddBeforeCollectCallback(() => Observe(predictionLog, monitoring));
    }

    private readonly HashSet<string[]> _slotLabels = new(new LabelsComparer());

    /// <summary>Copies the logger's counters and the latest monitoring figures into the gauges (before each scrape).</summary>
    private void Observe(PredictionLogger? log, MonitoringStatus? monitoring)
    {
        if (log is not null)
        {
            _logWritten.Set(log.Written);
            _logDropped.Set(log.Dropped);
            _logFailed.Set(log.Failed);
            _logPending.Set(log.Pending);
        }
        if (monitoring is null) return;
        lock (_slotLabels)
        {
            // Series of a slot or version no longer monitored go away rather than freeze at their last value.
            foreach (var l in _slotLabels)
            {
                if (l.Length == 2) { _drift.RemoveLabelled(l); _driftShare.RemoveLabelled(l); _estimatedAuc.RemoveLabelled(l); _realizedAuc.RemoveLabelled(l); }
                else _openAlerts.RemoveLabelled(l);
            }
            _slotLabels.Clear();
            foreach (var s in monitoring.Slots)
            {
                string[] l = [s.Slot, s.ModelVersion];
                _slotLabels.Add(l);
                if (s.DatasetDrift is { } d) _drift.WithLabels(l).Set(d ? 1 : 0);
                if (s.DriftedImportanceShare is { } share) _driftShare.WithLabels(l).Set(share);
                if (s.EstimatedAuc is { } e) _estimatedAuc.WithLabels(l).Set(e);
                if (s.RealizedAuc is { } r) _realizedAuc.WithLabels(l).Set(r);
                foreach (var (kind, n) in s.OpenAlerts)
                {
                    string[] k = [s.Slot, s.ModelVersion, kind];
                    _slotLabels.Add(k);
                    _openAlerts.WithLabels(k).Set(n);
                }
            }
        }
    }

    private sealed class LabelsComparer : IEqualityComparer<string[]>
    {
        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);
        public int GetHashCode(string[] obj) => string.Join('\u0001', obj).GetHashCode(StringComparison.Ordinal);
    }

    public CollectorRegistry Registry { get; }

    // Exemplars (a trace id per observation) would be read from the request's Activity on every call, yet the text format
    // this server exports never carries them: the hot path records none.
    public void ScoreServed(string grade) => _scores.WithLabels(grade).Inc(1, Exemplar.None);

    public void WebhookDelivery(string outcome) => _webhooks.WithLabels(outcome).Inc();

    /// <summary>Keeps exactly one version labelled as serving.</summary>
    public void ModelServing(string? version)
    {
        lock (_model)
        {
            if (_modelVersion == version) return;
            if (_modelVersion is not null) _model.RemoveLabelled(_modelVersion);
            if (version is not null) _model.WithLabels(version).Set(1);
            _modelVersion = version;
        }
    }

    /// <summary>Times every request; labelled by route template so ids do not explode the label set.</summary>
    public RequestDelegate Middleware(RequestDelegate next) => async context =>
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            // Every label has a bounded set of values: the method and path are the client's to choose (before
            // authentication), so they are mapped onto the known methods and the route templates.
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            _requests.WithLabels(MethodLabel(context.Request.Method), route, StatusText(context.Response.StatusCode))
                .Observe(Stopwatch.GetElapsedTime(start).TotalSeconds, Exemplar.None);
        }
    };

    /// <summary>The method as a label: one of the seven the API knows (interned strings, no allocation), else "other".</summary>
    internal static string MethodLabel(string method) => method switch
    {
        _ when HttpMethods.IsGet(method) => HttpMethods.Get,
        _ when HttpMethods.IsPost(method) => HttpMethods.Post,
        _ when HttpMethods.IsPut(method) => HttpMethods.Put,
        _ when HttpMethods.IsPatch(method) => HttpMethods.Patch,
        _ when HttpMethods.IsDelete(method) => HttpMethods.Delete,
        _ when HttpMethods.IsHead(method) => HttpMethods.Head,
        _ when HttpMethods.IsOptions(method) => HttpMethods.Options,
        _ => "other",
    };

    private static readonly string[] Codes = Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    /// <summary>The status code as a label: 100-599 as is (the server chooses them, not the client), else "other".</summary>
    private static string StatusText(int code) => code is >= 100 and < 600 ? Codes[code] : "other";

    public async Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
    }
}
