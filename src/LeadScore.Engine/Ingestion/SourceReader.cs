using System.Globalization;
using System.Text;
using System.Text.Json;
using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>
/// One row of a source, by source column name, with where it came from. A row the reader could not
/// make sense of (bad quoting, wrong field count, invalid JSON) has <see cref="Error"/> set and no values.
/// </summary>
/// <param name="Line">1-based line of the row's start in the file (for API items: the item's index).</param>
/// <param name="Values">Source column name to value; null is JSON null.</param>
/// <param name="Raw">The row's source text, for quarantine.</param>
/// <param name="Error">Why the row is malformed, or null.</param>
public sealed record SourceRow(long Line, IReadOnlyDictionary<string, string?> Values, string Raw, string? Error = null)
{
    internal static readonly IReadOnlyDictionary<string, string?> NoValues = new Dictionary<string, string?>();
}

/// <summary>
/// Streams the rows of a CSV (any delimiter, quotes, CRLF, BOM, header row) or JSON-lines file.
/// Nothing is loaded whole: rows are produced one at a time, so memory stays flat for any file size.
/// </summary>
public sealed class SourceReader
{
    private SourceReader(string path, string format, char delimiter, IReadOnlyList<string> columns)
    {
        Path = path;
        Format = format;
        Delimiter = delimiter;
        Columns = columns;
    }

    public string Path { get; }
    /// <summary>"csv" or "jsonl".</summary>
    public string Format { get; }
    public char Delimiter { get; }
    /// <summary>The header (CSV) or the keys seen in the first rows (JSON lines), in order.</summary>
    public IReadOnlyList<string> Columns { get; }

    public static SourceReader Open(string path, ImportMapping? mapping = null)
    {
        mapping ??= ImportMapping.Default;
        if (!File.Exists(path)) throw new LeadScoreException($"{path}: file not found", "file");
        var format = mapping.Format?.ToLowerInvariant() ?? DetectFormat(path);
        if (format is "json" or "ndjson") format = "jsonl";
        if (format is not ("csv" or "jsonl")) throw new LeadScoreException($"mapping: format must be csv or jsonl, got '{mapping.Format}'", "format");
        if (format == "jsonl")
        {
            var keys = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var row in ReadJsonLines(path).Take(1000))
                foreach (var k in row.Values.Keys)
                    if (seen.Add(k)) keys.Add(k);
            return new SourceReader(path, format, ',', keys);
        }
        string headerLine;
        using (var sr = OpenText(path)) headerLine = DelimitedReader.ReadFirstLine(sr);
        var sep = mapping.DelimiterChar ?? DelimitedReader.SniffSeparator(headerLine);
        using var r = new DelimitedReader(OpenText(path), sep);
        var header = r.Read() ?? throw new LeadScoreException($"{path}: the file is empty", "file");
        if (header.Error is not null) throw new LeadScoreException($"{path}:1: header row: {header.Error}", "file");
        return new SourceReader(path, format, sep, UniqueNames(header.Fields));
    }

    /// <summary>Streams the data rows (the header excluded).</summary>
    public IEnumerable<SourceRow> ReadRows() => Format == "jsonl" ? ReadJsonLines(Path) : ReadCsv();

    private IEnumerable<SourceRow> ReadCsv()
    {
        using var r = new DelimitedReader(OpenText(Path), Delimiter);
        r.Read(); // header
        var columns = Columns;
        while (r.Read() is { } rec)
        {
            if (rec.Error is not null)
            {
                yield return new SourceRow(rec.Line, SourceRow.NoValues, rec.Raw, rec.Error);
                continue;
            }
            if (rec.Fields.Length != columns.Count)
            {
                yield return new SourceRow(rec.Line, SourceRow.NoValues, rec.Raw, $"expected {columns.Count} fields, found {rec.Fields.Length}");
                continue;
            }
            var values = new Dictionary<string, string?>(columns.Count, StringComparer.Ordinal);
            for (var i = 0; i < columns.Count; i++) values[columns[i]] = rec.Fields[i];
            yield return new SourceRow(rec.Line, values, rec.Raw);
        }
    }

    /// <summary>Longest JSON line, in characters: the same bound as a delimited record (<see cref="DelimitedReader.DefaultMaxRecordChars"/>).</summary>
    public const int MaxJsonLineChars = DelimitedReader.DefaultMaxRecordChars;

    private static IEnumerable<SourceRow> ReadJsonLines(string path)
    {
        using var sr = OpenText(path);
        var lines = new BoundedLineReader(sr, MaxJsonLineChars);
        long line = 0;
        while (lines.ReadLine(out var tooLong) is { } text)
        {
            line++;
            if (tooLong)
            {
                var preview = text[..Math.Min(text.Length, DelimitedReader.OversizedRawPreviewChars)] + "…";
                yield return new SourceRow(line, SourceRow.NoValues, preview,
                    string.Create(CultureInfo.InvariantCulture, $"a line longer than {MaxJsonLineChars:N0} characters; skipped"));
                continue;
            }
            if (string.IsNullOrWhiteSpace(text)) continue;
            yield return ParseJsonLine(line, text);
        }
    }

    /// <summary>
    /// One JSON-lines row: an object whose values become text (nested values as their JSON). Never throws: invalid JSON,
    /// and strings that cannot be text (a lone surrogate such as "\ud800", as a value or a key), reject this line only.
    /// </summary>
    public static SourceRow ParseJsonLine(long line, string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return new SourceRow(line, SourceRow.NoValues, text, $"not a JSON object ({doc.RootElement.ValueKind.ToString().ToLowerInvariant()})");
            var values = FromJsonObject(doc.RootElement, out var problem);
            return problem is null ? new SourceRow(line, values, text) : new SourceRow(line, SourceRow.NoValues, text, $"invalid JSON: {problem}");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // JsonException for bad syntax; the others are what System.Text.Json throws for text it cannot transcode.
            return new SourceRow(line, SourceRow.NoValues, text, $"invalid JSON: {FirstSentence(ex.Message)}");
        }
    }

    /// <summary>
    /// An object (a JSON-lines row or an API item) as a row: an error row, never an exception, when it is not an object
    /// or holds a string that cannot be text. The one conversion both files and API items should use.
    /// </summary>
    public static SourceRow FromJsonItem(long line, JsonElement item)
    {
        string raw;
        try { raw = item.GetRawText(); }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException) { raw = ""; }
        if (item.ValueKind != JsonValueKind.Object)
            return new SourceRow(line, SourceRow.NoValues, raw, $"not a JSON object ({item.ValueKind.ToString().ToLowerInvariant()})");
        var values = FromJsonObject(item, out var problem);
        return problem is null ? new SourceRow(line, values, raw) : new SourceRow(line, SourceRow.NoValues, raw, $"invalid JSON: {problem}");
    }

    /// <summary>
    /// An object's members as text values. Never throws: a key or string that cannot be text (a lone surrogate)
    /// becomes U+FFFD, which <see cref="RowConverter"/> rejects as invalid text with the row. Prefer <see cref="FromJsonItem"/>,
    /// which rejects such an item with a reason.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> FromJsonObject(JsonElement obj) => FromJsonObject(obj, out _);

    private static Dictionary<string, string?> FromJsonObject(JsonElement obj, out string? problem)
    {
        problem = null;
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var index = 0;
        foreach (var p in obj.EnumerateObject())
        {
            index++;
            string name;
            var badName = false;
            try { name = p.Name; }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                problem ??= $"member {index}: its name is not valid text (a lone surrogate?)";
                name = $"\uFFFD{index}";
                badName = true;
            }
            string? value;
            try
            {
                value = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Null or JsonValueKind.Undefined => null,
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => p.Value.GetRawText(),
                };
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                problem ??= $"'{name}': the value is not valid text (a lone surrogate?)";
                value = "\uFFFD";
            }
            // A key that cannot be text makes its value unusable too: U+FFFD gets the row rejected wherever it goes.
            values[name] = badName ? "\uFFFD" : value;
        }
        return values;
    }

    /// <summary>Invalid UTF-8 bytes decode to U+FFFD, which validation then rejects with the row's line (see <see cref="DelimitedReader.OpenText"/>).</summary>
    private static StreamReader OpenText(string path) => DelimitedReader.OpenText(path);

    private static string DetectFormat(string path)
    {
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".jsonl" or ".ndjson" or ".json") return "jsonl";
        if (ext is ".csv" or ".tsv" or ".txt") return "csv";
        using var sr = OpenText(path);
        int c;
        while ((c = sr.Read()) >= 0 && char.IsWhiteSpace((char)c)) { }
        return c == '{' ? "jsonl" : "csv";
    }

    /// <summary>
    /// Header names made unique: a repeated "a" becomes "a_2", "a_3", ... (empty names "column_N"). Linear in the header:
    /// each base name remembers the next suffix to try, so 40,000 copies of one name do not rescan 2..k each time.
    /// Gives the same names as counting up from 2 would, since a name once taken stays taken.
    /// </summary>
    internal static string[] UniqueNames(string[] header)
    {
        var names = new string[header.Length];
        var seen = new HashSet<string>(header.Length, StringComparer.Ordinal);
        var nextSuffix = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Length; i++)
        {
            var n = header[i].Trim();
            if (n.Length == 0) n = string.Create(CultureInfo.InvariantCulture, $"column_{i + 1}");
            if (!seen.Add(n))
            {
                var k = nextSuffix.GetValueOrDefault(n, 2);
                string unique;
                while (!seen.Add(unique = string.Create(CultureInfo.InvariantCulture, $"{n}_{k}"))) k++;
                nextSuffix[n] = k + 1;
                n = unique;
            }
            names[i] = n;
        }
        return names;
    }

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}

/// <summary>
/// Reads lines of at most a given length: a longer line is cut there, flagged, and the rest of it skipped without being
/// held, so one endless line cannot fill memory. CR, LF and CRLF end a line.
/// </summary>
internal sealed class BoundedLineReader(TextReader reader, int maxChars)
{
    private readonly char[] _buf = new char[1 << 16];
    private readonly StringBuilder _line = new();
    private int _pos, _len;
    private bool _skipLf;

    /// <summary>The next line (without its end), or null at the end of the text.</summary>
    public string? ReadLine(out bool tooLong)
    {
        _line.Clear();
        tooLong = false;
        var any = false;
        while (true)
        {
            if (_pos == _len)
            {
                _len = reader.Read(_buf, 0, _buf.Length);
                _pos = 0;
                if (_len <= 0) { _len = 0; return any ? _line.ToString() : null; }
            }
            if (_skipLf)
            {
                _skipLf = false;
                if (_buf[_pos] == '\n') { _pos++; continue; }
            }
            any = true;
            var span = _buf.AsSpan(_pos, _len - _pos);
            var nl = span.IndexOfAny('\r', '\n');
            var take = nl < 0 ? span.Length : nl;
            if (!tooLong)
            {
                var room = maxChars - _line.Length;
                if (take > room) { _line.Append(span[..room]); tooLong = true; }
                else _line.Append(span[..take]);
            }
            _pos += take;
            if (nl >= 0)
            {
                _skipLf = _buf[_pos] == '\r';
                _pos++;
                return _line.ToString();
            }
        }
    }
}
