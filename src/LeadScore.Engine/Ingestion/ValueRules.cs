using System.Globalization;

namespace LeadScore.Engine.Ingestion;

/// <summary>How raw text is read under a mapping: missing placeholders, true/false spellings, date formats.</summary>
public sealed class ValueRules
{
    private static readonly string[] DefaultTrue = ["true", "yes", "y", "t", "1"];
    private static readonly string[] DefaultFalse = ["false", "no", "n", "f", "0"];
    private readonly HashSet<string> _missing;
    private readonly HashSet<string> _true;
    private readonly HashSet<string> _false;
    private readonly string[] _dateFormats;

    public ValueRules(ImportMapping mapping)
    {
        _missing = new HashSet<string>(mapping.Missing ?? ImportMapping.DefaultMissing, StringComparer.OrdinalIgnoreCase);
        _true = new HashSet<string>(mapping.TrueValues ?? DefaultTrue, StringComparer.OrdinalIgnoreCase);
        _false = new HashSet<string>(mapping.FalseValues ?? DefaultFalse, StringComparer.OrdinalIgnoreCase);
        _dateFormats = [.. mapping.DateFormats];
    }

    public IReadOnlySet<string> MissingValues => _missing;

    public bool IsMissing(string? raw) => raw is null || _missing.Contains(raw.Trim());

    public bool TryBool(string raw, out bool value)
    {
        var t = raw.Trim();
        if (_true.Contains(t)) { value = true; return true; }
        if (_false.Contains(t)) { value = false; return true; }
        value = false;
        return false;
    }

    public static bool TryNumber(string raw, out double value) =>
        double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>The mapping's formats first, then the built-in ones. Times without an offset are UTC.</summary>
    public bool TryDate(string raw, out DateTimeOffset value)
    {
        var t = raw.Trim();
        if (_dateFormats.Length > 0 &&
            DateTimeOffset.TryParseExact(t, _dateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
            return true;
        if (TryIso(t, out value)) return true;
        // Only unambiguous layouts: "05.01.2026" could be 5 January or 1 May, and guessing would
        // silently alter the row. Such dates need their format named in the mapping's date_formats.
        if (DateTimeOffset.TryParseExact(t, UnambiguousFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces, out value))
            return true;
        return false;
    }

    private static readonly string[] UnambiguousFormats =
    [
        "yyyy/MM/dd", "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mmK",
        "r", "O", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ss zzz", "ddd, dd MMM yyyy HH:mm:ss zzz",
        "d MMM yyyy", "dd MMM yyyy", "MMM d, yyyy", "MMMM d, yyyy", "d MMMM yyyy",
    ];

    /// <summary>
    /// The hot path: ISO 8601 as exports write it (yyyy-MM-dd, optional THH:mm:ss, fraction, Z or ±hh:mm),
    /// parsed without the general parser, which costs microseconds per call. Anything else falls through.
    /// </summary>
    public static bool TryIso(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 10 || s[4] != '-' || s[7] != '-') return false;
        if (!Digits(s, 0, 4, out var y) || !Digits(s, 5, 2, out var mo) || !Digits(s, 8, 2, out var d)) return false;
        int h = 0, mi = 0, sec = 0;
        long ticks = 0;
        var offset = TimeSpan.Zero;
        var i = 10;
        if (s.Length > 10)
        {
            if ((s[10] != 'T' && s[10] != ' ') || s.Length < 19 || s[13] != ':' || s[16] != ':') return false;
            if (!Digits(s, 11, 2, out h) || !Digits(s, 14, 2, out mi) || !Digits(s, 17, 2, out sec)) return false;
            i = 19;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                var start = i;
                long frac = 0;
                while (i < s.Length && char.IsAsciiDigit(s[i]) && i - start < 7) frac = frac * 10 + (s[i++] - '0');
                if (i == start) return false;
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++; // beyond 100 ns: ignored
                for (var k = i - start; k < 7; k++) frac *= 10;
                ticks = frac;
            }
            if (i < s.Length)
            {
                if (s[i] == 'Z' && i == s.Length - 1) i++;
                else if ((s[i] == '+' || s[i] == '-') && s.Length - i == 6 && s[i + 3] == ':' && Digits(s, i + 1, 2, out var oh) && Digits(s, i + 4, 2, out var om) && oh <= 14 && om < 60)
                {
                    offset = new TimeSpan(oh, om, 0);
                    if (s[i] == '-') offset = -offset;
                    i = s.Length;
                }
                else return false;
            }
        }
        if (i != s.Length || mo is < 1 or > 12 || d < 1 || y < 1 || d > DateTime.DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return false;
        value = new DateTimeOffset(y, mo, d, h, mi, sec, offset).AddTicks(ticks).ToUniversalTime();
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var k = start; k < start + count; k++)
        {
            if (!char.IsAsciiDigit(s[k])) return false;
            value = value * 10 + (s[k] - '0');
        }
        return true;
    }
}
