using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Engine.Monitoring;

namespace LeadScore.Cli.Commands;

/// <summary>
/// <c>leadscore monitor</c>: drift and performance checks. With <c>--reference FILE --current FILE</c> (the flat-file
/// mode) both files are scored like <c>score --csv</c> and compared. Without them (the log mode) the prediction log is
/// monitored for the champion (or <c>--slot</c>, <c>--model</c>) in windows of <c>--window</c> days: drift against the
/// model's reference, realized and estimated performance per cohort, and the alerts of completed windows (stored once,
/// sent to the drift_detected / performance_dropped webhooks).
/// </summary>
internal static class MonitorCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var o = new MonitorOptions();
        var cmd = new Command("monitor", "Check a model for drift and performance over the prediction log (--window, --since), or between two files (--reference/--current)");
        foreach (var opt in o.All) cmd.Options.Add(opt);
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(o.Reference) is not null || parse.GetValue(o.Current) is not null)
                return await RunFlatAsync(global, console, o, parse, ct);
            return await RunLogAsync(global, console, o, parse, ct);
        });
        return cmd;
    }

    /// <summary>The options of every mode; a mode reads the ones it needs.</summary>
    internal sealed class MonitorOptions
    {
        public readonly Option<string?> Reference = new("--reference") { Description = "CSV of the leads the model is compared against (e.g. its training period)" };
        public readonly Option<string?> Current = new("--current") { Description = "CSV of the leads seen now" };
        public readonly Option<string?> Sep = new("--sep") { Description = "Field separator of both files (default: the model's, else sniffed)" };
        public readonly Option<string?> Model = new("--model") { Description = "Model version or alias to score with (default: the champion)" };
        public readonly Option<string?> Target = new("--target") { Description = "Outcome column of --current, for realized performance" };
        public readonly Option<string?> Positive = new("--positive") { Description = "Value of --target that means converted" };
        public readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of a table" };
        public readonly Option<string?> Report = new("--report") { Description = "Write an HTML monitoring report into this folder" };
        public readonly Option<double> Share = new("--drift-share") { Description = "Dataset drift when drifted features carry at least this share of the importance", DefaultValueFactory = _ => 0.5 };
        public readonly Option<int> Seed = new("--seed") { Description = "Seed of the samples and the domain classifier", DefaultValueFactory = _ => 42 };
        public readonly Option<int?> Window = new("--window") { Description = "Log mode: days per window (default LeadScore:Monitoring:WindowDays, 7)" };
        public readonly Option<string?> Since = new("--since") { Description = "Log mode: start of the first window, a date (2026-06-01) or ISO time (default: the first logged prediction)" };
        public readonly Option<string?> Slot = new("--slot") { Description = "Log mode: champion (default), challenger or shadow" };
        public Option[] All => [Reference, Current, Sep, Model, Target, Positive, Json, Report, Share, Seed, Window, Since, Slot];
    }

    private static readonly string[] SlotNames = [Storage.PredictionSlots.Champion, Storage.PredictionSlots.Challenger, Storage.PredictionSlots.Shadow];

    private static async Task<int> RunLogAsync(GlobalOptions global, CliConsole console, MonitorOptions o, ParseResult parse, CancellationToken ct)
    {
        foreach (var flatOnly in new Option[] { o.Sep, o.Target, o.Positive })
            if (parse.GetResult(flatOnly) is not null) throw new LeadScoreException($"{flatOnly.Name} belongs to the file mode: give --reference FILE and --current FILE with it", flatOnly.Name.TrimStart('-'));
        var window = parse.GetValue(o.Window);
        if (window is < 1 or > 366) throw new LeadScoreException("--window must be a whole number of days from 1 to 366", "window");
        DateTimeOffset? since = null;
        if (parse.GetValue(o.Since) is { } s)
        {
            if (!DateTimeOffset.TryParse(s, Inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
                throw new LeadScoreException($"--since '{CliErrors.Printable(s)}' is not a date (2026-06-01) or an ISO 8601 time", "since");
            since = t;
        }
        var slot = parse.GetValue(o.Slot) ?? Storage.PredictionSlots.Champion;
        if (!SlotNames.Contains(slot, StringComparer.Ordinal)) throw new LeadScoreException($"--slot must be one of {string.Join(", ", SlotNames)}", "slot");
        await using var host = await CliHost.OpenAsync(global, parse, ct);
        var requested = parse.GetValue(o.Model);
        if (requested is not null) requested = await host.Get<ModelRegistry>().ResolveAsync(requested, ct);
        var request = new MonitoringRequest
        {
            WindowDays = window ?? host.Get<MonitoringOptions>().WindowDays, Since = since, Slot = slot, ModelVersion = requested, RaiseAlerts = true,
        };
        var result = await console.StepAsync($"monitoring {requested ?? slot} over the prediction log", _ => host.Get<MonitoringService>().RunAsync(request, ct));
        string? reportPath = null;
        if (parse.GetValue(o.Report) is { } dir && result.LatestDrift is not null)
            reportPath = MonitoringLogReport.Write(result, Path.GetFullPath(dir), host.Get<TimeProvider>());
        if (parse.GetValue(o.Json))
        {
            console.Line(JsonSerializer.Serialize(MonitoringViews.Log(result, reportPath), MonitoringJsonContext.Default.MonitorLogView));
            return ExitCodes.Ok;
        }
        PrintLog(console, result, reportPath);
        if (parse.GetValue(o.Report) is not null && reportPath is null) console.Warn("no report: no window has predictions with feature values to compare");
        return ExitCodes.Ok;
    }

    private static void PrintLog(CliConsole console, MonitoringResult r, string? reportPath)
    {
        if (r.Message is { } m && r.Windows.Count == 0)
        {
            console.Line(CliErrors.Printable(m));
            return;
        }
        console.Line(string.Create(Inv, $"Model {r.ModelVersion} ({r.Slot}): {r.Windows.Count} window(s) of {r.WindowDays} day(s), held-out AUC {Fmt(r.HeldOutAuc)}"));
        console.Line("");
        console.Line($"{"window",-10} {"predictions",11} {"drifted",8} {"dataset",8} {"est. AUC",9} {"real. AUC",9} {"matured",8}  concept");
        foreach (var w in r.Windows)
        {
            var d = w.Drift;
            console.Line(string.Create(Inv, $"{w.Start:yyyy-MM-dd}{(w.Complete ? " " : "*")} {w.Predictions,11:N0} {(d is null ? "-" : $"{d.DriftedFeatures}/{d.Features.Count}"),8} {(d is null ? "-" : d.DatasetDrift ? "DRIFT" : "no"),8} {(w.Estimated is { } e ? Fmt(e.Auc) : "-"),9} {(w.Realized is { } re ? Fmt(re.Auc) : "-"),9} {w.MaturedRows,8:N0}  {(w.Concept is { } k ? (k.Dropped ? "DROPPED" : "ok") : "")}"));
        }
        if (r.Windows.Any(w => !w.Complete)) console.Line("* the window has not ended yet");
        if (r.LatestDrift is { Drift: { } latest } lw)
        {
            console.Line("");
            console.Line(string.Create(Inv, $"Latest window ({lw.Start:yyyy-MM-dd}): dataset drift {(latest.DatasetDrift ? "YES" : "no")}, {latest.DriftedFeatures} of {latest.Features.Count} features drifted, carrying {latest.DriftedImportanceShare * 100:0}% of the importance"));
            foreach (var f in latest.Features.Where(f => f.Drifted)) console.Line($"  {f.Explanation}");
            if (latest.ScoreDrift is { } sd) console.Line($"Score: {sd.Explanation}");
        }
        PrintFairness(console, r);
        if (r.NewAlerts.Count > 0)
        {
            console.Line("");
            console.Line($"New alerts ({r.NewAlerts.Count}):");
            foreach (var a in r.NewAlerts) console.Line(string.Create(Inv, $"  {a.Kind} {a.WindowStart:yyyy-MM-dd}: {a.Message}"));
        }
        if (reportPath is not null) console.Line($"Report: {reportPath}");
    }

    /// <summary>The latest window's fairness on live leads: per declared attribute and group, the A/B share, ratio, TPR and FPR gaps.</summary>
    private static void PrintFairness(CliConsole console, MonitoringResult r)
    {
        var view = MonitoringViews.Fairness(r);
        console.Line("");
        if (view.Latest is not { } w)
        {
            console.Line($"Fairness: {view.Message}");
            return;
        }
        string P(double? v) => v is { } x ? (x * 100).ToString("0.0", Inv) + "%" : "-";
        string F(double? v) => v is { } x ? x.ToString("0.00", Inv) : "-";
        console.Line(string.Create(Inv, $"Fairness, latest window ({w.Start:yyyy-MM-dd}): {w.Leads:N0} leads, {w.Matured:N0} matured; alert below a {view.RatioThreshold:0.##} ratio or above a {view.GapThreshold:0.##} gap, groups of {view.MinGroupSize}+ ({view.AttributesFrom})"));
        foreach (var a in w.Attributes)
        {
            console.Line(string.Create(Inv, $"  {a.Attribute} ({a.Role}): lowest ratio {F(a.LowestRatio)}, equalized-odds difference {F(a.EqualizedOddsDifference)}{(a.GroupsTooFew > 0 ? $", {a.GroupsTooFew} group(s) too few to show" : "")}"));
            console.Line($"    {"group",-16} {"leads",7} {"A/B",7} {"ratio",6} {"TPR gap",8} {"FPR gap",8}");
            foreach (var g in a.Groups.Where(g => !g.TooFew))
                console.Line(string.Create(Inv, $"    {CliErrors.Printable(g.Group),-16} {g.Rows,7:N0} {P(g.AbShare),7} {F(g.AbRatio),6} {F(g.TprGap),8} {F(g.FprGap),8}{(g.Alert ? "  ALERT" : "")}"));
        }
        foreach (var sentence in w.Alerts) console.Line($"  {CliErrors.Printable(sentence)}");
    }

    private static async Task<int> RunFlatAsync(GlobalOptions global, CliConsole console, MonitorOptions o, ParseResult parse, CancellationToken ct)
    {
        var refPath = parse.GetValue(o.Reference) ?? throw new LeadScoreException("--current needs --reference FILE (the file to compare against)", "reference");
        var curPath = parse.GetValue(o.Current) ?? throw new LeadScoreException("--reference needs --current FILE (the file to check)", "current");
        var share = parse.GetValue(o.Share);
        if (share is <= 0 or > 1) throw new LeadScoreException("--drift-share must be in (0, 1]", "drift-share");
        await using var host = await CliHost.OpenAsync(global, parse, ct);
        var requested = parse.GetValue(o.Model);
        if (requested is not null) requested = await host.Get<ModelRegistry>().ResolveAsync(requested, ct);
        var request = new FlatMonitorRequest
        {
            ReferencePath = refPath, CurrentPath = curPath, Separator = TrainCommand.ParseSeparator(parse.GetValue(o.Sep)),
            ModelVersion = requested, Target = parse.GetValue(o.Target), Positive = parse.GetValue(o.Positive),
            Options = new DriftOptions { DatasetDriftShare = share, Seed = parse.GetValue(o.Seed) },
        };
        var result = await console.StepAsync($"scoring and comparing {Path.GetFileName(curPath)} with {Path.GetFileName(refPath)}", _ => FlatFileMonitor.RunAsync(host.Store, request, ct));
        foreach (var s in result.Skipped.First) console.Warn(CliErrors.Printable(s));
        if (result.Skipped.Count > result.Skipped.First.Count) console.Warn($"skipped {result.Skipped.Count:N0} malformed row(s) in all");
        string? reportPath = null;
        if (parse.GetValue(o.Report) is { } dir)
            reportPath = FlatFileMonitor.WriteReport(result, request, Path.GetFullPath(dir), host.Get<TimeProvider>());
        if (parse.GetValue(o.Json)) console.Line(ToJson(result, reportPath).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else PrintTable(console, result, reportPath);
        return ExitCodes.Ok;
    }

    private static JsonNode? Num(double? v) => v is { } x && double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;

    internal static JsonObject FeatureJson(FeatureDrift f) => new()
    {
        ["feature"] = f.Feature,
        ["kind"] = f.Kind == FeatureKind.Numeric ? "numeric" : "categorical",
        ["test"] = DriftEngine.TestCode(f.Test),
        ["statistic"] = double.IsPositiveInfinity(f.Statistic) ? JsonValue.Create("inf") : Num(f.Statistic),
        ["p_value"] = Num(f.PValue),
        ["threshold"] = Num(f.Threshold),
        ["drifted"] = f.Drifted,
        ["psi"] = Num(f.Psi),
        ["psi_drifted"] = f.PsiDrifted,
        ["reference_mean"] = Num(f.Reference.Mean),
        ["current_mean"] = Num(f.Current.Mean),
        ["reference_missing"] = f.Reference.Missing,
        ["current_missing"] = f.Current.Missing,
        ["explanation"] = f.Explanation,
    };

    internal static JsonObject ToJson(FlatMonitorResult r, string? reportPath)
    {
        var d = r.Drift;
        var json = new JsonObject
        {
            ["model"] = r.ModelVersion,
            ["reference_rows"] = r.ReferenceRowsRead,
            ["current_rows"] = r.CurrentRowsRead,
            ["dataset_drift"] = d.DatasetDrift,
            ["drifted_features"] = d.DriftedFeatures,
            ["drifted_importance_share"] = Num(d.DriftedImportanceShare),
            ["drift_share_threshold"] = Num(d.DatasetDriftShare),
            ["features"] = new JsonArray(d.Features.Select(f => (JsonNode)FeatureJson(f)).ToArray()),
            ["score_drift"] = d.ScoreDrift is { } s ? FeatureJson(s) : null,
            ["grade_mix_drift"] = d.GradeMixDrift is { } g ? new JsonObject
            {
                ["test"] = "chisquare", ["statistic"] = Num(g.Statistic), ["p_value"] = Num(g.PValue), ["threshold"] = Num(g.Threshold), ["drifted"] = g.Drifted,
                ["reference"] = new JsonObject(g.ReferenceCounts.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => KeyValuePair.Create(k.Key, (JsonNode?)k.Value))),
                ["current"] = new JsonObject(g.CurrentCounts.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => KeyValuePair.Create(k.Key, (JsonNode?)k.Value))),
                ["explanation"] = g.Explanation,
            } : null,
            ["multivariate"] = d.Multivariate is { } m ? new JsonObject
            {
                ["method"] = "domain_classifier", ["auc"] = Num(m.Auc), ["threshold"] = Num(m.Threshold), ["drifted"] = m.Drifted,
                ["top_features"] = new JsonArray(m.TopFeatures.Select(t => (JsonNode)new JsonObject { ["feature"] = t.Feature, ["weight"] = Num(t.Weight) }).ToArray()),
                ["explanation"] = m.Explanation,
            } : null,
            ["performance"] = new JsonObject
            {
                ["auc"] = Num(r.Realized?.Auc),
                ["estimated_auc"] = Num(r.Estimated.Auc),
                ["ece"] = Num(r.Realized?.Ece),
                ["pr_auc"] = Num(r.Realized?.PrAuc),
                ["lift_at_10"] = Num(r.Realized?.LiftAt10),
                ["labelled_rows"] = r.Realized?.Rows,
                ["card_auc"] = Num(r.CardAuc),
                ["threshold"] = Num(r.Estimated.Threshold),
                ["estimated_precision"] = Num(r.Estimated.Precision),
                ["estimated_recall"] = Num(r.Estimated.Recall),
                ["calibration_per_grade"] = r.Realized is { } re ? new JsonArray(re.CalibrationPerGrade.Select(c => (JsonNode)new JsonObject
                {
                    ["grade"] = c.Grade, ["rows"] = c.Rows, ["mean_predicted"] = Num(c.MeanPredicted), ["observed_rate"] = Num(c.ObservedRate),
                }).ToArray()) : null,
            },
            ["report"] = reportPath,
        };
        return json;
    }

    private static void PrintTable(CliConsole console, FlatMonitorResult r, string? reportPath)
    {
        var d = r.Drift;
        console.Line($"Model {r.ModelVersion}: {r.CurrentRowsRead:N0} current rows against {r.ReferenceRowsRead:N0} reference rows");
        console.Line(string.Create(Inv, $"Dataset drift: {(d.DatasetDrift ? "YES" : "no")} ({d.DriftedFeatures} of {d.Features.Count} features drifted, carrying {d.DriftedImportanceShare * 100:0}% of the importance; threshold {d.DatasetDriftShare * 100:0}%)"));
        console.Line("");
        var width = Math.Max(8, d.Features.Max(f => f.Feature.Length));
        console.Line($"{"feature".PadRight(width)}  {"test",-14} {"statistic",10} {"p-value",10} {"threshold",9} {"PSI",7}  drifted");
        foreach (var f in d.Features.OrderByDescending(f => f.Drifted).ThenByDescending(f => f.Psi))
            console.Line(string.Create(Inv, $"{f.Feature.PadRight(width)}  {DriftEngine.TestName(f.Test),-14} {Fmt(f.Statistic),10} {(f.PValue is { } p ? Fmt(p) : "-"),10} {Fmt(f.Threshold),9} {Fmt(f.Psi),7}  {(f.Drifted ? "yes" : "")}"));
        console.Line("");
        foreach (var f in d.Features.Where(f => f.Drifted)) console.Line($"  {f.Explanation}");
        if (d.ScoreDrift is { } s) console.Line($"Score: {s.Explanation}");
        if (d.GradeMixDrift is { } g) console.Line(g.Explanation);
        if (d.Multivariate is { } m) console.Line(m.Explanation);
        var perf = r.Realized is { } re
            ? string.Create(Inv, $"Performance: AUC {Fmt(re.Auc)} (estimated {Fmt(r.Estimated.Auc)}{(r.CardAuc is { } c ? $", model card {Fmt(c)}" : "")}), PR-AUC {Fmt(re.PrAuc)}, ECE {Fmt(re.Ece)}, lift at 10% {Fmt(re.LiftAt10)}")
            : string.Create(Inv, $"Performance (estimated, no outcomes given): AUC {Fmt(r.Estimated.Auc)}{(r.CardAuc is { } c2 ? $" (model card {Fmt(c2)})" : "")}");
        console.Line(perf);
        if (reportPath is not null) console.Line($"Report: {reportPath}");
    }

    private static string Fmt(double v) => double.IsNaN(v) ? "n/a" : double.IsPositiveInfinity(v) ? "inf" : Math.Abs(v) < 0.001 && v != 0 ? v.ToString("0.0E+0", Inv) : v.ToString("0.000", Inv);
}
