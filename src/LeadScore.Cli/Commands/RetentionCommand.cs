using System.CommandLine;
using System.Globalization;
using LeadScore.Application.Governance;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore retention run [--dry-run]</c>: deletes rows older than each data class's limit, now.</summary>
internal static class RetentionCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("retention", "Data retention: rows older than each data class's limit (LeadScore__Retention__*) are deleted; the audit log never is");
        var dry = new Option<bool>("--dry-run") { Description = "Count what would be deleted; delete nothing" };
        var run = new Command("run", "Run retention now (a server's leader runs it daily)") { dry };
        run.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var dryRun = parse.GetValue(dry);
            var counts = await host.Get<RetentionService>().RunAsync(dryRun, ct: ct);
            foreach (var c in counts)
                console.Line(c.Before is { } b
                    ? string.Create(CultureInfo.InvariantCulture, $"{c.DataClass,-14} kept {c.Limit.TotalDays:0.##} days: {c.Rows:N0} row(s) before {b.UtcDateTime:yyyy-MM-dd} {(dryRun ? "would be deleted" : "deleted")}")
                    : $"{c.DataClass,-14} kept forever (limit 0)");
            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(run);
        return cmd;
    }
}
