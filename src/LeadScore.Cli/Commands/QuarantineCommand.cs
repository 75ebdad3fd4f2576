using System.CommandLine;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Application.Ingestion;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore quarantine list|export|retry</c>: see the rejected rows, fix them, re-import them.</summary>
internal static class QuarantineCommand
{
    public static Command Create(CliConsole console, GlobalOptions global)
    {
        var cmd = new Command("quarantine", "Rows rejected by imports: list them, export them to fix, retry them");
        cmd.Subcommands.Add(List(console, global));
        cmd.Subcommands.Add(Export(console, global));
        cmd.Subcommands.Add(Retry(console, global));
        return cmd;
    }

    private static Option<string?> ImportOption() => new("--import") { Description = "Only the rows of this import (the id printed by import)" };

    private static Command List(CliConsole console, GlobalOptions global)
    {
        var import = ImportOption();
        var all = new Option<bool>("--all") { Description = "Include rows already resolved" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var cmd = new Command("list", "List quarantined rows: file, line, column, reason") { import, all, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var rows = await host.Store.ListQuarantineAsync(parse.GetValue(import), parse.GetValue(all), ct);
            if (parse.GetValue(json))
            {
                console.Line(JsonSerializer.Serialize(rows, ImportCommand.Json));
                return ExitCodes.Ok;
            }
            if (rows.Count == 0) { console.Line("Quarantine is empty."); return ExitCodes.Ok; }
            foreach (var r in rows)
                console.Line($"#{r.Id} {r.ImportId} {r.Kind} {r.File}:{r.Line}{(r.Column is null ? "" : $" [{r.Column}]")}: {r.Reason}{(r.Resolved ? " (resolved)" : "")}");
            console.Line($"{rows.Count} row(s). Fix them with 'quarantine export' then 'import', or 'quarantine retry --mapping FILE'.");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Export(CliConsole console, GlobalOptions global)
    {
        var import = ImportOption();
        var output = new Option<string?>("--out") { Description = "File to write (default: stdout)" };
        var cmd = new Command("export", "Write the quarantined rows of one import as a re-importable file (original header, raw rows)") { import, output };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var service = host.Get<ImportService>();
            if (parse.GetValue(output) is { } path)
            {
                string source;
                await using (var w = new StreamWriter(path)) source = await service.ExportQuarantineAsync(parse.GetValue(import), w, ct);
                console.Err.WriteLine(source.Length == 0 ? "Nothing to export." : $"Wrote the quarantined rows of {source} to {Path.GetFullPath(path)}.");
            }
            else await service.ExportQuarantineAsync(parse.GetValue(import), console.Out, ct);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Retry(CliConsole console, GlobalOptions global)
    {
        var import = ImportOption();
        var mapping = new Option<string?>("--mapping") { Description = "Mapping to re-read the rows with (e.g. one adding the missing date format)" };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable summary" };
        var cmd = new Command("retry", "Re-validate quarantined rows; rows that now pass are imported and resolved") { import, mapping, json };
        cmd.SetAction(async (parse, ct) =>
        {
            var m = parse.GetValue(mapping) is { } mp ? ImportMapping.Load(mp) : null;
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var result = await host.Get<IngestionService>().RetryQuarantineAsync(parse.GetValue(import), m, ct);
            if (parse.GetValue(json)) console.Line(JsonSerializer.Serialize(result.Summary, ImportCommand.Json));
            else ImportCommand.PrintSummary(console, result);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
