using System.Text;

namespace LeadScore.Engine.Ingestion;

/// <summary>One record read from a source file, with where it came from.</summary>
/// <param name="Line">1-based line number of the record's first line in the file.</param>
/// <param name="Fields">Field values (unquoted).</param>
/// <param name="Raw">The record's source text, for quarantine.</param>
/// <param name="Error">Why the record is malformed (e.g. an unterminated quote), or null.</param>
public sealed record SourceRecord(long Line, string[] Fields, string Raw, string? Error = null);

/// <summary>
/// Streams an RFC 4180 delimited file: any one-character delimiter, quoted fields with doubled
/// quotes and embedded line breaks, CRLF or LF, an optional UTF-8 BOM. Never loads the whole file.
/// Malformed records are returned with <see cref="SourceRecord.Error"/> set instead of throwing,
/// so the caller can quarantine them and go on.
/// </summary>
public sealed class DelimitedReader : IDisposable
{
    private readonly TextReader _reader;
    private readonly char _sep;
    private readonly StringBuilder _field = new();
    private readonly StringBuilder _raw = new();
    private long _line = 1;

    public DelimitedReader(TextReader reader, char separator)
    {
        _reader = reader;
        _sep = separator;
    }

    /// <summary>Opens a file with strict UTF-8 decoding: invalid bytes become U+FFFD, which validation rejects.</summary>
    public static DelimitedReader Open(string path, char separator) =>
        new(new StreamReader(path, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16), separator);

    /// <summary>Guesses the delimiter from the header line: the most frequent of , ; tab |.</summary>
    public static char SniffSeparator(string headerLine)
    {
        char[] candidates = [',', ';', '\t', '|'];
        var best = ',';
        var bestCount = 0;
        foreach (var c in candidates)
        {
            var n = headerLine.Count(ch => ch == c);
            if (n > bestCount) { best = c; bestCount = n; }
        }
        return best;
    }

    /// <summary>Reads the next record, or null at the end of the file. Blank lines are skipped.</summary>
    public SourceRecord? Read()
    {
        while (true)
        {
            var startLine = _line;
            var fields = new List<string>();
            _field.Clear();
            _raw.Clear();
            var inQuotes = false;
            var quotedField = false;
            var any = false;
            string? error = null;
            while (true)
            {
                var ci = _reader.Read();
                if (ci < 0)
                {
                    if (!any) return null;
                    if (inQuotes) error = "unterminated quoted field";
                    fields.Add(_field.ToString());
                    return new SourceRecord(startLine, fields.ToArray(), _raw.ToString(), error);
                }
                any = true;
                var c = (char)ci;
                if (inQuotes)
                {
                    if (c == '"')
                    {
                        if (_reader.Peek() == '"') { _reader.Read(); _field.Append('"'); _raw.Append("\"\""); continue; }
                        inQuotes = false;
                        _raw.Append(c);
                        continue;
                    }
                    if (c == '\n') _line++;
                    _field.Append(c);
                    _raw.Append(c);
                    continue;
                }
                if (c == _sep)
                {
                    fields.Add(_field.ToString());
                    _field.Clear();
                    quotedField = false;
                    _raw.Append(c);
                    continue;
                }
                if (c == '\r')
                {
                    if (_reader.Peek() == '\n') _reader.Read();
                    _line++;
                    break;
                }
                if (c == '\n') { _line++; break; }
                if (c == '"' && _field.Length == 0 && !quotedField)
                {
                    inQuotes = true;
                    quotedField = true;
                    _raw.Append(c);
                    continue;
                }
                if (quotedField && error is null) error = "text after a closing quote";
                _field.Append(c);
                _raw.Append(c);
            }
            fields.Add(_field.ToString());
            if (fields.Count == 1 && fields[0].Length == 0 && !quotedField) continue; // blank line
            return new SourceRecord(startLine, fields.ToArray(), _raw.ToString(), error);
        }
    }

    public IEnumerable<SourceRecord> ReadAll()
    {
        while (Read() is { } r) yield return r;
    }

    public void Dispose() => _reader.Dispose();
}
