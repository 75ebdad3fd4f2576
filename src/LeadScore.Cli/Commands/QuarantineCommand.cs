using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Application.Ingestion;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore quarantine list|export|retry|purge</c>: see the rejected rows, fix them, re-import them, drop old ones.</summary>
internal static class QuarantineCommand
{
    public static Command Create(CliConsole console, GlobalOptions global)
    {
        var cmd = new Command("quarantine", "Rows rejected by imports: list them, export them to fix, retry them, purge old ones");
        cmd.Subcommands.Add(List(console, global));
        cmd.Subcommands.Add(Export(console, global));
        cmd.Subcommands.Add(Retry(console, global));
        cmd.Subcommands.Add(Purge(console, global));
        return cmd;
    }

    private static Option<string?> ImportOption() => new("--import") { Description = "Only the rows of this import (the id printed by import)" };

    private static Command List(CliConsole console, GlobalOptions global)
    {
        var import = ImportOption();
        var all = new Option<bool>("--all") { Description = "Include rows already resolved" };
        var json = new Option<bool>("--json") { Description = "Print one JSON array, one row object per line (streamed: memory stays flat however many rows)" };
        var cmd = new Command("list", "List quarantined rows: file, line, column, reason") { import, all, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            // Imports whose process died while running are shown as interrupted from here on.
            await host.Get<ImportService>().SweepInterruptedAsync(ct);
            var rows = host.Store.StreamQuarantineAsync(parse.GetValue(import), parse.GetValue(all), ct);
            long n = 0;
            if (parse.GetValue(json))
            {
                // Written row by row, never built whole: a large quarantine must not need its size in memory.
                await console.Out.WriteAsync("[");
                await foreach (var r in rows)
                {
                    await console.Out.WriteAsync(n++ == 0 ? "\n" : ",\n");
                    await console.Out.WriteAsync(JsonSerializer.Serialize(r, LineJson));
                }
                await console.Out.WriteLineAsync(n == 0 ? "]" : "\n]");
                await console.Out.FlushAsync(ct);
                return ExitCodes.Ok;
            }
            await foreach (var r in rows)
            {
                n++;
                console.Line($"#{r.Id} {r.ImportId} {r.Kind} {r.File}:{r.Line}{(r.Column is null ? "" : $" [{r.Column}]")}: {CliErrors.Printable(r.Reason)}{(r.Resolved ? " (resolved)" : "")}");
            }
            if (n == 0) { console.Line("Quarantine is empty."); return ExitCodes.Ok; }
            console.Line($"{n} row(s). Fix them with 'quarantine export' then 'import', or 'quarantine retry --mapping FILE'.");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The listing's JSON: snake_case like the rest of the CLI, one object per line.</summary>
    private static readonly JsonSerializerOptions LineJson = new(ImportCommand.Json) { WriteIndented = false };

    private static Command Purge(CliConsole console, GlobalOptions global)
    {
        var before = new Option<string?>("--before")
        {
            Description = "Delete rows quarantined before this date (2026-01-31, 2026-01-31T12:00:00Z) or this many days ago (30d); resolved or not",
        };
        var everything = new Option<bool>("--everything") { Description = "Delete every quarantined row (instead of --before)" };
        var cmd = new Command("purge", "Delete old quarantined rows and print how many were deleted") { before, everything };
        cmd.SetAction(async (parse, ct) =>
        {
            var b = parse.GetValue(before);
            var all = parse.GetValue(everything);
            // Deleting everything is never the accident of a forgotten option.
            if ((b is null) == !all) throw new LeadScoreException("give exactly one of --before DATE or --everything", "before");
            var cutoff = b is null ? (DateTimeOffset?)null : ParseBefore(b, TimeProvider.System.GetUtcNow());
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var n = await host.Get<ImportService>().PurgeQuarantineAsync(cutoff, ct);
            console.Line(cutoff is { } c
                ? string.Create(CultureInfo.InvariantCulture, $"Deleted {n:N0} quarantined row(s) stored before {c:yyyy-MM-dd'T'HH:mm:ss'Z'}.")
                : string.Create(CultureInfo.InvariantCulture, $"Deleted {n:N0} quarantined row(s)."));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A date or date-time (UTC unless it names an offset), or "N d" days before <paramref name="now"/>.</summary>
    internal static DateTimeOffset ParseBefore(string text, DateTimeOffset now)
    {
        var t = text.Trim();
        if (t.EndsWith('d') && int.TryParse(t.AsSpan(0, t.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days <= 365_000)
            return now.AddDays(-days);
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)) return d;
        throw new LeadScoreException($"--before: '{CliErrors.Printable(t)}' is not a date (2026-01-31, 2026-01-31T12:00:00Z) or a number of days (30d)", "before");
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
