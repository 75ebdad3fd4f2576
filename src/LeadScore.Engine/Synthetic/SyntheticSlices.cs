using System.Globalization;
using System.Text;
using LeadScore.Core;

namespace LeadScore.Engine.Synthetic;

/// <summary>The rows of a generated data set that became known in one period (a simulated day), in the store's orders.</summary>
public sealed record SyntheticSlice
{
    public IReadOnlyList<Lead> Leads { get; init; } = [];
    public IReadOnlyList<Activity> Activities { get; init; } = [];
    public IReadOnlyList<Enrichment> Enrichment { get; init; } = [];
    public IReadOnlyList<Outcome> Outcomes { get; init; } = [];
}

public static partial class SyntheticGenerator
{
    /// <summary>
    /// Writes a slice as the canonical CSV files (the names and columns of <see cref="WriteCsv(string, SyntheticOptions, IProgress{double}?)"/>,
    /// without truth.csv), so it imports exactly as a full generated data set does. Returns the files written with their kind
    /// ("leads", "activities", "enrichment", "outcomes"); a part with no rows is not written.
    /// </summary>
    public static IReadOnlyList<(string Kind, string Path)> WriteSlice(string directory, SyntheticSlice slice)
    {
        Directory.CreateDirectory(directory);
        var written = new List<(string, string)>();
        if (slice.Leads.Count > 0)
        {
            var p = Path.Combine(directory, "leads.csv");
            using var w = Writer(p, string.Join(',', CsvSink.LeadColumns));
            foreach (var lead in slice.Leads)
            {
                Cell(w, lead.Id);
                for (var i = 1; i < CsvSink.LeadColumns.Length; i++)
                {
                    w.Write(',');
                    Cell(w, CsvSink.LeadColumns[i] == "created_at" ? Stamp(lead.CreatedAt) : lead.Get(CsvSink.LeadColumns[i]));
                }
                w.WriteLine();
            }
            written.Add(("leads", p));
        }
        var files = new (string Name, string? Property, Func<string, bool> Has)[]
        {
            ("activities_web.csv", "session_id", t => t is ActivityTypes.PageView or ActivityTypes.Session or ActivityTypes.Download or ActivityTypes.FormSubmit),
            ("activities_sales.csv", null, t => t is ActivityTypes.Call or ActivityTypes.Meeting),
            ("activities_social.csv", "network", t => t is ActivityTypes.SocialLike or ActivityTypes.SocialShare or ActivityTypes.SocialComment or ActivityTypes.SocialMention),
        };
        var groups = slice.Activities.GroupBy(a => Array.FindIndex(files, f => f.Has(a.Type)) is var i and >= 0 ? i : files.Length).OrderBy(g => g.Key);
        foreach (var g in groups)
        {
            var (name, property) = g.Key < files.Length ? (files[g.Key].Name, files[g.Key].Property) : ("activities_email.csv", "campaign");
            var p = Path.Combine(directory, name);
            using var w = Writer(p, "event_id,lead_id,type,timestamp,url,value" + (property is null ? "" : "," + property));
            foreach (var a in g)
            {
                Cell(w, a.EventId); w.Write(','); Cell(w, a.LeadId); w.Write(','); Cell(w, a.Type); w.Write(',');
                Cell(w, Stamp(a.Timestamp)); w.Write(','); Cell(w, a.Url); w.Write(',');
                if (a.Value is { } v) w.Write(v.ToString("R", CultureInfo.InvariantCulture));
                if (property is not null) { w.Write(','); Cell(w, a.Properties.TryGetValue(property, out var pv) ? pv : null); }
                w.WriteLine();
            }
            written.Add(("activities", p));
        }
        if (slice.Enrichment.Count > 0)
        {
            var p = Path.Combine(directory, "enrichment.csv");
            using var w = Writer(p, "domain,as_of,employees,revenue_band,industry,technologies,intent_score");
            foreach (var e in slice.Enrichment)
            {
                Cell(w, e.Domain); w.Write(','); Cell(w, Day(e.AsOf));
                foreach (var f in new[] { EnrichmentFields.Employees, EnrichmentFields.RevenueBand, EnrichmentFields.Industry, EnrichmentFields.Technologies, EnrichmentFields.IntentScore })
                {
                    w.Write(',');
                    Cell(w, e.Attributes.TryGetValue(f, out var v) ? v : null);
                }
                w.WriteLine();
            }
            written.Add(("enrichment", p));
        }
        if (slice.Outcomes.Count > 0)
        {
            var p = Path.Combine(directory, "outcomes.csv");
            using var w = Writer(p, "lead_id,outcome,date");
            foreach (var o in slice.Outcomes)
            {
                Cell(w, o.LeadId);
                w.Write(o.Kind == OutcomeKind.Converted ? ",converted," : ",lost,");
                w.WriteLine(Day(o.At));
            }
            written.Add(("outcomes", p));
        }
        return written;
    }

    private static StreamWriter Writer(string path, string header)
    {
        var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        w.WriteLine(header);
        return w;
    }

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180, as <see cref="CsvSink"/> writes: quoted only when needed.</summary>
    private static void Cell(StreamWriter w, string? s)
    {
        if (string.IsNullOrEmpty(s)) return;
        if (s.AsSpan().IndexOfAny(",\"\r\n") < 0 && s[0] != ' ' && s[^1] != ' ') { w.Write(s); return; }
        w.Write('"');
        w.Write(s.Replace("\"", "\"\""));
        w.Write('"');
    }
}
