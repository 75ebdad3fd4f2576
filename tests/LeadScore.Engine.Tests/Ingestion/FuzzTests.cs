using System.Text;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Tests.Ingestion;

/// <summary>
/// Seeded fuzzing of the CSV and JSON-lines readers through the whole pipeline: thousands of generated
/// malformed inputs, none may crash it, and every row read is either accepted or rejected.
/// </summary>
public sealed class FuzzTests
{
    private const string Header = "event_id,lead_id,type,timestamp,url,value,campaign";
    private static readonly string[] Pieces = ["\"", "\"\"", ",", ";", "\n", "\r\n", "\r", "{", "}", "[", "\\", "é", "\0", "\uFFFD", "2026-13-01", "-1", "NaN", "1e999", "\t", " "];

    private static string GoodCsvRow(Random rng, int i) =>
        $"e{i},L{rng.Next(50)},page_view,2026-01-{1 + rng.Next(28):00}T10:00:00Z,/p{rng.Next(9)},{rng.Next(600)},c{rng.Next(3)}";

    private static string GoodJsonRow(Random rng, int i) =>
        $"{{\"event_id\":\"e{i}\",\"lead_id\":\"L{rng.Next(50)}\",\"type\":\"email_open\",\"timestamp\":\"2026-02-{1 + rng.Next(28):00}T10:00:00Z\",\"value\":{rng.Next(9)}}}";

    private static string Mutate(Random rng, string s)
    {
        var sb = new StringBuilder(s);
        var n = 1 + rng.Next(4);
        for (var k = 0; k < n; k++)
        {
            var at = rng.Next(sb.Length + 1);
            switch (rng.Next(3))
            {
                case 0: sb.Insert(at, Pieces[rng.Next(Pieces.Length)]); break;
                case 1: if (at < sb.Length) sb.Remove(at, Math.Min(1 + rng.Next(5), sb.Length - at)); break;
                default: sb.Insert(at, (char)rng.Next(1, 0xD7FF)); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Arbitrary damage anywhere: no crash, accepted + rejected = read.</summary>
    [Fact]
    public void Randomly_damaged_files_never_crash_the_readers_and_every_row_is_accounted_for()
    {
        var rng = new Random(20260601);
        var dir = TestKit.TestPaths.NewTempDir("fuzz");
        for (var iteration = 0; iteration < 1000; iteration++)
        {
            var json = iteration % 2 == 1;
            var lines = new List<string>();
            if (!json) lines.Add(Header);
            var rows = 1 + rng.Next(12);
            for (var i = 0; i < rows; i++)
            {
                var row = json ? GoodJsonRow(rng, i) : GoodCsvRow(rng, i);
                lines.Add(rng.Next(3) == 0 ? Mutate(rng, row) : row);
            }
            var bytes = Encoding.UTF8.GetBytes(string.Join(rng.Next(2) == 0 ? "\n" : "\r\n", lines));
            if (rng.Next(10) == 0) bytes = [.. bytes.Take(bytes.Length / 2), 0xFF, 0xC3, .. bytes.Skip(bytes.Length / 2)]; // invalid UTF-8
            var path = Path.Combine(dir, $"f{iteration}.{(json ? "jsonl" : "csv")}");
            File.WriteAllBytes(path, bytes);

            var t = IngestTestKit.Run(ImportKind.Activities, path);
            (t.Accepted + t.Rejected.Count).ShouldBe(t.Read, $"iteration {iteration}");
            t.Rejected.ShouldAllBe(r => r.Line >= 1 && r.Reason.Length > 0);
        }
    }

    /// <summary>Damage that keeps row boundaries (bad values, stray characters in unquoted fields): no row lost, exactly the damaged ones rejected.</summary>
    [Fact]
    public void Value_damage_loses_no_row_and_rejects_exactly_the_damaged_rows()
    {
        var rng = new Random(7);
        string[] badValues = ["2026-02-30T10:00:00Z", "yesterday", "3031-01-01T00:00:00Z"];
        for (var iteration = 0; iteration < 500; iteration++)
        {
            var json = iteration % 2 == 1;
            var sb = new StringBuilder(json ? "" : Header + "\n");
            var rows = 1 + rng.Next(30);
            var bad = 0;
            for (var i = 0; i < rows; i++)
            {
                var damage = rng.Next(4) == 0;
                var ts = damage ? badValues[rng.Next(badValues.Length)] : $"2026-01-{1 + rng.Next(28):00}T10:00:00Z";
                var value = !damage && rng.Next(5) == 0 ? "" : rng.Next(100).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var lead = damage && rng.Next(2) == 0 ? "" : $"L{rng.Next(9)}";
                if (damage) bad++;
                sb.Append(json
                    ? $"{{\"event_id\":\"e{i}\",\"lead_id\":\"{lead}\",\"type\":\"call\",\"timestamp\":\"{ts}\",\"value\":\"{value}\"}}\n"
                    : $"e{i},{lead},call,{ts},/x,{value},\"q,{i}\"\n");
            }
            var path = IngestTestKit.Write($"f.{(json ? "jsonl" : "csv")}", sb.ToString());
            var t = IngestTestKit.Run(ImportKind.Activities, path, batchSize: 7);
            t.Read.ShouldBe(rows);
            t.Rejected.Count.ShouldBe(bad);
            t.Activities.Count.ShouldBe(rows - bad);
        }
    }
}
