using System.Globalization;
using System.Text;

namespace LeadScore.Benchmarks.Ingestion;

/// <summary>Writes a seeded activities CSV in the generator's canonical format (event_id,lead_id,type,timestamp,url,value,campaign).</summary>
public static class ActivityFileGenerator
{
    private static readonly string[] Types = ["page_view", "page_view", "page_view", "email_open", "email_click", "download", "form_submit", "call", "social_like"];
    private static readonly string[] Urls = ["/pricing", "/demo", "/blog/lead-scoring", "/docs/api", "/case-studies/acme", "/features"];

    public static string Write(string path, int rows, int seed = 42)
    {
        var rng = new Random(seed);
        var t0 = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        w.Write("event_id,lead_id,type,timestamp,url,value,campaign\n");
        var sb = new StringBuilder(128);
        for (var i = 0; i < rows; i++)
        {
            var type = Types[rng.Next(Types.Length)];
            sb.Clear();
            sb.Append("ev").Append(i).Append(",L").Append(rng.Next(rows / 20 + 1)).Append(',').Append(type).Append(',')
              .Append(t0.AddSeconds(rng.Next(300 * 86400)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append(',');
            if (type == "page_view") sb.Append(Urls[rng.Next(Urls.Length)]).Append(',').Append(rng.Next(600));
            else if (type == "call") sb.Append(',').Append(rng.Next(60));
            else sb.Append(',');
            sb.Append(",c").Append(rng.Next(5)).Append('\n');
            w.Write(sb);
        }
        return path;
    }
}
