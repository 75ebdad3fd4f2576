using System.Globalization;
using System.Text;

namespace LeadScore.Cli.Tests.Fuzz;

/// <summary>What a generated row must become: stored (Good), never stored (Bad), either (Wild), or not asserted (Unknown: structural damage ate it).</summary>
internal enum Fate { Good, Wild, Bad, Unknown }

/// <param name="Line">The line the row starts on, as the importer numbers it.</param>
/// <param name="Key">How to find it in the store: lead id, "lead|event", domain, or the outcome's lead id.</param>
internal sealed record FuzzRow(long Line, string Key, Fate Fate);

/// <summary>One generated import file and what must happen to it. Deterministic for (seed, index).</summary>
internal sealed class FuzzCase
{
    public required int Index { get; init; }
    public required string Kind { get; init; }
    public required string Path { get; init; }
    public required string Describe { get; init; }
    public required IReadOnlyList<FuzzRow> Rows { get; init; }
    /// <summary>Rows the importer must read, when the damage leaves that knowable.</summary>
    public long? ExpectedRead { get; init; }
    /// <summary>For a whole-file fault, what follows the path in the error line (":1: no ", ": the file is empty"); null = must import.</summary>
    public string? ExpectedError { get; init; }

    private static readonly string[] Kinds = ["leads", "activities", "enrichment", "outcomes"];

    private static readonly Dictionary<string, (string Name, string Role)[]> Columns = new()
    {
        ["leads"] = [("lead_id", "id"), ("created_at", "time"), ("email", "email"), ("company", "text"), ("city", "text"), ("visits", "count"),
            ("n_budget", "number"), ("b_flag", "bool"), ("cat_src", "category"), ("seen_at", "date")],
        ["activities"] = [("event_id", "id"), ("lead_id", "lead"), ("type", "type"), ("timestamp", "time"), ("url", "url"), ("value", "count"), ("campaign", "category")],
        ["enrichment"] = [("domain", "domain"), ("as_of", "time"), ("employees", "count"), ("industry", "category")],
        ["outcomes"] = [("lead_id", "lead"), ("outcome", "outcome"), ("date", "time")],
    };

    private static readonly Dictionary<string, string[]> Required = new()
    {
        ["leads"] = ["lead_id", "created_at"], ["activities"] = ["lead_id", "type", "timestamp"], ["enrichment"] = ["domain", "as_of"], ["outcomes"] = ["lead_id", "outcome", "date"],
    };

    /// <summary>Values that are valid in a column of this role whatever kind the column was inferred or stored as.</summary>
    private static string Good(Random rng, string role, int i) => role switch
    {
        "time" or "date" => Pick(rng, $"2025-{1 + i % 12:00}-{1 + i % 28:00}", $"2025-{1 + i % 12:00}-{1 + i % 28:00}T{i % 24:00}:15:00Z",
            $"2025-03-{1 + i % 28:00}T08:00:00+02:00", $"2025-07-{1 + i % 28:00}T23:59:59.123-05:00"),
        "email" => Pick(rng, $"ann{i}@acme.com", $"bob.{i}@gmail.com", ""),
        "text" => Pick(rng, "Acme", "Zürich AG", "東京 KK", "Acme, Inc.", "O\"Brien & Sons", "Two\nLines Ltd", "🙂 Emoji Co", ""),
        "count" => Pick(rng, "0", "3", "17", "250", ""),
        "number" => Pick(rng, "0", "3", "12.5", "1000000", "-4", ""),
        "bool" => Pick(rng, "true", "false", "yes", "no", ""),
        "category" => Pick(rng, "web", "event", "referral", "partner", ""),
        "type" => Pick(rng, "page_view", "email_open", "Page View", "meeting", "form-submit"),
        "url" => Pick(rng, "/pricing", "https://x.io/a?b=1&c=2", "/docs/intro", ""),
        "outcome" => Pick(rng, "converted", "lost", "won", "closed lost"),
        _ => throw new ArgumentOutOfRangeException(nameof(role), role),
    };

    /// <summary>Values the importer may accept or reject, but must never crash on or lose track of.</summary>
    private static string Wild(Random rng, string role) => role switch
    {
        "time" or "date" => Pick(rng, "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+14:00", "2026-02-30", "1/2/2025", "20250102", "1767225600",
            "2025-01-02T10:00:00.1234567+05:45", "2025-13-01", "yesterday", "  2025-01-02  ", "2025-01-02T25:00:00Z", "+002025-01-02"),
        "count" or "number" => Pick(rng, "1e308", "-1e308", "NaN", "-0", "Infinity", new string('9', 400), "1,5", "0x1F", " 12 ", "-1", "1e-320", "٣"),
        "bool" => Pick(rng, "maybe", "TRUE", "1", "0", "Y", "ja"),
        "category" or "text" or "email" => Pick(rng, "a\u0001b", "\u202etxet", new string('x', 3000), "Ω≈ç√", "=HYPERLINK(\"x\")", "not an email@", "\t tabbed \t"),
        "type" => Pick(rng, "PAGE VIEW", "social_like", "  ", "x" + new string('y', 200)),
        "url" => Pick(rng, "javascript:alert(1)", new string('/', 500), "http://[::1]/"),
        "outcome" => Pick(rng, "reopened", "open", "1", "maybe"),
        _ => "",
    };

    /// <summary>Values that must be rejected wherever they appear (NUL, too long).</summary>
    private static string Bad(Random rng) => Pick(rng, "ab\0cd", new string('z', 4100), "\0");

    private static string Pick(Random rng, params string[] values) => values[rng.Next(values.Length)];

    public static FuzzCase Generate(int seed, int index, string dir)
    {
        // Not HashCode.Combine: it is randomised per process, and a failing case must be the same case on the next run.
        var rng = new Random(unchecked(seed * 1_000_003 + index) & int.MaxValue);
        var kind = Kinds[index % Kinds.Length];
        var jsonl = rng.Next(3) == 0;
        var prefix = string.Create(CultureInfo.InvariantCulture, $"f{seed}-{index}");
        var cols = Columns[kind].OrderBy(_ => rng.Next()).ToList();
        var notes = new List<string> { kind, jsonl ? "jsonl" : "csv" };
        string? expectedError = null;
        // Whole-file faults, rarely: a required column missing from a CSV header, or an empty file.
        var empty = rng.Next(60) == 0;
        if (!jsonl && !empty && rng.Next(40) == 0)
        {
            var drop = Pick(rng, Required[kind]);
            cols.RemoveAll(c => c.Name == drop);
            notes.Add($"no {drop} column");
            expectedError = ":1: no ";
        }
        if (!jsonl && empty) expectedError = ": the file is empty";
        var dupHeader = !jsonl && rng.Next(8) == 0 && cols.Any(c => c.Role is "text" or "category");
        if (dupHeader)
        {
            cols.Add(cols.First(c => c.Role is "text" or "category"));
            notes.Add("duplicate header");
        }
        var n = empty ? 0 : rng.Next(3, 21);
        var bom = rng.Next(5) == 0;
        var eol = rng.Next(3); // 0 LF, 1 CRLF, 2 mixed
        var unterminated = !jsonl && rng.Next(20) == 0 ? rng.Next(n + 1) : -1;
        var truncate = n > 0 && rng.Next(12) == 0;
        var blankLines = jsonl && rng.Next(4) == 0;
        if (bom) notes.Add("BOM");
        notes.Add(eol switch { 0 => "LF", 1 => "CRLF", _ => "mixed EOL" });
        if (unterminated >= 0 && unterminated < n) notes.Add($"unterminated quote in row {unterminated + 1}");
        if (truncate) notes.Add("truncated last line");

        var text = new StringBuilder();
        var rows = new List<FuzzRow>();
        var line = 1L;
        string Eol() => eol switch { 0 => "\n", 1 => "\r\n", _ => rng.Next(2) == 0 ? "\n" : "\r\n" };
        void Emit(string s) { text.Append(s); line += s.Count(ch => ch == '\n'); }
        if (!empty && !jsonl) Emit(string.Join(",", cols.Select(c => c.Name)) + Eol());
        if (jsonl) line = 1;
        var swallowed = false;
        for (var i = 0; i < n; i++)
        {
            var fate = rng.Next(10) switch { < 7 => Fate.Good, < 9 => Fate.Wild, _ => Fate.Bad };
            var values = new Dictionary<string, string>();
            // Every key ends in "x", so a truncated last line cannot cut its key into another row's key (which would be a
            // legitimate correction of that row, not a lost one).
            var id = $"{prefix}-{i}x";
            var lead = $"{prefix}-L{i % 4}x";
            foreach (var (name, role) in cols.DistinctBy(c => c.Name))
                values[name] = role switch
                {
                    "id" => kind == "activities" ? $"{prefix}-e{i}x" : id,
                    "lead" => kind == "outcomes" ? id : lead,
                    "domain" => $"{prefix}-{i}x.example.com",
                    _ => Good(rng, role, i),
                };
            var free = cols.DistinctBy(c => c.Name).Where(c => c.Role is not ("id" or "lead" or "domain")).ToList();
            if (fate == Fate.Wild && free.Count > 0)
                for (var k = rng.Next(1, 3); k > 0; k--) { var c = Pick(rng, [.. free.Select(f => f.Name)]); values[c] = Wild(rng, free.First(f => f.Name == c).Role); }
            var binary = false;
            if (fate == Fate.Bad)
            {
                switch (rng.Next(jsonl ? 6 : 5))
                {
                    case 0 when free.Count > 0: values[Pick(rng, [.. free.Select(f => f.Name)])] = Bad(rng); break;
                    case 1 when free.Count > 0: values[Pick(rng, [.. free.Select(f => f.Name)])] = "bin\uE000ary"; binary = true; break;
                    case 2: values[Required[kind][0]] = ""; break;
                    case 3 when cols.Any(c => c.Role == "time"): values[cols.First(c => c.Role == "time").Name] = "not-a-date"; break;
                    case 5: values["\uE001"] = ""; break; // JSONL: a key that is a lone surrogate
                    default: values[Required[kind][0]] = ""; break;
                }
            }
            var key = kind switch
            {
                "activities" => $"{lead}|{prefix}-e{i}x",
                "enrichment" => $"{prefix}-{i}x.example.com",
                _ => id,
            };
            string record;
            var structural = 0;
            if (jsonl)
            {
                if (blankLines && rng.Next(3) == 0) Emit(Eol());
                record = "{" + string.Join(",", values.Select(kv => $"{Json(kv.Key)}:{JsonValue(rng, kv.Key, kv.Value, cols)}")) + "}";
                if (fate == Fate.Bad && rng.Next(4) == 0) record = rng.Next(2) == 0 ? record[..(record.Length / 2)] : "[1,2]";
            }
            else
            {
                var fields = cols.Select(c => Csv(values[c.Name])).ToList();
                if (fate == Fate.Bad && rng.Next(3) == 0) { structural = 1; if (rng.Next(2) == 0) fields.RemoveAt(fields.Count - 1); else fields.Add("extra"); }
                if (i == unterminated) fields[rng.Next(fields.Count)] = "\"never closed";
                record = string.Join(",", fields);
            }
            if (i == unterminated) swallowed = true;
            var rowFate = swallowed || (truncate && i == n - 1) ? Fate.Unknown : fate;
            // A missing field in a column the file does not have is no fault: only required columns decide Bad rows.
            if (fate == Fate.Bad && expectedError is not null) rowFate = Fate.Unknown;
            _ = binary;
            rows.Add(new FuzzRow(line, key, rowFate));
            var last = i == n - 1;
            if (last && truncate) record = record[..Math.Max(1, rng.Next(record.Length))];
            Emit(record + (last && (truncate || rng.Next(8) == 0) ? "" : Eol()));
            _ = structural;
        }
        var path = System.IO.Path.Combine(dir, $"fuzz-{seed}-{index}.{(jsonl ? "jsonl" : "csv")}");
        File.WriteAllBytes(path, Encode(text.ToString(), bom));
        return new FuzzCase
        {
            Index = index, Kind = kind, Path = path, Describe = string.Join(", ", notes), Rows = rows,
            ExpectedRead = expectedError is not null || unterminated >= 0 || truncate ? null : n,
            ExpectedError = expectedError,
        };
    }

    private static string Csv(string v) => v.AsSpan().IndexOfAny(",\"\n\r") >= 0 || v.StartsWith(' ') ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;

    private static string Json(string s)
    {
        if (s == "\uE001") return "\"\\udc00k\"";
        var sb = new StringBuilder("\"");
        foreach (var ch in s)
            sb.Append(ch switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                '\uE000' => "\uE000", // raw bytes are spliced in by Encode
                < ' ' => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)ch:x4}"),
                _ => ch.ToString(),
            });
        return sb.Append('"').ToString();
    }

    /// <summary>Good numbers sometimes as bare JSON numbers; a text value sometimes with a lone surrogate escape (never valid text).</summary>
    private static string JsonValue(Random rng, string name, string value, List<(string Name, string Role)> cols)
    {
        var role = cols.FirstOrDefault(c => c.Name == name).Role;
        if (role is "count" or "number" && value.Length is > 0 and < 30 && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && !value.Contains(' ') && char.IsDigit(value[^1]) && (value[0] == '-' || char.IsDigit(value[0])) && !value.StartsWith("-0", StringComparison.Ordinal) && rng.Next(2) == 0)
            return value;
        if (value == "" && rng.Next(3) == 0) return "null";
        return Json(value);
    }

    /// <summary>UTF-8 with the placeholder U+E000 replaced by raw bytes that are not UTF-8 (FF FE, a NUL, a PNG signature).</summary>
    private static byte[] Encode(string text, bool bom)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var outBytes = new List<byte>(utf8.Length + 16);
        if (bom) outBytes.AddRange([0xEF, 0xBB, 0xBF]);
        for (var i = 0; i < utf8.Length; i++)
        {
            if (i + 2 < utf8.Length && utf8[i] == 0xEE && utf8[i + 1] == 0x80 && utf8[i + 2] == 0x80)
            {
                outBytes.AddRange([0xFF, 0xFE, 0x00, 0x89, 0x50, 0x4E, 0x47]);
                i += 2;
                continue;
            }
            outBytes.Add(utf8[i]);
        }
        return [.. outBytes];
    }
}
