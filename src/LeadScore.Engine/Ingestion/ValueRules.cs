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
        if (SchemaInference.TryParseDate(t, out value)) { value = value.ToUniversalTime(); return true; }
        return false;
    }
}
