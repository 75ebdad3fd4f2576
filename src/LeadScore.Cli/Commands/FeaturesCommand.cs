using System.CommandLine;
using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Application.Features;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore features build|show</c>: point-in-time training sets and one lead's feature vector.</summary>
internal static class FeaturesCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("features", "Build point-in-time training sets and inspect feature vectors (definitions in WORKSPACE/features.json)");

        var shared = new TrainingSetCliOptions();
        var cutoff = new Option<double?>("--cutoff-days") { Description = "Decision time = outcome - this many days instead (beware: timing then depends on the label)" };
        var build = new Command("build", "Build the labelled training set: one row per lead with an outcome, as of its decision time; run the leakage audit. Stored: 'train' with the same options reuses it while the data and definitions are unchanged");
        shared.AddTo(build);
        build.Options.Add(cutoff);
        var outFile = new Option<string?>("--out") { Description = "Also write the training set as CSV (lead id, decision time, label, features) to this file" };
        var pseudonymise = new Option<bool>("--pseudonymise") { Description = "With --out: replace each lead id by its keyed pseudonym (HMAC-SHA256 with the workspace's secret), so the file names no one" };
        build.Options.Add(outFile);
        build.Options.Add(pseudonymise);
        var ages = shared.Ages;
        build.SetAction(async (parse, ct) =>
        {
            TrainingSetCliOptions.WarnDeprecated(parse, console);
            if (parse.GetValue(cutoff) is not null && parse.GetValue(ages) is not null)
                throw new LeadScoreException("--cutoff-days and --decision-ages exclude each other: rows are built either before the outcome or at ages after creation", "decision-ages");
            var options = new TrainingSetOptions
            {
                DecisionDelay = shared.DelayOf(parse) ?? TimeSpan.FromDays(14),
                DecisionAges = shared.AgesOf(parse),
                CutoffBeforeOutcome = parse.GetValue(cutoff) is { } c ? TimeSpan.FromDays(c) : null,
                KnownBefore = shared.AsOfOf(parse),
            };
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var service = host.Get<FeatureService>();
            (TimeSpan? Delay, double? HorizonDays) funnel = (shared.DelayOf(parse), shared.HorizonOf(parse));
            var result = await console.StepAsync("Building training set", _ => service.BuildTrainingSetAsync(options, funnel, ct));
            var inv = CultureInfo.InvariantCulture;
            console.Line(result.DefinitionsNote is { } note ? char.ToUpperInvariant(note[0]) + note[1..] : $"Feature definitions: {result.DefinitionsPath}");
            var set = result.Set;
            var classes = set.HorizonDays is { } h
                ? string.Create(inv, $"{set.Converted:N0} converted within {h:0.##} days, {set.Lost:N0} not")
                : string.Create(inv, $"{set.Converted:N0} converted, {set.Lost:N0} lost");
            console.Line(string.Create(inv, $"Training set: {set.Frame.Count:N0} rows x {set.Frame.Features.Count} features from {set.Converted + set.Lost:N0} labelled leads ({classes}) in {result.Seconds:F1}s"));
            console.Line($"Decision rule: rows built {set.Rule}; only activities before and enrichment as of that time are used");
            if (set.HorizonDays is null)
                console.Line(string.Create(inv, $"Skipped: {set.WithoutOutcome:N0} leads without an outcome; {set.OutcomeBeforeDecision:N0} leads whose outcome came at or before their decision time (already decided, so not a prediction)"));
            if (result.Funnel is { } chosen) FunnelLines.Print(console, chosen, set);
            if (result.Excluded.Count == 0) console.Line("Leakage audit: nothing flagged");
            else
            {
                console.Line($"Leakage audit: {result.Excluded.Count} feature(s) excluded from training by default (add to keepDespiteLeakage in features.json to keep):");
                foreach (var f in result.Excluded) console.Line($"  {f.Feature}: {f.Reason}");
            }
            foreach (var f in result.Kept) console.Line($"  kept despite the audit: {f.Feature}: {f.Reason}");
            if (parse.GetValue(outFile) is { } outPath)
            {
                var pseudo = parse.GetValue(pseudonymise);
                var full = Path.GetFullPath(outPath);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                await using (var w = new StreamWriter(full, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" })
                    await Application.Governance.TrainingDataExport.WriteCsvAsync(set.Frame, w, pseudo ? await host.Get<Application.Governance.PrivacyKeys>().PseudonymiserAsync(ct) : null, ct);
                await host.Get<Application.Governance.AuditLog>().RecordAsync(AuditActions.FeaturesExport, AuditTargets.Leads, "*",
                    new Dictionary<string, object?> { ["rows"] = set.Frame.Count, ["pseudonymised"] = pseudo }, ct: ct);
                console.Line($"Wrote the training set to {full}{(pseudo ? " (lead ids pseudonymised)" : "")}");
            }
            else if (parse.GetValue(pseudonymise)) throw new LeadScoreException("--pseudonymise applies to --out FILE", "pseudonymise");
            return ExitCodes.Ok;
        });

        var leadArg = new Argument<string>("lead-id") { Description = "The lead's id" };
        var showAsOf = new Option<string?>("--as-of") { Description = "Compute as of this time (default now)" };
        var show = new Command("show", "A lead's feature vector, each value with the definition behind it");
        show.Arguments.Add(leadArg);
        show.Options.Add(showAsOf);
        show.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var t = parse.GetValue(showAsOf) is { } a ? FeatureService.ParseAsOf(a) : (DateTimeOffset?)null;
            var lines = await host.Get<FeatureService>().ShowAsync(parse.GetValue(leadArg)!, t, ct);
            var width = Math.Min(40, lines.Max(l => l.Feature.Name.Length));
            console.Line($"{"FEATURE".PadRight(width)}  {"VALUE",-14}  DEFINITION");
            foreach (var l in lines)
            {
                var v = l.Value.IsMissing ? "(missing)" : l.Value.ToString();
                console.Line($"{l.Feature.Name.PadRight(width)}  {v,-14}  {l.Feature.Description}");
            }
            return ExitCodes.Ok;
        });

        cmd.Subcommands.Add(build);
        cmd.Subcommands.Add(show);
        return cmd;
    }
}
