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
/// mode) both files are scored like <c>score --csv</c> and compared. Other modes (the prediction log) plug in beside
/// <see cref="RunFlatAsync"/>: the action picks the mode from the options given.
/// </summary>
internal static class MonitorCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var o = new MonitorOptions();
        var cmd = new Command("monitor", "Check a model for drift and performance: compare a current file of leads with a reference file (--reference/--current)");
        foreach (var opt in o.All) cmd.Options.Add(opt);
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(o.Reference) is not null || parse.GetValue(o.Current) is not null)
                return await RunFlatAsync(global, console, o, parse, ct);
            throw new LeadScoreException("give --reference FILE and --current FILE (two CSVs to compare, scored with the champion or --model)", "reference");
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
        public Option[] All => [Reference, Current, Sep, Model, Target, Positive, Json, Report, Share, Seed];
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
