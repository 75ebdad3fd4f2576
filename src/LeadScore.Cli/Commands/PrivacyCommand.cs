using System.CommandLine;
using System.Text.Json;
using LeadScore.Application.Governance;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore privacy erase|export|opt-out|opt-in LEAD_ID</c>: the rights of the person, through <see cref="PrivacyService"/>.</summary>
internal static class PrivacyCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("privacy", "The rights of the person (GDPR art. 15, 17, 20, 21; CCPA): erase, export, opt out of or back into profiling. Each is audited.");

        var eraseId = new Argument<string>("lead-id") { Description = "The lead's id" };
        var eraseJson = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var erase = new Command("erase", "Erase everything stored about a lead: rows in every table, files under the workspace, built training sets; lists the models trained with it") { eraseId, eraseJson };
        erase.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var r = await host.Get<PrivacyService>().EraseAsync(parse.GetValue(eraseId)!, ct);
            if (parse.GetValue(eraseJson)) { console.Line(JsonSerializer.Serialize(r, Json)); return ExitCodes.Ok; }
            console.Line(r.Erased ? $"Erased lead '{r.LeadId}'." : $"Lead '{r.LeadId}': nothing left to erase.");
            if (r.ModelsTrainedWith.Count > 0) console.Line($"Models trained with it: {string.Join(", ", r.ModelsTrainedWith)} (the next training leaves it out)");
            foreach (var f in r.FilesEdited) console.Line($"Removed its lines from {f}");
            foreach (var f in r.FilesDeleted) console.Line($"Deleted {f} (named the lead and cannot be edited)");
            foreach (var n in r.Notes) console.Line($"Note: {n}");
            return ExitCodes.Ok;
        });

        var exportId = new Argument<string>("lead-id") { Description = "The lead's id" };
        var exportOut = new Option<string?>("--out") { Description = "Write the JSON document to this file (default: stdout)" };
        var export = new Command("export", "Everything held about a lead as one JSON document (attributes and their history, activities, outcomes, scores with reasons, models)") { exportId, exportOut };
        export.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var json = await host.Get<PrivacyService>().ExportAsync(parse.GetValue(exportId)!, ct);
            if (parse.GetValue(exportOut) is { } path)
            {
                var full = Path.GetFullPath(path);
                await File.WriteAllTextAsync(full, json + "\n", ct);
                console.Err.WriteLine($"Wrote {full}");
            }
            else console.Line(json);
            return ExitCodes.Ok;
        });

        cmd.Subcommands.Add(erase);
        cmd.Subcommands.Add(export);
        cmd.Subcommands.Add(OptCommand(global, console, "opt-out", true, "The lead opts out of profiling: not scored, re-scored, trained on or sent to webhooks"));
        cmd.Subcommands.Add(OptCommand(global, console, "opt-in", false, "Reverse an opt-out: the lead is scored again from the next re-score"));
        return cmd;
    }

    private static Command OptCommand(GlobalOptions global, CliConsole console, string name, bool optOut, string description)
    {
        var id = new Argument<string>("lead-id") { Description = "The lead's id" };
        var c = new Command(name, description) { id };
        c.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var lead = parse.GetValue(id)!;
            await host.Get<PrivacyService>().SetOptOutAsync(lead, optOut, ct);
            console.Line(optOut ? $"Lead '{lead}' opted out of profiling: it is no longer scored or trained on." : $"Lead '{lead}' opted back in to profiling.");
            return ExitCodes.Ok;
        });
        return c;
    }
}
