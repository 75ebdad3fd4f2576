using System.Globalization;
using System.Text;
using LeadScore.Application.Exports;
using LeadScore.Core;

namespace LeadScore.Application.Governance;

/// <summary>
/// A built training set as CSV (<c>features build --out FILE</c>): lead id, decision time, label, then one column per
/// feature. Features never hold personal columns (the schema's personal marks keep them out); with a pseudonymiser the
/// lead id is replaced by its keyed pseudonym, so the file can leave the workspace without naming anyone.
/// </summary>
public static class TrainingDataExport
{
    public static async Task<long> WriteCsvAsync(FeatureFrame frame, TextWriter w, Func<string, string>? pseudonym, CancellationToken ct = default)
    {
        var line = new StringBuilder(512);
        line.Append("lead_id,decision_time,label");
        foreach (var f in frame.Features) { line.Append(','); CsvText.Append(line, f.Name); }
        await w.WriteLineAsync(line, ct);
        for (var i = 0; i < frame.Count; i++)
        {
            line.Clear();
            CsvText.Append(line, pseudonym is null ? frame.Ids[i] : pseudonym(frame.Ids[i]));
            line.Append(',');
            if (i < frame.Times.Count) line.Append(frame.Times[i].UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            line.Append(',');
            if (i < frame.Labels.Count) line.Append(frame.Labels[i] ? '1' : '0');
            foreach (var v in frame.Rows[i]) { line.Append(','); CsvText.Append(line, v.ToString()); }
            await w.WriteLineAsync(line, ct);
        }
        return frame.Count;
    }
}
