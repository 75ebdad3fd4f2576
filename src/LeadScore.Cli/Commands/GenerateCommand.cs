using System.CommandLine;
using System.Globalization;
using LeadScore.Engine.Synthetic;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore generate</c>: writes a synthetic data set in the canonical import format.</summary>
public static class GenerateCommand
{
    public static Command Create(CliConsole console)
    {
        var leads = new Option<int>("--leads") { Description = "Number of leads to generate", DefaultValueFactory = _ => 5000 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed always gives the same files", DefaultValueFactory = _ => 42 };
        var groupEffect = new Option<string?>("--group-effect") { Description = "Build in a group effect for fairness checks: 'country' (US leads mostly use free-mail addresses, which convert less)" };
        var output = new Option<string>("--out") { Description = "Folder to write the CSV files into (created if missing)", Required = true };
        var driftAt = new Option<string?>("--drift-at") { Description = "Date (yyyy-MM-dd) from which leads follow the --drift scenario" };
        var drift = new Option<string?>("--drift") { Description = "Drift scenario from --drift-at: covariate (the lead-source mix changes), concept (pricing-page visits stop predicting conversion) or delay (a longer sales cycle)" };
        var cmd = new Command("generate", "Generate realistic synthetic leads, activities, enrichment and outcomes (12 months) as CSV files, plus truth.csv with each lead's true conversion probability.")
        {
            leads, seed, output, groupEffect, driftAt, drift,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(leads);
            if (n < 1) { console.Error("--leads must be at least 1"); return ExitCodes.Usage; }
            var dir = Path.GetFullPath(parse.GetValue(output)!);
            var options = new SyntheticOptions { Leads = n, Seed = parse.GetValue(seed), GroupEffect = parse.GetValue(groupEffect) };
            var kind = parse.GetValue(drift);
            var at = parse.GetValue(driftAt);
            if ((kind is null) != (at is null)) { console.Error("give --drift and --drift-at together"); return ExitCodes.Usage; }
            if (kind is not null)
            {
                if (!Enum.TryParse<SyntheticDrift>(kind, ignoreCase: true, out var k) || k == SyntheticDrift.None || int.TryParse(kind, out _))
                { console.Error($"--drift: '{kind}' is not a scenario; use covariate, concept or delay"); return ExitCodes.Usage; }
                if (!DateTimeOffset.TryParseExact(at, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var when))
                { console.Error($"--drift-at: '{at}' is not a date (yyyy-MM-dd)"); return ExitCodes.Usage; }
                options = options with { Drift = k, DriftAt = when };
            }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var summary = await console.StepAsync($"Generating {n:N0} leads", p => Task.Run(() => SyntheticGenerator.WriteCsv(dir, options, p), ct));
            var c = CultureInfo.InvariantCulture;
            console.Line(string.Create(c, $"Wrote {summary.Leads:N0} leads, {summary.Activities:N0} activities, {summary.EnrichmentRows:N0} enrichment rows to {dir} in {sw.Elapsed.TotalSeconds:F1}s"));
            console.Line(string.Create(c, $"Outcomes: {summary.Converted:N0} converted, {summary.Lost:N0} lost, {summary.Open:N0} still open; mean true probability {summary.MeanProbability:P1}"));
            console.Line($"Files: {string.Join(", ", SyntheticGenerator.Files)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
