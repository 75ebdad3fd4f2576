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
        using (var sr = OpenText(path)) headerLine = sr.ReadLine() ?? "";
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

    private static IEnumerable<SourceRow> ReadJsonLines(string path)
    {
        using var sr = OpenText(path);
        long line = 0;
        while (sr.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            yield return ParseJsonLine(line, text);
        }
    }

    /// <summary>One JSON-lines row: an object whose values become text (nested values as their JSON).</summary>
    public static SourceRow ParseJsonLine(long line, string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return new SourceRow(line, SourceRow.NoValues, text, $"not a JSON object ({doc.RootElement.ValueKind.ToString().ToLowerInvariant()})");
            return new SourceRow(line, FromJsonObject(doc.RootElement), text);
        }
        catch (JsonException ex)
        {
            return new SourceRow(line, SourceRow.NoValues, text, $"invalid JSON: {FirstSentence(ex.Message)}");
        }
    }

    /// <summary>An object's members as text values. Used for JSON-lines rows and API items alike.</summary>
    public static IReadOnlyDictionary<string, string?> FromJsonObject(JsonElement obj)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
        {
            values[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => p.Value.GetRawText(),
            };
        }
        return values;
    }

    /// <summary>Invalid UTF-8 bytes decode to U+FFFD, which validation then rejects with the row's line.</summary>
    private static StreamReader OpenText(string path) =>
        new(path, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);

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

    private static string[] UniqueNames(string[] header)
    {
        var names = new string[header.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Length; i++)
        {
            var n = header[i].Trim();
            if (n.Length == 0) n = $"column_{i + 1}";
            var unique = n;
            for (var k = 2; !seen.Add(unique); k++) unique = $"{n}_{k}";
            names[i] = unique;
        }
        return names;
    }

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
