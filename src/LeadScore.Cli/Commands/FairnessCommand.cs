using System.CommandLine;
using System.Globalization;
using LeadScore.Application.Fairness;
using LeadScore.Core;
using LeadScore.Engine.Fairness;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore fairness show|set</c>: the attributes whose groups the model card checks (docs/fairness.md).</summary>
internal static class FairnessCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("fairness", "Declare sensitive attributes and possible proxies; every trained model's card then reports fairness across their groups");

        var show = new Command("show", "The declared attributes (or the ones suggested from the schema while none are declared)");
        show.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            Print(console, await host.Get<FairnessService>().GetAsync(ct));
            return ExitCodes.Ok;
        });

        var sensitive = new Option<string?>("--sensitive") { Description = "Comma-separated sensitive attributes, e.g. country,age_band ('none' for none)" };
        var watch = new Option<string?>("--watch") { Description = "Comma-separated attributes watched as possible proxies, e.g. company_size ('none' for none)" };
        var minGroup = new Option<int?>("--min-group-size") { Description = "Figures computed on fewer rows than this are shown as 'too few' (default 30)" };
        var mitigate = new Option<string?>("--mitigate") { Description = "Apply group-aware grade thresholds for this sensitive attribute in models trained from now on ('off' to stop; off by default)" };
        var ratio = new Option<double?>("--ratio-threshold") { Description = "Monitoring alerts and the promotion gate hold every group's A/B share to this ratio of the best group's (default 0.8, the 80% rule)" };
        var gap = new Option<double?>("--gap-threshold") { Description = "Monitoring alerts on a group whose TPR or FPR gap to the best group exceeds this (default 0.1)" };
        var set = new Command("set", "Declare the attributes (options not given keep their current value; the first set starts from the suggestion)") { sensitive, watch, minGroup, mitigate, ratio, gap };
        set.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var service = host.Get<FairnessService>();
            var current = (await service.GetAsync(ct)).Effective;
            var next = current with
            {
                Sensitive = parse.GetValue(sensitive) is { } s ? List(s) : current.Sensitive,
                Watch = parse.GetValue(watch) is { } w ? List(w) : current.Watch,
                MinGroupSize = parse.GetValue(minGroup) ?? current.MinGroupSize,
                Mitigate = parse.GetValue(mitigate) is { } m ? (m.Trim() is "off" or "none" or "" ? null : m.Trim()) : current.Mitigate,
                RatioThreshold = parse.GetValue(ratio) ?? current.RatioThreshold,
                GapThreshold = parse.GetValue(gap) ?? current.GapThreshold,
            };
            var saved = await service.SetAsync(next, ct);
            console.Line($"Fairness settings saved (version {saved.Version}); models trained from now on use them.");
            Print(console, saved);
            return ExitCodes.Ok;
        });

        cmd.Subcommands.Add(show);
        cmd.Subcommands.Add(set);
        return cmd;
    }

    private static string[] List(string value) =>
        value.Trim() is "none" or "" ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void Print(CliConsole console, FairnessConfiguration c)
    {
        static string Names(IReadOnlyList<string> names) => names.Count == 0 ? "(none)" : string.Join(", ", names);
        var e = c.Effective;
        console.Line($"Attributes: {c.Source}");
        console.Line($"  sensitive:      {Names(e.Sensitive)}");
        console.Line($"  watch (proxy):  {Names(e.Watch)}");
        console.Line(string.Create(CultureInfo.InvariantCulture, $"  min group size: {e.MinGroupSize}"));
        console.Line($"  mitigation:     {(e.Mitigate is { } m ? $"group-aware grade thresholds for {m}" : "off")}");
        console.Line(string.Create(CultureInfo.InvariantCulture, $"  alerts:         A/B ratio below {e.RatioThreshold:0.###}, TPR/FPR gap above {e.GapThreshold:0.###}"));
        if (c.Declared && (c.Suggested.Sensitive.Count > 0 || c.Suggested.Watch.Count > 0))
            console.Line($"Suggested from the schema: sensitive {Names(c.Suggested.Sensitive)}; watch {Names(c.Suggested.Watch)}");
    }
}
