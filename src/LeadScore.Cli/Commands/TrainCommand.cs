using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Application.Modeling;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore train</c>: train, calibrate, evaluate on held-out data, store a new model version.</summary>
internal static class TrainCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var csv = new Option<string?>("--csv") { Description = "Train from one flat CSV (one row per lead) instead of the workspace" };
        var target = new Option<string?>("--target") { Description = "Column holding the outcome (with --csv)" };
        var positive = new Option<string?>("--positive") { Description = "Target value that means converted (default: 1, yes, true, converted, won)" };
        var sep = new Option<string?>("--sep") { Description = "Field separator (default: sniffed from the header)" };
        var exclude = new Option<string?>("--exclude") { Description = "Columns to leave out, comma-separated" };
        var id = new Option<string?>("--id") { Description = "Column holding the lead id" };
        var time = new Option<string?>("--time-column") { Description = "Column holding the decision date: the most recent 20% of rows become the test set" };
        var testCsv = new Option<string?>("--test-csv") { Description = "Evaluate on this file instead of a split of the training file" };
        var algorithm = new Option<string>("--algorithm") { Description = "auto (compare all by cross-validation), lightgbm, fasttree, fastforest or logistic", DefaultValueFactory = _ => "auto" };
        var budget = new Option<double>("--time-budget") { Description = "Upper bound in seconds for model selection and search (a safety cap: the search stops after --max-trials)", DefaultValueFactory = _ => TrainingOptions.Defaults.TimeBudgetSeconds };
        var maxTrials = new Option<int>("--max-trials") { Description = "Hyperparameter trials of the search (the same result on any machine, unless the time cap stops it first)", DefaultValueFactory = _ => TrainingOptions.Defaults.MaxTrials };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same data and seed give the same model", DefaultValueFactory = _ => TrainingOptions.Defaults.Seed };
        var maxRows = new Option<int>("--max-rows") { Description = "At most this many matured rows to split, train and evaluate on; above it a seeded sample of whole leads, stated in the card (0 = every row)", DefaultValueFactory = _ => TrainingOptions.Defaults.MaxRows };
        var report = new Option<string?>("--report") { Description = "Write an HTML evaluation report with plots into this folder" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the model's version, split and held-out metrics" };
        var mapping = new Option<string?>("--mapping") { Description = "Mapping file (the one `import` takes) for --csv: id, target, delimiter, missing placeholders, column kinds" };
        var keep = new Option<string?>("--keep") { Description = "Features the leakage audit flagged that you keep anyway, comma-separated" };
        var shared = new TrainingSetCliOptions();

        var cmd = new Command("train", "Train a lead-scoring model, evaluate it on held-out leads and store it as a new version; on the workspace, reuses the training set 'features build' stored when the data, definitions and options are unchanged");
        foreach (var o in new Option[] { csv, target, positive, sep, exclude, id, time, testCsv, algorithm, budget, maxTrials, seed, maxRows, report, json, keep, mapping }) cmd.Options.Add(o);
        shared.AddTo(cmd);

        cmd.SetAction(async (parse, ct) =>
        {
            TrainingSetCliOptions.WarnDeprecated(parse, console);
            var csvPath = parse.GetValue(csv);
            var algo = parse.GetValue(algorithm)!.Trim().ToLowerInvariant();
            var keepList = Split(parse.GetValue(keep));
            var options = new TrainingOptions
            {
                Algorithm = algo == "auto" ? null : TrainerCatalog.Parse(algo),
                TimeBudget = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(budget))),
                MaxTrials = Math.Max(0, parse.GetValue(maxTrials)),
                Seed = parse.GetValue(seed),
                MaxRows = parse.GetValue(maxRows) is var m and >= 0 ? m : throw new LeadScoreException("--max-rows must be 0 (every row) or more", "max-rows"),
            };
            var progress = new SyncProgress(console.Log);
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var lifecycle = host.Get<ModelLifecycle>();
            TrainingRun run;
            string? rescoreJob;
            if (csvPath is null)
            {
                if (parse.GetValue(target) is not null) throw new LeadScoreException("--target only applies with --csv; the workspace's outcomes are the target", "target");
                (run, rescoreJob) = await lifecycle.TrainWorkspaceAsync(new WorkspaceTrainingRequest
                {
                    Options = options,
                    DecisionDelay = shared.DelayOf(parse),
                    HorizonDays = shared.HorizonOf(parse),
                    AsOf = shared.AsOfOf(parse),
                    DecisionAges = shared.AgesOf(parse),
                    Exclude = Split(parse.GetValue(exclude)),
                    KeepFlagged = keepList,
                    ReportDirectory = parse.GetValue(report),
                }, progress, ct);
            }
            else
            {
                if (parse.GetValue(shared.Horizon) is not null || parse.GetValue(shared.Delay) is not null || parse.GetValue(shared.AsOf) is not null)
                    throw new LeadScoreException("--horizon-days, --decision-delay and --as-of only apply to workspace training; a flat table's target records its own window", "horizon-days");
                if (parse.GetValue(shared.Ages) is not null) throw new LeadScoreException("--decision-ages only applies to workspace training; a flat table has one row per lead", "decision-ages");
                var map = parse.GetValue(mapping) is { } mp ? ImportMapping.Load(mp) : null;
                var targetCol = parse.GetValue(target) ?? map?.Target?.Column ?? throw new LeadScoreException("--target COLUMN is required with --csv (or a mapping naming the target)", "target");
                var flat = new FlatTableOptions
                {
                    Mapping = map,
                    Target = targetCol,
                    Positive = parse.GetValue(positive),
                    Separator = ParseSeparator(parse.GetValue(sep)),
                    Exclude = Split(parse.GetValue(exclude)),
                    IdColumn = parse.GetValue(id),
                    TimeColumn = parse.GetValue(time),
                };
                var table = await Task.Run(() => FlatTableLoader.Load(csvPath, flat), ct);
                console.Log($"read {table.Frame.Count:N0} rows, {table.Frame.Features.Count} features from {csvPath}");
                FeatureFrame? test = null;
                if (parse.GetValue(testCsv) is { } testPath)
                {
                    test = (await Task.Run(() => FlatTableLoader.Load(testPath, flat with { Schema = table.Schema }), ct)).Frame;
                    console.Log($"read {test.Count:N0} test rows from {testPath}");
                }
                // Columns the loader left out (personal data, identifiers, free text, user exclusions) are listed with their reason.
                options = options with
                {
                    ExcludedFeatures = table.Skipped.Select(ParseSkipped).ToList(),
                    DataSource = Path.GetFileName(csvPath),
                    TestDataSource = parse.GetValue(testCsv) is { } tp ? Path.GetFileName(tp) : null,
                    DataHash = await HashAsync(csvPath, ct),
                    Horizon = $"the period recorded in '{targetCol}' of {Path.GetFileName(csvPath)}",
                };
                (run, rescoreJob) = await lifecycle.TrainFlatAsync(new FlatTrainingRequest
                {
                    Table = table, Test = test, Options = options, KeepFlagged = keepList, ValueMapping = ValueMappingOf(map, flat), ReportDirectory = parse.GetValue(report),
                }, progress, ct);
            }
            await RescoreStep.RunAsync(host, rescoreJob, run.Card.Version, console, ct);

            if (parse.GetValue(json))
                console.Line(ToJson(run.Card, run.Result.Metrics, run.Registration, run.ReportPath).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                if (run.TrainingSetSource is { } source) console.Line($"Training set: {char.ToUpperInvariant(source[0])}{source[1..]}");
                if (run.TrainingSetDescription is { } d) console.Line($"Training set: {d}");
                if (run.Funnel is { } f && run.Set is { } set) FunnelLines.Print(console, f, set);
                PrintSummary(console, run.Card, run.Result.Metrics, run.Registration, run.ReportPath);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The value rules the table was read with, kept with the model (missing placeholders, true/false words, date formats, separator).</summary>
    private static ImportMapping ValueMappingOf(ImportMapping? map, FlatTableOptions flat) => (map ?? ImportMapping.Default) with
    {
        Missing = flat.WithMapping().MissingValues,
        Delimiter = flat.Separator is { } c ? c.ToString() : map?.Delimiter,
    };

    private static string[] Split(string? list) => (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static char? ParseSeparator(string? text) => text switch
    {
        null => null,
        "\\t" or "tab" => '\t',
        { Length: 1 } s => s[0],
        _ => throw new LeadScoreException($"--sep must be one character, got '{text}'", "sep"),
    };

    private static ExcludedFeature ParseSkipped(string s)
    {
        var i = s.IndexOf(": ", StringComparison.Ordinal);
        return i < 0 ? new ExcludedFeature(s, "not a feature") : new ExcludedFeature(s[..i], s[(i + 2)..]);
    }

    private static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(f, ct));
    }

    internal static JsonObject ToJson(ModelCard card, EvaluationMetrics m, RegistrationResult reg, string? reportPath)
    {
        static JsonNode? D(double v) => double.IsNaN(v) ? null : JsonValue.Create(Math.Round(v, 6));
        var excluded = new JsonArray();
        foreach (var e in card.ExcludedFeatures) excluded.Add(new JsonObject { ["feature"] = e.Feature, ["reason"] = e.Reason });
        var hp = new JsonObject();
        foreach (var (k, v) in card.Hyperparameters) hp[k] = v;
        return new JsonObject
        {
            ["model_version"] = card.Version,
            ["algorithm"] = card.Algorithm,
            ["split"] = card.Split,
            ["split_kind"] = card.SplitKind switch { SplitKind.Time => "time", SplitKind.TestFile => "test_file", _ => "stratified_random" },
            ["rows_train"] = card.RowsTrain,
            ["rows_test"] = card.RowsTest,
            ["auc"] = D(m.Auc),
            ["pr_auc"] = D(m.PrAuc),
            ["log_loss"] = D(m.LogLoss),
            ["brier"] = D(m.Brier),
            ["ece"] = D(m.Ece),
            ["threshold"] = D(m.Threshold),
            ["precision"] = D(m.Precision),
            ["recall"] = D(m.Recall),
            ["f1"] = D(m.F1),
            ["lift_at_10pct"] = D(m.LiftAt(0.1).Lift),
            ["gain_at_10pct"] = D(m.LiftAt(0.1).Gain),
            ["train_seconds"] = card.TrainSeconds,
            ["excluded_features"] = excluded,
            ["hyperparameters"] = hp,
            ["calibration"] = card.Calibration,
            ["horizon_days"] = card.HorizonDays,
            ["censored_rows"] = card.CensoredRows,
            ["unmatured_rows"] = card.UnmaturedRows,
            ["champion"] = reg.Promoted,
            ["champion_decision"] = reg.Decision,
            ["report"] = reportPath,
        };
    }

    private static void PrintSummary(CliConsole console, ModelCard card, EvaluationMetrics m, RegistrationResult reg, string? reportPath)
    {
        var inv = CultureInfo.InvariantCulture;
        var l10 = m.LiftAt(0.1);
        console.Line($"Model {card.Version}: {card.Algorithm} ({string.Join(", ", card.Hyperparameters.Select(kv => $"{kv.Key}={kv.Value}"))})");
        console.Line($"  Selection: {card.Selection}");
        foreach (var n in card.Notes) console.Line($"  Note: {n}");
        console.Line($"  Split: {card.Split}");
        console.Line($"  Trained on {card.RowsTrain:N0} rows, tested on {card.RowsTest:N0} held-out rows in {card.TrainSeconds.ToString("F1", inv)} s");
        console.Line(string.Create(inv, $"  Held-out: AUC {m.Auc:F4}, PR-AUC {m.PrAuc:F4}, log loss {m.LogLoss:F4} (nats), Brier {m.Brier:F4}, ECE {m.Ece:F4}"));
        console.Line(string.Create(inv, $"  At threshold {m.Threshold:F3}: precision {m.Precision * 100:0.0}%, recall {m.Recall * 100:0.0}%, F1 {m.F1:F3}"));
        console.Line(string.Create(inv, $"  Top 10% of leads hold {l10.Gain * 100:0.0}% of conversions (lift {l10.Lift:F2})"));
        console.Line($"  Probabilities: calibrated with {card.Calibration}; they mean {card.Meaning}");
        if (card.ExcludedFeatures.Count > 0)
            console.Line($"  Excluded: {string.Join("; ", card.ExcludedFeatures.Select(e => $"{e.Feature} ({e.Reason})"))}");
        console.Line($"  Rule: {ModelRegistry.ChampionRule}");
        console.Line(reg.Promoted ? $"  {card.Version} is now the champion: {reg.Decision}." : $"  {card.Version} stays a candidate: {reg.Decision}.");
        if (reportPath is not null) console.Line($"  Report: {reportPath}");
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
