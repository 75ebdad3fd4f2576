using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LeadScore.Engine.Ingestion;

/// <summary>
/// How raw text is read, the one set of rules used at import, in training and at serve time: missing
/// placeholders, true/false spellings, date formats, number bounds and activity-type spelling.
/// </summary>
/// <remarks>
/// <para>Build it with <see cref="Default"/> or <see cref="FromMapping(ImportMapping)"/>; it is immutable and thread-safe.</para>
/// <para>It is a serialisable record (System.Text.Json, snake_case: <c>missing_values</c>, <c>true_values</c>,
/// <c>false_values</c>, <c>date_formats</c>) so a model artifact can keep the rules it was trained with and serving
/// can read values exactly the same way: <see cref="ToJson"/> and <see cref="FromJson(string)"/>, or serialise it with
/// <see cref="JsonOptions"/> as part of a larger document.</para>
/// </remarks>
public sealed record ValueRules
{
    /// <summary>
    /// The largest magnitude a number may have (1e15). Larger values (and NaN or infinity) are refused at import:
    /// no lead attribute, activity value or enrichment count is that large, while values such as 1e308 overflow sums,
    /// time decay and model contributions downstream.
    /// </summary>
    public const double MaxMagnitude = 1e15;

    /// <summary>
    /// Values meaning missing unless a mapping names its own: empty, na, n/a, null, nan, none, -, unknown, select.
    /// Compared case-insensitively after trimming. "unknown" and "select" are what CRM drop-downs store when nobody chose.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultMissingValues = ["", "NA", "N/A", "null", "NaN", "none", "-", "unknown", "Select"];

    /// <summary>True spellings unless a mapping names its own: true, yes, y, t, 1.</summary>
    public static readonly IReadOnlyList<string> DefaultTrueValues = ["true", "yes", "y", "t", "1"];

    /// <summary>False spellings unless a mapping names its own: false, no, n, f, 0.</summary>
    public static readonly IReadOnlyList<string> DefaultFalseValues = ["false", "no", "n", "f", "0"];

    /// <summary>
    /// Target values meaning converted unless a mapping names its own (a leads file's target column, a flat table's label):
    /// 1, yes, true, y, t, converted, won. Labels, not value rules: they are not part of the serialised rules.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultPositiveTargets = ["1", "yes", "true", "y", "t", "converted", "won"];

    /// <summary>Target values meaning lost unless a mapping names its own: 0, no, false, n, f, lost (leads files reject anything else).</summary>
    public static readonly IReadOnlyList<string> DefaultNegativeTargets = ["0", "no", "false", "n", "f", "lost"];

    /// <summary>The rules used when no mapping says otherwise.</summary>
    public static ValueRules Default { get; } = new();

    /// <summary>Snake-case options for storing the rules (e.g. inside a model artifact).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    private IReadOnlyList<string> _missing = DefaultMissingValues;
    private IReadOnlyList<string> _true = DefaultTrueValues;
    private IReadOnlyList<string> _false = DefaultFalseValues;
    private IReadOnlyList<string> _dateFormats = [];
    private HashSet<string> _missingSet = Set(DefaultMissingValues);
    private HashSet<string> _trueSet = Set(DefaultTrueValues);
    private HashSet<string> _falseSet = Set(DefaultFalseValues);
    private string[] _formats = [];

    /// <summary>The default rules (see <see cref="Default"/>).</summary>
    [JsonConstructor]
    public ValueRules() { }

    /// <summary>The rules a mapping file states, defaults where it states none (same as <see cref="FromMapping(ImportMapping)"/>).</summary>
    public ValueRules(ImportMapping mapping)
    {
        MissingValues = mapping.Missing ?? DefaultMissingValues;
        TrueValues = mapping.TrueValues ?? DefaultTrueValues;
        FalseValues = mapping.FalseValues ?? DefaultFalseValues;
        DateFormats = mapping.DateFormats;
    }

    /// <summary>The rules of a mapping file: its missing values, true/false words and date formats, defaults where it names none.</summary>
    public static ValueRules FromMapping(ImportMapping? mapping) => mapping is null ? Default : new ValueRules(mapping);

    /// <summary>Values meaning missing (case-insensitive, after trimming).</summary>
    public IReadOnlyList<string> MissingValues
    {
        get => _missing;
        init { _missing = [.. value]; _missingSet = Set(value); }
    }

    /// <summary>Spellings of true (case-insensitive, after trimming).</summary>
    public IReadOnlyList<string> TrueValues
    {
        get => _true;
        init { _true = [.. value]; _trueSet = Set(value); }
    }

    /// <summary>Spellings of false (case-insensitive, after trimming).</summary>
    public IReadOnlyList<string> FalseValues
    {
        get => _false;
        init { _false = [.. value]; _falseSet = Set(value); }
    }

    /// <summary>.NET custom date formats tried before ISO 8601 and the built-in unambiguous layouts.</summary>
    public IReadOnlyList<string> DateFormats
    {
        get => _dateFormats;
        init { _dateFormats = [.. value]; _formats = [.. value]; }
    }

    /// <summary>The rules as JSON (snake_case).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Rules read back from <see cref="ToJson"/>; members left out take their defaults.</summary>
    public static ValueRules FromJson(string json) =>
        JsonSerializer.Deserialize<ValueRules>(json, JsonOptions) ?? Default;

    /// <summary>Whether a value is missing: null, or one of <see cref="MissingValues"/> after trimming.</summary>
    public bool IsMissing(string? raw) => raw is null || _missingSet.Contains(raw.Trim());

    /// <summary>
    /// Reads a true/false spelling: one of <see cref="TrueValues"/> or <see cref="FalseValues"/>, or "true"/"false" always,
    /// since that is how import stores booleans: a stored lead read back with a mapping's rules ("Ja"/"Nein") still reads.
    /// </summary>
    public bool TryBool(string raw, out bool value)
    {
        var t = raw.Trim();
        if (_trueSet.Contains(t) || (t.Equals("true", StringComparison.OrdinalIgnoreCase) && !_falseSet.Contains(t))) { value = true; return true; }
        if (_falseSet.Contains(t) || t.Equals("false", StringComparison.OrdinalIgnoreCase)) { value = false; return true; }
        value = false;
        return false;
    }

    /// <summary>An invariant-culture number, finite and at most <see cref="MaxMagnitude"/> in magnitude.</summary>
    public static bool TryNumber(string raw, out double value) => TryNumber(raw, out value, out _);

    /// <summary>As <see cref="TryNumber(string, out double)"/>, saying why not: "not a number" or "out of range".</summary>
    public static bool TryNumber(string raw, out double value, out string? reason)
    {
        if (!double.TryParse(raw.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            reason = $"wrong type: '{raw}' is not a number";
            return false;
        }
        if (!double.IsFinite(value) || Math.Abs(value) > MaxMagnitude)
        {
            reason = double.IsFinite(value)
                ? $"out of range: {raw.Trim()} (numbers may be at most {MaxMagnitude:0e0} in magnitude)"
                : $"out of range: {raw.Trim()} is not a finite number";
            value = 0;
            return false;
        }
        reason = null;
        return true;
    }

    /// <summary>
    /// Whether text reads as a number that must be refused: it parses, but is infinite, NaN or beyond
    /// <see cref="MaxMagnitude"/>. Used for fields read as numbers whatever the column's inferred kind.
    /// </summary>
    public static bool IsOutOfRangeNumber(string raw) =>
        double.TryParse(raw.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && (!double.IsFinite(v) || Math.Abs(v) > MaxMagnitude);

    /// <summary>Reads a date: see <see cref="TryDate(string, out DateTimeOffset, out string?)"/>.</summary>
    public bool TryDate(string raw, out DateTimeOffset value) => TryDate(raw, out value, out _);

    /// <summary>
    /// Reads a date, the one policy everywhere: the mapping's <see cref="DateFormats"/> first, then ISO 8601, then a few
    /// unambiguous layouts ("2026/01/02", "2 Jan 2026", RFC 1123). Times without an offset are UTC; the result is UTC.
    /// Never throws: a date whose UTC instant falls outside years 1 to 9999 (e.g. "9999-12-31T23:59:59-01:00") is refused.
    /// Day/month layouts such as "05/01/2026" are refused as ambiguous unless a mapping format names them.
    /// </summary>
    /// <param name="raw">The text (trimmed here).</param>
    /// <param name="value">The instant, in UTC.</param>
    /// <param name="reason">
    /// Why it is not a date when there is more to say than "not a date" (outside the calendar, day/month order unknown);
    /// null when it parsed or simply is no date.
    /// </param>
    public bool TryDate(string raw, out DateTimeOffset value, out string? reason)
    {
        var t = raw.Trim();
        reason = null;
        try
        {
            if (_formats.Length > 0 &&
                DateTimeOffset.TryParseExact(t, _formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
                return true;
            switch (TryIsoCore(t, out value))
            {
                case IsoResult.Ok: return true;
                case IsoResult.OutOfRange: reason = OutOfRangeReason; return false;
            }
            // Only unambiguous layouts: "05.01.2026" could be 5 January or 1 May, and guessing would
            // silently alter the row. Such dates need their format named in the mapping's date_formats.
            if (DateTimeOffset.TryParseExact(t, UnambiguousFormats, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces, out value))
                return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            // The framework's parsers can throw instead of returning false when the offset pushes the instant
            // past the calendar's ends; that is bad data, not a bug of the caller.
            value = default;
            reason = OutOfRangeReason;
            return false;
        }
        value = default;
        reason = AmbiguousDayMonth(t) ? AmbiguousReason : null;
        return false;
    }

    private const string OutOfRangeReason = "outside the supported date range (years 1 to 9999 in UTC)";
    private const string AmbiguousReason = "day/month order unknown: name the format in the mapping's date_formats, e.g. dd/MM/yyyy";

    private static readonly string[] UnambiguousFormats =
    [
        "yyyy/MM/dd", "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mmK",
        "r", "O", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ss zzz", "ddd, dd MMM yyyy HH:mm:ss zzz",
        "d MMM yyyy", "dd MMM yyyy", "MMM d, yyyy", "MMMM d, yyyy", "d MMMM yyyy",
    ];

    /// <summary>
    /// "05/01/2026", "13.01.2026", "1-5-26": a numeric day and month in unknown order before the year, where at least one
    /// order gives a real date. Such dates are refused (with this reason) unless a mapping format names the order.
    /// </summary>
    internal static bool AmbiguousDayMonth(string t)
    {
        var parts = t.Split(['/', '.', '-'], 4);
        if (parts.Length != 3) return false;
        foreach (var p in parts)
            if (p.Length == 0 || p.AsSpan().ContainsAnyExceptInRange('0', '9')) return false;
        if (parts[0].Length > 2 || parts[1].Length > 2 || parts[2].Length is not (2 or 4)) return false;
        int a = int.Parse(parts[0], CultureInfo.InvariantCulture), b = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var y = int.Parse(parts[2], CultureInfo.InvariantCulture);
        if (y == 0 && parts[2].Length == 4) return false;
        if (parts[2].Length == 2) y += 2000;
        static bool Valid(int y, int m, int d) => m is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, m);
        return Valid(y, b, a) || Valid(y, a, b);
    }

    /// <summary>
    /// The hot path: ISO 8601 as exports write it (yyyy-MM-dd, optional THH:mm:ss, fraction, Z or ±hh:mm),
    /// parsed without the general parser, which costs microseconds per call. Anything else falls through.
    /// Never throws: an instant outside the calendar after applying the offset is refused.
    /// </summary>
    public static bool TryIso(ReadOnlySpan<char> s, out DateTimeOffset value) => TryIsoCore(s, out value) == IsoResult.Ok;

    private enum IsoResult { NotIso, Ok, OutOfRange }

    private static IsoResult TryIsoCore(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 10 || s[4] != '-' || s[7] != '-') return IsoResult.NotIso;
        if (!Digits(s, 0, 4, out var y) || !Digits(s, 5, 2, out var mo) || !Digits(s, 8, 2, out var d)) return IsoResult.NotIso;
        int h = 0, mi = 0, sec = 0;
        long ticks = 0;
        var offset = TimeSpan.Zero;
        var i = 10;
        if (s.Length > 10)
        {
            if ((s[10] != 'T' && s[10] != ' ') || s.Length < 19 || s[13] != ':' || s[16] != ':') return IsoResult.NotIso;
            if (!Digits(s, 11, 2, out h) || !Digits(s, 14, 2, out mi) || !Digits(s, 17, 2, out sec)) return IsoResult.NotIso;
            i = 19;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                var start = i;
                long frac = 0;
                while (i < s.Length && char.IsAsciiDigit(s[i]) && i - start < 7) frac = frac * 10 + (s[i++] - '0');
                if (i == start) return IsoResult.NotIso;
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
                else return IsoResult.NotIso;
            }
        }
        if (i != s.Length || mo is < 1 or > 12 || d < 1 || y < 1 || d > DateTime.DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return IsoResult.NotIso;
        // The local time is valid; the UTC instant may not be (year 9999 with a negative offset, year 1 with a positive one).
        var local = new DateTime(y, mo, d, h, mi, sec, DateTimeKind.Unspecified).Ticks + ticks;
        var utc = local - offset.Ticks;
        if (local > DateTime.MaxValue.Ticks || utc < DateTime.MinValue.Ticks || utc > DateTime.MaxValue.Ticks) return IsoResult.OutOfRange;
        value = new DateTimeOffset(utc, TimeSpan.Zero);
        return IsoResult.Ok;
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

    /// <summary>
    /// The one spelling of an activity type: trimmed, lower case, runs of spaces, '-' and '_' as one '_'
    /// ("Page View", "page-view" and " PAGE_VIEW " are all page_view). Returns the same instance when it is already normal,
    /// so calling it per activity on stored (normal) types allocates nothing.
    /// </summary>
    public static string NormalizeActivityType(string type)
    {
        if (IsNormalType(type)) return type;
        var buf = type.Length <= 256 ? stackalloc char[type.Length] : new char[type.Length];
        var n = 0;
        var pendingSep = false;
        foreach (var ch in type.AsSpan().Trim())
        {
            if (ch is ' ' or '-' or '_' || char.IsWhiteSpace(ch)) { pendingSep = n > 0; continue; }
            if (pendingSep) { buf[n++] = '_'; pendingSep = false; }
            buf[n++] = char.ToLowerInvariant(ch);
        }
        return new string(buf[..n]);
    }

    private static bool IsNormalType(string type)
    {
        if (type.Length == 0) return true;
        if (type[0] == '_' || type[^1] == '_') return false;
        for (var i = 0; i < type.Length; i++)
        {
            var c = type[i];
            if (c == '_') { if (type[i - 1] == '_') return false; continue; }
            if (c is ' ' or '-' || char.IsWhiteSpace(c) || char.ToLowerInvariant(c) != c) return false;
        }
        return true;
    }

    /// <inheritdoc />
    public bool Equals(ValueRules? other) =>
        other is not null && _missing.SequenceEqual(other._missing) && _true.SequenceEqual(other._true)
        && _false.SequenceEqual(other._false) && _dateFormats.SequenceEqual(other._dateFormats);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_missing.Count, _true.Count, _false.Count, _dateFormats.Count);

    private static HashSet<string> Set(IEnumerable<string> values) => new(values, StringComparer.OrdinalIgnoreCase);
}
