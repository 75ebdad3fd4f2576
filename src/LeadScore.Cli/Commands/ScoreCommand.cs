using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Governance;
using LeadScore.Application.Scoring;
using LeadScore.Storage;
using LeadScore.Cli.Output;

namespace LeadScore.Cli.Commands;

/// <summary>
/// <c>leadscore score [--csv FILE | --all] [--out FILE] [--explain] [--json]</c>: batch scoring with the champion
/// (or <c>--model</c>), streamed chunk by chunk to CSV or JSON lines.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var csv = new Option<string?>("--csv") { Description = "Score the leads of this CSV (one row per lead, read with the model's training schema; unused columns such as the target are ignored)" };
        var all = new Option<bool>("--all") { Description = "Score every lead in the workspace with the champion, store the scores and write them" };
        var output = new Option<string?>("--out") { Description = "Write the scores to this file (default: stdout)" };
        var explain = new Option<bool>("--explain") { Description = "Add the top reasons (positive and negative) to each score" };
        var top = new Option<int>("--top") { Description = "Reasons of each sign with --explain", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Write JSON lines (one object per lead) instead of CSV" };
        var sep = new Option<string?>("--sep") { Description = "Field separator of --csv (default: the mapping's, else sniffed from the header)" };
        var mapping = new Option<string?>("--mapping") { Description = "Mapping file (the one `import` takes): delimiter, id column, true/false spellings" };
        var id = new Option<string?>("--id") { Description = "Column of --csv holding the lead id (default: the model's identifier column if present, else the row number)" };
        var keep = new Option<string?>("--keep") { Description = "With --csv: input columns to copy after lead_id, comma-separated (e.g. --keep email,company), so the output joins back to the CRM" };
        var model = new Option<string?>("--model") { Description = "Model version (v3) or alias to score --csv with (default: the champion)" };
        var status = new Option<string?>("--status") { Description = "With --all: which stored leads to write: open (default), won, lost, closed (won or lost) or all; every lead is scored and stored whatever this says" };
        var pseudonymise = new Option<bool>("--pseudonymise") { Description = "Replace each lead id (and any personal --keep column) by its keyed pseudonym (HMAC-SHA256 with the workspace's secret)" };

        var cmd = new Command("score", "Score a CSV of leads or every lead in the workspace; write CSV or JSON lines with probability, score, grade and reasons");
        foreach (var o in new Option[] { csv, all, output, explain, top, json, sep, mapping, id, keep, model, status, pseudonymise }) cmd.Options.Add(o);

        cmd.SetAction(async (parse, ct) =>
        {
            var csvPath = parse.GetValue(csv);
            var scoreAll = parse.GetValue(all);
            if ((csvPath is null) == !scoreAll) throw new LeadScoreException("give exactly one of --csv FILE or --all", "csv");
            var withReasons = parse.GetValue(explain);
            var topN = parse.GetValue(top);
            if (topN < 1) throw new LeadScoreException("--top must be at least 1", "top");
            var format = parse.GetValue(json) ? ScoreOutputFormat.JsonLines : ScoreOutputFormat.Csv;
            var outPath = parse.GetValue(output);
            if (csvPath is not null && parse.GetValue(status) is not null) throw new LeadScoreException("--status applies to --all (a --csv file's rows are not stored leads)", "status");
            var statuses = LeadStatusFilter.Parse(parse.GetValue(status), "--status");

            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var store = host.Store;
            var pseudo = parse.GetValue(pseudonymise) ? await host.Get<PrivacyKeys>().PseudonymiserAsync(ct) : null;
            var optOuts = host.Get<ProfilingOptOuts>();
            await optOuts.RefreshAsync(ct);
            var sw = Stopwatch.StartNew();
            long rows;
            string version;
            if (csvPath is not null)
            {
                var requested = parse.GetValue(model);
                if (requested is not null) requested = await host.Get<ModelRegistry>().ResolveAsync(requested, ct);
                var loaded = await BatchScoring.LoadModelAsync(store, requested, ct);
                version = loaded.Version;
                var skipped = new SkippedRows();
                var refused = new SkippedRows();
                var options = new BatchCsvOptions
                {
                    Skipped = skipped,
                    OptedOut = optOuts.Snapshot,
                    OptedOutRows = refused,
                    Separator = TrainCommand.ParseSeparator(parse.GetValue(sep)),
                    IdColumn = parse.GetValue(id),
                    Mapping = parse.GetValue(mapping) is { } mp ? ImportMapping.Load(mp) : null,
                    Keep = KeepColumns(parse.GetValue(keep)),
                    Log = new BatchPredictionLog(host.Get<PredictionLogger>(),
                        await store.GetAliasAsync(ModelAliases.Champion, ct) == version ? PredictionSlots.Champion : PredictionSlots.Explicit, host.Get<TimeProvider>()),
                };
                // Opened (and its header checked) before any output, so a bad file fails with one line and no empty --out file.
                var personal = await host.Get<PersonalFields>().NamesAsync(ct);
                var relay = new ProgressRelay();
                var chunks = BatchScoring.ScoreCsvRows(loaded, csvPath, options, withReasons, topN, relay, ct);
                rows = await WithOutputAsync(console, outPath, $"scoring {Path.GetFileName(csvPath)} with {version}", (writer, progress) =>
                {
                    relay.Target = progress;
                    var output = pseudo is null ? chunks : chunks.Select(c => Pseudonymised(c, options.Keep, personal, pseudo));
                    return ScoreWriter.WriteAsync(BatchScoring.AsAsync(output), options.Keep, writer, format, withReasons, topN, ct);
                });
                ReportSkipped(console, skipped);
                ReportOptedOut(console, refused);
            }
            else
            {
                if (parse.GetValue(model) is not null) throw new LeadScoreException("--all scores with the champion; promote a version first (./leadscore models promote VERSION)", "model");
                if (parse.GetValue(sep) is not null || parse.GetValue(mapping) is not null || parse.GetValue(id) is not null || parse.GetValue(keep) is not null)
                    throw new LeadScoreException("--sep, --mapping, --id and --keep only apply with --csv (--all writes each lead's status and company)", "csv");
                var scoring = host.Get<ScoringService>();
                await scoring.ReloadAsync(ct);
                version = scoring.RequireChampion().Version;
                var n = await console.StepAsync($"scoring every lead with {version}", p => scoring.RescoreAllAsync(ScoreCause.Manual, p, ct));
                console.Log($"stored {n:N0} scores");
                if (optOuts.Snapshot.Count > 0)
                    console.Warn(string.Create(CultureInfo.InvariantCulture, $"{optOuts.Snapshot.Count:N0} lead(s) opted out of profiling were not scored"));
                // Stored scores always carry reasons; without --explain the writer leaves them out.
                var stored = LeadStatusRule.StoredScoresAsync(store, ct: ct, statuses: statuses);
                rows = await WithOutputAsync(console, outPath, "writing the scores", (writer, _) =>
                    ScoreWriter.WriteAsync(pseudo is null ? stored : PseudonymisedAsync(stored, pseudo), writer, format, withReasons, topN, ct));
                var hint = statuses is null ? "" : " (--status all writes every lead, --status closed the won and lost ones)";
                console.Log(string.Create(CultureInfo.InvariantCulture, $"wrote {rows:N0} {LeadStatusFilter.Describe(statuses)} lead(s) of {n:N0}{hint}"));
                rows = n;
            }
            var secs = Math.Max(sw.Elapsed.TotalSeconds, 1e-3);
            console.Log(string.Create(CultureInfo.InvariantCulture,
                $"scored {rows:N0} leads with {version} in {secs:F1} s ({rows / secs:N0} leads/s){(outPath is null ? "" : $"; wrote {Path.GetFullPath(outPath)}")}"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static BatchCsvChunk Pseudonymised(BatchCsvChunk c, IReadOnlyList<string> keep, IReadOnlySet<string> personal, Func<string, string> pseudonym) =>
        new(Array.ConvertAll(c.Results, r => r with { LeadId = pseudonym(r.LeadId) }),
            Array.ConvertAll(c.Kept, row => row.Select((v, i) => personal.Contains(keep[i]) ? pseudonym(v) : v).ToArray()));

    private static async IAsyncEnumerable<StoredLeadScore[]> PseudonymisedAsync(IAsyncEnumerable<StoredLeadScore[]> chunks, Func<string, string> pseudonym)
    {
        await foreach (var c in chunks)
            yield return Array.ConvertAll(c, s => s with { Score = s.Score with { LeadId = pseudonym(s.Score.LeadId) } });
    }

    /// <summary>Rows of --csv refused because their id is a stored lead that opted out of profiling.</summary>
    private static void ReportOptedOut(CliConsole console, SkippedRows refused)
    {
        if (refused.Count == 0) return;
        foreach (var s in refused.First) console.Warn(CliErrors.Printable(s));
        console.Warn(string.Create(CultureInfo.InvariantCulture, $"{refused.Count:N0} row(s) not scored: their lead opted out of profiling"));
    }

    private static IReadOnlyList<string> KeepColumns(string? keep) =>
        keep is null ? [] : keep.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Malformed rows of --csv, on stderr after the run: the first few as file:line: reason, then their number.</summary>
    private static void ReportSkipped(CliConsole console, SkippedRows skipped)
    {
        if (skipped.Count == 0) return;
        foreach (var s in skipped.First) console.Warn(CliErrors.Printable(s));
        var more = skipped.Count - skipped.First.Count;
        console.Warn(string.Create(CultureInfo.InvariantCulture,
            $"skipped {skipped.Count:N0} malformed row(s){(more > 0 ? $" ({more:N0} not shown)" : "")}; the other rows were scored"));
    }

    /// <summary>Runs a write to --out (with a progress display) or to stdout (progress as log lines only, so a terminal's bar does not mix with the rows).</summary>
    private static async Task<long> WithOutputAsync(CliConsole console, string? outPath, string title, Func<TextWriter, IProgress<double>?, Task<long>> write)
    {
        if (outPath is null)
        {
            if (console.Interactive) return await write(console.Out, null);
            return await console.StepAsync(title, p => write(console.Out, p));
        }
        var full = Path.GetFullPath(outPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await using var writer = new StreamWriter(full, false, new UTF8Encoding(false), 1 << 16);
        return await console.StepAsync(title, p => write(writer, p));
    }

    private sealed class ProgressRelay : IProgress<double>
    {
        public IProgress<double>? Target { get; set; }
        public void Report(double value) => Target?.Report(value);
    }
}
