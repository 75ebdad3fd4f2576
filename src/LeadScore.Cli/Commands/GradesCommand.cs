using System.CommandLine;
using System.Globalization;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Scoring;

namespace LeadScore.Cli.Commands;

/// <summary>
/// <c>leadscore grades show|set|reset</c>: the A-D bands every served model grades with. <c>set --a 0.6 --b 0.3 --c 0.1</c>
/// gives the edges as probabilities; <c>set --share 10,30,60</c> cuts them at those cumulative percentages of the stored
/// scores. Applies without retraining and re-scores the stored leads.
/// </summary>
internal static class GradesCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("grades", "Show or set the A-D grade bands (an override for every model, applied without retraining)");

        var show = new Command("show", "The grade bands in effect and where they came from");
        show.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            Print(console, await host.Get<GradeBandSettings>().InEffectAsync(ct));
            return ExitCodes.Ok;
        });

        var a = new Option<double?>("--a") { Description = "A: probability at or above which a lead is A (e.g. 0.6)" };
        var b = new Option<double?>("--b") { Description = "B: probability at or above which a lead is B (below A)" };
        var c = new Option<double?>("--c") { Description = "C: probability at or above which a lead is C (below B); D is below C" };
        var share = new Option<string?>("--share") { Description = "Instead of --a/--b/--c: cumulative percentages of the stored leads that are A, A-B and A-C (e.g. 10,30,60, the training default), cut once from the scores now" };
        var set = new Command("set", "Override the grade bands for every model; the stored leads are re-scored");
        foreach (var o in new Option[] { a, b, c, share }) set.Options.Add(o);
        set.SetAction(async (parse, ct) =>
        {
            var given = new[] { parse.GetValue(a), parse.GetValue(b), parse.GetValue(c) };
            var shares = parse.GetValue(share);
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var grades = host.Get<GradeBandSettings>();
            (GradeBandsInEffect Bands, string Job) r;
            if (shares is not null)
            {
                if (given.Any(g => g is not null)) throw new LeadScoreException("give either --share or --a, --b and --c", "share");
                var p = ParseShares(shares);
                r = await grades.SetByShareAsync(p[0], p[1], p[2], ct);
            }
            else
            {
                if (given.Any(g => g is null))
                    throw new LeadScoreException("give all of --a, --b and --c (probabilities, e.g. --a 0.6 --b 0.3 --c 0.1), or --share 10,30,60", given[0] is null ? "a" : given[1] is null ? "b" : "c");
                r = await grades.SetAsync(new GradeBands(given[0]!.Value, given[1]!.Value, given[2]!.Value), ct);
            }
            Print(console, r.Bands);
            await RescoreStep.RunAsync(host, r.Job, r.Bands.ModelVersion ?? "the champion", console, ct);
            return ExitCodes.Ok;
        });

        var reset = new Command("reset", "Remove the override: every model grades with its own bands again; the stored leads are re-scored");
        reset.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var r = await host.Get<GradeBandSettings>().ResetAsync(ct);
            Print(console, r.Bands);
            await RescoreStep.RunAsync(host, r.RescoreJobId, r.Bands.ModelVersion ?? "the champion", console, ct);
            return ExitCodes.Ok;
        });

        foreach (var s in new[] { show, set, reset }) cmd.Subcommands.Add(s);
        return cmd;
    }

    private static void Print(CliConsole console, GradeBandsInEffect g)
    {
        var inv = CultureInfo.InvariantCulture;
        var x = g.Bands;
        console.Line(string.Create(inv, $"Grade bands in effect{(g.ModelVersion is { } v ? $" for {v}" : "")}: A >= {x.A:0.####} (score {GradeBands.ScoreOf(x.A)}+), B >= {x.B:0.####} (score {GradeBands.ScoreOf(x.B)}+), C >= {x.C:0.####} (score {GradeBands.ScoreOf(x.C)}+), D below"));
        console.Line($"Source: {g.Describe()}");
    }

    private static double[] ParseShares(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3) throw new LeadScoreException($"--share takes three cumulative percentages for A, A-B and A-C, e.g. 10,30,60 (got '{text}')", "share");
        return parts.Select(p => double.TryParse(p.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v < 100
            ? v / 100 : throw new LeadScoreException($"--share: '{p}' is not a percentage between 0 and 100", "share")).ToArray();
    }
}
