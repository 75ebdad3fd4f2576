using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Application.Ingestion;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore import leads|activities|enrichment|outcomes FILE [--mapping FILE] [--json] [--infer-only FILE]</c>.</summary>
internal static class ImportCommand
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Command Create(CliConsole console, GlobalOptions global)
    {
        var kind = new Argument<string>("kind") { Description = "What the file holds: leads, activities, enrichment or outcomes" };
        kind.AcceptOnlyFromAmong("leads", "activities", "enrichment", "outcomes");
        var file = new Argument<string>("file") { Description = "CSV (any delimiter, quotes, CRLF, BOM, header row) or JSON-lines file" };
        var mapping = new Option<string?>("--mapping") { Description = "Mapping file (JSON) naming the id, target and time columns and how to read values; see examples/" };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable summary on stdout" };
        var inferOnly = new Option<string?>("--infer-only") { Description = "Only infer the column types and write them as a mapping file to edit; imports nothing" };
        var outcome = new Option<string?>("--outcome") { Description = "Outcomes only: every row of the file is this outcome (converted or lost), for a CRM's won-deals export without an outcome column; same as the mapping's \"outcome_value\"" };
        var batch = new Option<int>("--batch-size") { Description = "Rows per transaction", DefaultValueFactory = _ => ImportPipeline.DefaultBatchSize };
        var allowErased = new Option<bool>("--allow-erased") { Description = "Import rows of leads that were erased (./leadscore privacy erase) too, bringing them back; by default they are skipped" };
        var cmd = new Command("import", "Import leads, activities, enrichment or outcomes; bad rows go to quarantine with file, line, column and reason")
        {
            kind, file, mapping, json, inferOnly, outcome, batch, allowErased,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var k = ImportService.ParseKind(parse.GetValue(kind)!);
            var path = Path.GetFullPath(parse.GetValue(file)!);
            if (!File.Exists(path)) throw new LeadScoreException($"{path}: file not found", "file");
            var m = parse.GetValue(mapping) is { } mp ? ImportMapping.Load(mp) : null;
            var batchSize = parse.GetValue(batch);
            if (batchSize < 1) throw new LeadScoreException("--batch-size must be at least 1", "batch-size");
            var asJson = parse.GetValue(json);
            if (parse.GetValue(outcome) is { } every)
            {
                if (k != ImportKind.Outcomes) throw new LeadScoreException("--outcome only applies to import outcomes", "outcome");
                m = (m ?? ImportMapping.Default) with { OutcomeValue = every };
                // Checked now, so a typo fails before the file is read.
                if (RowConverter.ParseOutcome(every) is not (OutcomeKind.Converted or OutcomeKind.Lost))
                    throw new LeadScoreException($"--outcome '{every}' is not an outcome: converted (or won) or lost", "outcome");
            }

            if (parse.GetValue(inferOnly) is { } outPath)
            {
                // From the file alone: --infer-only needs no workspace, so stored column types are not consulted. A role it
                // cannot find does not stop it: the mapping is written anyway, with a placeholder to fill in.
                var inferred = ImportPipeline.Plan(k, path, m, TimeProvider.System.GetUtcNow(), requireRoles: false);
                var full = Path.GetFullPath(outPath);
                File.WriteAllText(full, CompleteMapping.ToJson(inferred, out var missing) + Environment.NewLine);
                if (asJson) console.Line(JsonSerializer.Serialize(new { mapping = full, roles = inferred.Roles, missing, columns = inferred.Schema }, Json));
                else
                {
                    PrintRoles(console, inferred);
                    PrintSchema(console, inferred);
                    foreach (var note in missing) console.Line($"Note: {note}.");
                    console.Line($"Wrote the inferred mapping to {full}; edit it and pass it with --mapping.");
                }
                return ExitCodes.Ok;
            }
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            // Columns already stored keep their stored type, so the plan is made against the workspace.
            var plan = await host.Get<ImportService>().PlanAsync(k, path, m, ct);
            if (!asJson) PrintRoles(console, plan);
            if (!asJson && plan.Inferred) PrintSchema(console, plan);
            var result = await console.StepAsync($"Importing {ImportService.KindName(k)} from {Path.GetFileName(path)}",
                p => host.Get<IngestionService>().ImportFileAsync(plan, path, p, batchSize, ct, parse.GetValue(allowErased)));
            var summary = result.Summary;
            if (asJson)
            {
                console.Line(JsonSerializer.Serialize(new
                {
                    import_id = summary.ImportId, kind = summary.Kind, file = summary.Source, rows_read = summary.RowsRead,
                    accepted = summary.Accepted, inserted = summary.Inserted, updated = summary.Updated, unchanged = summary.Unchanged,
                    rejected = summary.Rejected, erased_skipped = summary.ErasedSkipped, outcomes_inserted = summary.OutcomesInserted,
                    pending_outcomes = summary.PendingOutcomes, pending_lead_ids = summary.PendingLeadIds,
                    stored_outcomes = summary.StoredOutcomes is { } so ? new { converted = so.Converted, lost = so.Lost } : null,
                    roles = plan.Roles.Select(r => new { role = r.Role, setting = r.Setting, column = r.Column, value = r.Constant, source = r.Source, why = r.Why }),
                    quarantine = summary.Rejected > 0 ? $"leadscore quarantine list --import {summary.ImportId}" : null,
                    errors = summary.Errors, seconds = Math.Round(summary.Seconds, 3), rescored = result.Rescored, webhooks_queued = result.WebhooksQueued,
                }, Json));
                return ExitCodes.Ok;
            }
            PrintSummary(console, result);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    internal static void PrintSummary(CliConsole console, IngestResult result)
    {
        PrintSummary(console, result.Summary);
        if (result.Rescored > 0)
            console.Line(string.Create(CultureInfo.InvariantCulture, $"Re-scored {result.Rescored:N0} lead(s) the new data touched with the champion{(result.WebhooksQueued > 0 ? $"; {result.WebhooksQueued:N0} webhook deliveries queued" : "")}."));
        if (result.Reworded > 0)
            console.Line(string.Create(CultureInfo.InvariantCulture, $"The mapping changed the labels or display names: re-worded the reasons of {result.Reworded:N0} stored lead(s) (same scores and grades; nothing retrained)."));
    }

    internal static void PrintSummary(CliConsole console, ImportSummary s)
    {
        var inv = CultureInfo.InvariantCulture;
        console.Line(string.Create(inv, $"Import {s.ImportId} ({s.Kind}): {s.RowsRead:N0} rows read, {s.Accepted:N0} accepted ({s.Inserted:N0} inserted, {s.Updated:N0} updated, {s.Unchanged:N0} unchanged), {s.Rejected:N0} rejected in {s.Seconds:F1}s."));
        if (s.ErasedSkipped > 0)
            console.Line(string.Create(inv, $"Skipped {s.ErasedSkipped:N0} row(s) of erased leads (import --allow-erased brings them back)."));
        if (s.Updated > 0) console.Line(string.Create(inv, $"{s.Updated:N0} updated: {UpdatedWhat(s.Kind)}"));
        if (s.OutcomesInserted > 0) console.Line(string.Create(inv, $"{s.OutcomesInserted:N0} outcomes written from the target column."));
        if (s.PendingOutcomes > 0)
            console.Line(string.Create(inv, $"{s.PendingOutcomes:N0} outcomes for leads not imported yet: kept, they apply when the leads arrive (e.g. {string.Join(", ", s.PendingLeadIds.Take(5))}; --json lists them)."));
        // Labels follow a horizon: a lead with no win within it counts as not converted, so a wins-only CRM export trains
        // as it is; losses still help (they date the end of a lead). Without any win there is nothing to learn from.
        if (s.StoredOutcomes is { } so && (so.Converted == 0 || so.Lost == 0) && so.Converted + so.Lost > 0)
            console.Line(so.Lost == 0
                ? string.Create(inv, $"No lost outcomes stored yet ({so.Converted:N0} converted): training works, leads with no win within the horizon count as not converted; import the losses too if you have them (./leadscore import outcomes lost.csv --outcome lost)")
                : string.Create(inv, $"No converted outcomes stored yet ({so.Lost:N0} lost): training needs wins. Import them, e.g. ./leadscore import outcomes won.csv --outcome converted"));
        if (s.Rejected == 0) return;
        foreach (var e in s.Errors.Take(20))
            console.Line(CliErrors.Printable($"  {Path.GetFileName(s.Source)}:{e.Index}{(e.Field is null ? "" : $" [{e.Field}]")}: {e.Reason}"));
        if (s.Rejected > 20) console.Line(string.Create(inv, $"  ... and {s.Rejected - 20:N0} more"));
        console.Line($"Rejected rows are in quarantine: ./leadscore quarantine list --import {s.ImportId}");
    }

    /// <summary>What "updated" means for a kind, so a user knows a resend corrected stored data (and where the old version went).</summary>
    private static string UpdatedWhat(string kind) => kind switch
    {
        "leads" => "stored leads whose row changed; the previous versions are kept in the lead history.",
        "activities" => "corrected activities (same event id, other type, time, url, value or properties) replaced the stored events; the previous versions are kept in the activity history.",
        "enrichment" => "company rows with the same domain and as-of date replaced with the new values.",
        _ => "stored rows replaced with the new values.",
    };

    /// <summary>One line per role: which column plays it and how it was found, so a guess can be checked before trusting the import.</summary>
    internal static void PrintRoles(CliConsole console, ImportPlan plan)
    {
        if (!plan.Roles.Any(r => r.Guessed)) return;
        console.Line("Guessed the columns' roles (name them in a mapping file to change them; --infer-only FILE writes one):");
        foreach (var r in plan.Roles)
        {
            var what = r.Constant is { } c ? $"every row is {c} (\"{r.Setting}\": \"{c}\")" : r.Column is { } col ? $"{col} (\"{r.Setting}\": \"{col}\")" : $"not found (\"{r.Setting}\")";
            var how = r.Source switch { "mapping" => "from the mapping", "canonical" => "the canonical name", _ => r.Why ?? "guessed" };
            console.Line(CliErrors.Printable($"  {r.Role,-14} {what}: {how}"));
        }
    }

    internal static void PrintSchema(CliConsole console, ImportPlan plan)
    {
        console.Line($"Inferred column types ({plan.Format}{(plan.Format == "csv" ? $", delimiter '{(plan.Delimiter == '\t' ? "\\t" : plan.Delimiter.ToString())}'" : "")}); check them, or fix them in a mapping file (--infer-only FILE writes one):");
        var width = Math.Min(40, plan.Schema.Select(s => s.Name.Length).DefaultIfEmpty(6).Max());
        foreach (var s in plan.Schema)
        {
            var role = plan.RoleColumns.Contains(s.Name) ? " (role)" : "";
            var personal = s.IsPersonal ? $"  personal: {s.PersonalReason}, never a feature" : "";
            console.Line($"  {s.Name.PadRight(width)}  {s.Kind.ToString().ToLowerInvariant(),-11}{role}{personal}");
        }
    }
}
