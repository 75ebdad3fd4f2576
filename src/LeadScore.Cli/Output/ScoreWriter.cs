using System.Globalization;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Exports;
using LeadScore.Core;

namespace LeadScore.Cli.Output;

/// <summary>The output format of <see cref="ScoreWriter.WriteAsync"/>.</summary>
public enum ScoreOutputFormat { Csv, JsonLines }

/// <summary>Writes scored leads for <c>leadscore score</c>: CSV cells through the one guarded escaper, or JSON lines.</summary>
public static class ScoreWriter
{
    // Output is snake_case like `train --json`.
    private static readonly JsonSerializerOptions OutJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Writes scored leads: CSV (lead_id, probability, score, grade, model_version and, with
    /// <paramref name="explain"/>, reason_1..reason_top as "text (+n pts)") or one JSON object per line
    /// (with the reasons as objects). Returns the number of rows written.
    /// </summary>
    public static Task<long> WriteAsync(IAsyncEnumerable<LeadScoreResult[]> chunks, TextWriter output, ScoreOutputFormat format,
        bool explain, int top = 5, CancellationToken ct = default) =>
        WriteRowsAsync(chunks.Select(c => Array.ConvertAll(c, r => new Row(r.LeadId, r.Probability, r.Score, r.Grade, r.ModelVersion, r.Reasons, []))),
            [], output, format, explain, top, ct);

    /// <summary>
    /// Writes a scored CSV with the kept input columns after lead_id (CSV: columns named as in the input; JSON: a
    /// <c>columns</c> object), so the output joins back to the CRM on the id.
    /// </summary>
    public static Task<long> WriteAsync(IAsyncEnumerable<Application.Scoring.BatchCsvChunk> chunks, IReadOnlyList<string> keep, TextWriter output,
        ScoreOutputFormat format, bool explain, int top = 5, CancellationToken ct = default) =>
        WriteRowsAsync(chunks.Select(c => c.Results.Select((r, i) => new Row(r.LeadId, r.Probability, r.Score, r.Grade, r.ModelVersion, r.Reasons, c.Kept[i])).ToArray()),
            keep, output, format, explain, top, ct);

    /// <summary>Writes stored scores (their reasons read back by the one stored-reasons reader).</summary>
    public static Task<long> WriteAsync(IAsyncEnumerable<Storage.StoredScore[]> chunks, TextWriter output, ScoreOutputFormat format,
        bool explain, int top = 5, CancellationToken ct = default) =>
        WriteRowsAsync(chunks.Select(c => Array.ConvertAll(c, s => Stored(s, explain, []))), [], output, format, explain, top, ct);

    /// <summary>Writes stored scores with each lead's status (open, won, lost) and company after lead_id.</summary>
    public static Task<long> WriteAsync(IAsyncEnumerable<Application.Scoring.StoredLeadScore[]> chunks, TextWriter output, ScoreOutputFormat format,
        bool explain, int top = 5, CancellationToken ct = default) =>
        WriteRowsAsync(chunks.Select(c => Array.ConvertAll(c, s => Stored(s.Score, explain, [s.Status, s.Company]))), ["status", "company"], output, format, explain, top, ct,
            stored: true);

    private static Row Stored(Storage.StoredScore s, bool explain, string?[] extra) =>
        new(s.LeadId, s.Probability, s.Score, s.Grade, s.ModelVersion, explain ? Application.Scoring.StoredReasons.Read(s.ReasonsJson) : [], extra);

    /// <summary>What one output row holds, whichever way it was scored; <see cref="Extra"/> lines up with the extra column names.</summary>
    private readonly record struct Row(string LeadId, double Probability, int Score, string Grade, string ModelVersion, IReadOnlyList<Reason> Reasons, string?[] Extra);

    private static async Task<long> WriteRowsAsync(IAsyncEnumerable<Row[]> chunks, IReadOnlyList<string> extra, TextWriter output, ScoreOutputFormat format,
        bool explain, int top, CancellationToken ct, bool stored = false)
    {
        var inv = CultureInfo.InvariantCulture;
        var reasonColumns = 2 * top;
        if (format == ScoreOutputFormat.Csv)
        {
            var header = new StringBuilder("lead_id");
            foreach (var e in extra) { header.Append(','); Csv(header, e); }
            header.Append(",probability,score,grade,model_version");
            if (explain) for (var i = 1; i <= reasonColumns; i++) header.Append(inv, $",reason_{i}");
            await output.WriteLineAsync(header, ct);
        }
        long rows = 0;
        // One write per chunk of rows (not one await per line): the text of a chunk is built, then written at once.
        var line = new StringBuilder();
        var newLine = output.NewLine;
        await foreach (var chunk in chunks.WithCancellation(ct))
        {
            line.Clear();
            foreach (var r in chunk)
            {
                if (format == ScoreOutputFormat.Csv)
                {
                    Csv(line, r.LeadId);
                    foreach (var e in r.Extra) { line.Append(','); Csv(line, e ?? ""); }
                    line.Append(',').Append(r.Probability.ToString("0.######", inv)).Append(',')
                        .Append(r.Score.ToString(inv)).Append(',').Append(r.Grade).Append(',');
                    Csv(line, r.ModelVersion);
                    if (explain)
                        for (var i = 0; i < reasonColumns; i++)
                        {
                            line.Append(',');
                            if (i < r.Reasons.Count) Csv(line, ReasonCell(r.Reasons[i]));
                        }
                }
                else
                {
                    line.Append(JsonSerializer.Serialize(new JsonScore(r.LeadId, Math.Round(r.Probability, 6), r.Score, r.Grade, r.ModelVersion,
                        explain ? r.Reasons.Select(x => new JsonReason(x.Feature, x.Value, Math.Round(x.Contribution, 4), Math.Round(x.Points, 2), x.Text)).ToArray() : null)
                    {
                        Status = stored ? r.Extra[0] : null,
                        Company = stored ? r.Extra[1] : null,
                        Columns = !stored && extra.Count > 0 ? extra.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => r.Extra[x.i]) : null,
                    }, OutJson));
                }
                line.Append(newLine);
                rows++;
            }
            await output.WriteAsync(line, ct);
        }
        await output.FlushAsync(ct);
        return rows;
    }

    /// <summary>A reason as one CSV cell: the sentence and its score points, e.g. "Had 2 meetings in the last 30 days (+12.5 pts)".</summary>
    public static string ReasonCell(Reason r) => string.Create(CultureInfo.InvariantCulture, $"{r.Text} ({(r.Points >= 0 ? "+" : "")}{r.Points:0.0} pts)");

    private static void Csv(StringBuilder sb, string s) => CsvText.Append(sb, s);

    private sealed record JsonScore(string LeadId, double Probability, int Score, string Grade, string ModelVersion, JsonReason[]? Reasons)
    {
        public string? Status { get; init; }
        public string? Company { get; init; }
        public Dictionary<string, string?>? Columns { get; init; }
    }

    private sealed record JsonReason(string Feature, string Value, double Contribution, double Points, string Text);
}
