using System.Globalization;
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
/// <remarks>
/// A field is at most <see cref="MaxFieldChars"/> and a record at most <see cref="MaxRecordChars"/> characters.
/// Past either bound (typically a stray quote that would otherwise swallow the rest of the file) the record is
/// returned as an error naming the line where its quote opened, the rest of that physical line is skipped without
/// being held, and reading resumes at the next line: memory stays flat and later good rows are kept. The lines the
/// broken record swallowed before the bound are part of it and are lost with it.
/// </remarks>
public sealed class DelimitedReader : IDisposable
{
    /// <summary>Longest field, in characters (1 Mi), unless the constructor says otherwise.</summary>
    public const int DefaultMaxFieldChars = 1 << 20;
    /// <summary>Longest record, in characters (4 Mi), unless the constructor says otherwise.</summary>
    public const int DefaultMaxRecordChars = 4 << 20;
    /// <summary>How much of an over-long record's text is kept as its <see cref="SourceRecord.Raw"/> (for quarantine).</summary>
    public const int OversizedRawPreviewChars = 4096;

    private readonly TextReader _reader;
    private readonly char _sep;
    private readonly StringBuilder _field = new();
    private readonly StringBuilder _raw = new();
    private long _line = 1;

    public DelimitedReader(TextReader reader, char separator, int maxFieldChars = DefaultMaxFieldChars, int maxRecordChars = DefaultMaxRecordChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFieldChars, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecordChars, 1);
        _reader = reader;
        _sep = separator;
        MaxFieldChars = maxFieldChars;
        MaxRecordChars = maxRecordChars;
    }

    /// <summary>Longest field accepted, in characters.</summary>
    public int MaxFieldChars { get; }

    /// <summary>Longest record accepted, in characters (its source text, delimiters and quotes included).</summary>
    public int MaxRecordChars { get; }

    /// <summary>
    /// Opens a file with lenient UTF-8 decoding: invalid bytes become U+FFFD, which validation rejects with the row's line.
    /// Only a UTF-8 byte-order mark is honoured: bytes FF FE are invalid UTF-8, not a switch to UTF-16.
    /// </summary>
    public static DelimitedReader Open(string path, char separator) => new(OpenText(path), separator);

    /// <summary>
    /// A file as text: UTF-8 (a UTF-8 BOM skipped, invalid bytes as U+FFFD), or UTF-16 when it starts with a UTF-16 BOM
    /// <em>and</em> the bytes after it look like UTF-16 (Excel's "Unicode text" export). Bytes FF FE before plain ASCII are
    /// invalid UTF-8, rejected with their row, not a reason to read the whole file as UTF-16 garbage.
    /// </summary>
    public static StreamReader OpenText(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> head = stackalloc byte[64];
        var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        Encoding encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: false);
        if (n >= 4 && head[0] == 0xFF && head[1] == 0xFE && LooksUtf16(head[2..n], littleEndian: true))
            encoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: true, throwOnInvalidBytes: false);
        else if (n >= 4 && head[0] == 0xFE && head[1] == 0xFF && LooksUtf16(head[2..n], littleEndian: false))
            encoding = new UnicodeEncoding(bigEndian: true, byteOrderMark: true, throwOnInvalidBytes: false);
        // The encoding's own preamble (BOM) is skipped by the reader; nothing else is guessed.
        return new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
    }

    /// <summary>Mostly ASCII text in UTF-16 has a zero high byte in most code units.</summary>
    private static bool LooksUtf16(ReadOnlySpan<byte> bytes, bool littleEndian)
    {
        int units = 0, zeros = 0;
        for (var i = 0; i + 1 < bytes.Length; i += 2)
        {
            units++;
            if (bytes[littleEndian ? i + 1 : i] == 0) zeros++;
        }
        return units > 0 && zeros * 2 >= units;
    }

    /// <summary>The first line of a text, at most <paramref name="maxChars"/> characters of it (the rest of the line is not read).</summary>
    public static string ReadFirstLine(TextReader reader, int maxChars = DefaultMaxRecordChars)
    {
        var sb = new StringBuilder();
        int c;
        while ((c = reader.Read()) >= 0 && c != '\n' && c != '\r' && sb.Length < maxChars) sb.Append((char)c);
        return sb.ToString();
    }

    /// <summary>Guesses the delimiter from the header line: the most frequent of , ; tab |.</summary>
    public static char SniffSeparator(string headerLine)
    {
        char[] candidates = [',', ';', '\t', '|'];
        var best = ',';
        var bestCount = 0;
        foreach (var c in candidates)
        {
            var n = headerLine.AsSpan().Count(c);
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
            var quoteLine = _line;
            var fields = new List<string>();
            _field.Clear();
            _raw.Clear();
            var inQuotes = false;
            var quotedField = false;
            var any = false;
            string? error = null;
            while (true)
            {
                if (_field.Length >= MaxFieldChars || _raw.Length >= MaxRecordChars)
                    return Oversized(startLine, inQuotes, quoteLine);
                var ci = _reader.Read();
                if (ci < 0)
                {
                    if (!any) return null;
                    if (inQuotes) error = $"unterminated quoted field (the quote opened at line {quoteLine})";
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
                    quoteLine = _line;
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

    /// <summary>
    /// A record past a bound: keeps a preview of its text, skips the rest of the current line unread into memory,
    /// and reports where it started so the user can find the stray quote.
    /// </summary>
    private SourceRecord Oversized(long startLine, bool inQuotes, long quoteLine)
    {
        var fieldTooLong = _field.Length >= MaxFieldChars;
        var preview = _raw.ToString(0, Math.Min(_raw.Length, OversizedRawPreviewChars)) + "…";
        _field.Clear();
        _raw.Clear();
        int ci;
        while ((ci = _reader.Read()) >= 0)
        {
            if (ci == '\n') { _line++; break; }
            if (ci == '\r')
            {
                if (_reader.Peek() == '\n') _reader.Read();
                _line++;
                break;
            }
        }
        var what = fieldTooLong
            ? string.Create(CultureInfo.InvariantCulture, $"a field longer than {MaxFieldChars:N0} characters")
            : string.Create(CultureInfo.InvariantCulture, $"a record longer than {MaxRecordChars:N0} characters");
        var error = inQuotes
            ? $"unterminated quoted field? the quote opened at line {quoteLine} runs into {what}; the record is skipped and reading resumes at line {_line}"
            : $"{what}; the record is skipped and reading resumes at line {_line}";
        return new SourceRecord(startLine, [], preview, error);
    }

    public IEnumerable<SourceRecord> ReadAll()
    {
        while (Read() is { } r) yield return r;
    }

    public void Dispose() => _reader.Dispose();
}
