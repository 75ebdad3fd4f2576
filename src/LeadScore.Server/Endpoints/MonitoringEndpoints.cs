using System.Globalization;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Server.Api;
using LeadScore.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LeadScore.Server.Endpoints;

/// <summary>
/// Monitoring over the prediction log (the <c>monitoring</c> scope, or admin): drift and performance per window, computed
/// now by <see cref="MonitoringService"/> (read only: these GETs never raise alerts; the leader's periodic job and
/// <c>leadscore monitor</c> do), and the stored alerts.
/// </summary>
public static class MonitoringEndpoints
{
    private static readonly string[] SlotNames = [PredictionSlots.Champion, PredictionSlots.Challenger, PredictionSlots.Shadow];

    public static IEndpointRouteBuilder MapMonitoringEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapApiGroup("/monitoring", ApiScopes.Monitoring, "Monitoring");
        g.MapGet("/drift", DriftAsync).WithName("MonitoringDrift")
            .WithSummary("Data drift per window against the model's reference: ?window=7&since=2026-06-01&slot=champion&model=v3. The latest window's verdict (dataset_drift, features, score_drift) is at the top.");
        g.MapGet("/performance", PerformanceAsync).WithName("MonitoringPerformance")
            .WithSummary("Performance per window: CBPE-estimated AUC for every cohort, realized AUC, PR-AUC, ECE, lift and calibration per grade once outcomes are in, the concept-drift verdict on matured cohorts.");
        g.MapGet("/fairness", FairnessAsync).WithName("MonitoringFairness")
            .WithSummary("Fairness on live leads per window (?window=7&since=...&slot=...&model=...): per group of each declared attribute the A/B share and its ratio to the best group (80% rule), TPR/FPR and their gaps on matured outcomes, group sizes (figures under the minimum size are null), and the groups over a threshold.");
        g.MapGet("/alerts", AlertsAsync).WithName("MonitoringAlerts")
            .WithSummary("Stored alerts (drift_detected, performance_dropped, fairness_alert), newest window first: ?since=2026-06-01&limit=100 (limit 1-1000).");
        return app;
    }

    /// <summary>The query of /drift and /performance, checked (the field and reason of the first bad value otherwise).</summary>
    internal static ValidationProblem? Parse(string? window, string? since, string? slot, string? model, MonitoringOptions options, out MonitoringRequest request)
    {
        request = new MonitoringRequest { RaiseAlerts = false, WindowDays = options.WindowDays };
        if (window is not null)
        {
            if (!int.TryParse(window, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days is < 1 or > 366)
                return ApiResults.Invalid("window", "must be a whole number of days from 1 to 366");
            request = request with { WindowDays = days };
        }
        if (since is not null)
        {
            if (!TryParseTime(since, out var t)) return ApiResults.Invalid("since", "must be a date (2026-12-01) or an ISO 8601 time");
            request = request with { Since = t };
        }
        if (slot is not null)
        {
            if (!SlotNames.Contains(slot, StringComparer.Ordinal)) return ApiResults.Invalid("slot", $"must be one of {string.Join(", ", SlotNames)}");
            request = request with { Slot = slot };
        }
        if (model is not null)
        {
            if (model.Length is 0 or > 200) return ApiResults.Invalid("model", "must be a model version (1-200 characters)");
            request = request with { ModelVersion = model };
        }
        return null;
    }

    internal static bool TryParseTime(string s, out DateTimeOffset t) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out t);

    internal static async Task<Results<Ok<MonitoringDriftView>, ValidationProblem>> DriftAsync(string? window, string? since, string? slot, string? model,
        MonitoringService monitoring, MonitoringOptions options, CancellationToken ct)
    {
        if (Parse(window, since, slot, model, options, out var request) is { } bad) return bad;
        return TypedResults.Ok(MonitoringViews.Drift(await monitoring.RunAsync(request, ct)));
    }

    internal static async Task<Results<Ok<MonitoringPerformanceView>, ValidationProblem>> PerformanceAsync(string? window, string? since, string? slot, string? model,
        MonitoringService monitoring, MonitoringOptions options, CancellationToken ct)
    {
        if (Parse(window, since, slot, model, options, out var request) is { } bad) return bad;
        return TypedResults.Ok(MonitoringViews.Performance(await monitoring.RunAsync(request, ct)));
    }

    internal static async Task<Results<Ok<MonitoringFairnessView>, ValidationProblem>> FairnessAsync(string? window, string? since, string? slot, string? model,
        MonitoringService monitoring, MonitoringOptions options, CancellationToken ct)
    {
        if (Parse(window, since, slot, model, options, out var request) is { } bad) return bad;
        return TypedResults.Ok(MonitoringViews.Fairness(await monitoring.RunAsync(request, ct)));
    }

    internal static async Task<Results<Ok<MonitoringAlertsView>, ValidationProblem>> AlertsAsync(string? since, string? limit, IMonitoringAlerts alerts, CancellationToken ct)
    {
        DateTimeOffset? from = null;
        if (since is not null)
        {
            if (!TryParseTime(since, out var t)) return ApiResults.Invalid("since", "must be a date (2026-12-01) or an ISO 8601 time");
            from = t;
        }
        var n = 100;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > 1000))
            return ApiResults.Invalid("limit", "must be a whole number from 1 to 1000");
        return TypedResults.Ok(new MonitoringAlertsView((await alerts.ListAlertsAsync(from, n, ct)).Select(MonitoringViews.Alert).ToList()));
    }
}
