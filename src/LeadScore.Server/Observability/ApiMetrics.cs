using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace LeadScore.Server.Observability;

/// <summary>
/// The Prometheus metrics of one server instance (its own registry, so several servers in one
/// process, as in tests, do not mix their numbers): request rates and latencies per route, scores
/// served per grade, the champion model version, webhook deliveries.
/// </summary>
public sealed class ApiMetrics
{
    private readonly Histogram _requests;
    private readonly Counter _scores;
    private readonly Gauge _model;
    private readonly Counter _webhooks;
    private string? _modelVersion;

    public ApiMetrics()
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
    }

    public CollectorRegistry Registry { get; }

    public void ScoreServed(string grade) => _scores.WithLabels(grade).Inc();

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
                .Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
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
