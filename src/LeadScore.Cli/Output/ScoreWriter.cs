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
        WriteRowsAsync(chunks.Select(c => Array.ConvertAll(c, r => new Row(r.LeadId, r.Probability, r.Score, r.Grade, r.ModelVersion, r.Reasons))),
            output, format, explain, top, ct);

    /// <summary>Writes stored scores (their reasons read back by the one stored-reasons reader).</summary>
    public static Task<long> WriteAsync(IAsyncEnumerable<Storage.StoredScore[]> chunks, TextWriter output, ScoreOutputFormat format,
        bool explain, int top = 5, CancellationToken ct = default) =>
        WriteRowsAsync(chunks.Select(c => Array.ConvertAll(c, s => new Row(s.LeadId, s.Probability, s.Score, s.Grade, s.ModelVersion,
            explain ? Application.Scoring.StoredReasons.Read(s.ReasonsJson) : []))), output, format, explain, top, ct);

    /// <summary>What one output row holds, whichever way it was scored.</summary>
    private readonly record struct Row(string LeadId, double Probability, int Score, string Grade, string ModelVersion, IReadOnlyList<Reason> Reasons);

    private static async Task<long> WriteRowsAsync(IAsyncEnumerable<Row[]> chunks, TextWriter output, ScoreOutputFormat format,
        bool explain, int top, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var reasonColumns = 2 * top;
        if (format == ScoreOutputFormat.Csv)
        {
            var header = new StringBuilder("lead_id,probability,score,grade,model_version");
            if (explain) for (var i = 1; i <= reasonColumns; i++) header.Append(inv, $",reason_{i}");
            await output.WriteLineAsync(header, ct);
        }
        long rows = 0;
        var line = new StringBuilder();
        await foreach (var chunk in chunks.WithCancellation(ct))
        {
            foreach (var r in chunk)
            {
                line.Clear();
                if (format == ScoreOutputFormat.Csv)
                {
                    Csv(line, r.LeadId); line.Append(',').Append(r.Probability.ToString("0.######", inv)).Append(',')
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
                        explain ? r.Reasons.Select(x => new JsonReason(x.Feature, x.Value, Math.Round(x.Contribution, 4), Math.Round(x.Points, 2), x.Text)).ToArray() : null), OutJson));
                }
                await output.WriteLineAsync(line, ct);
                rows++;
            }
        }
        await output.FlushAsync(ct);
        return rows;
    }

    /// <summary>A reason as one CSV cell: the sentence and its score points, e.g. "Had 2 meetings in the last 30 days (+12.5 pts)".</summary>
    public static string ReasonCell(Reason r) => string.Create(CultureInfo.InvariantCulture, $"{r.Text} ({(r.Points >= 0 ? "+" : "")}{r.Points:0.0} pts)");

    private static void Csv(StringBuilder sb, string s) => CsvText.Append(sb, s);

    private sealed record JsonScore(string LeadId, double Probability, int Score, string Grade, string ModelVersion, JsonReason[]? Reasons);

    private sealed record JsonReason(string Feature, string Value, double Contribution, double Points, string Text);
}
