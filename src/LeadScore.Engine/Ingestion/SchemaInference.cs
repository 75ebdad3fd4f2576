using System.Globalization;
using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>Infers what a column holds from its name and a sample of its values.</summary>
public static class SchemaInference
{
    private static readonly string[] TrueWords = ["true", "yes", "y", "t", "1"];
    private static readonly string[] FalseWords = ["false", "no", "n", "f", "0"];
    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss.fffZ",
        "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.fffK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "yyyy/MM/dd", "dd/MM/yyyy", "MM/dd/yyyy",
    ];

    public static bool TryParseBool(string raw, out bool value)
    {
        if (TrueWords.Contains(raw, StringComparer.OrdinalIgnoreCase)) { value = true; return true; }
        if (FalseWords.Contains(raw, StringComparer.OrdinalIgnoreCase)) { value = false; return true; }
        value = false;
        return false;
    }

    /// <summary>ISO 8601 and a few common layouts; a time without an offset is taken as UTC.</summary>
    public static bool TryParseDate(string raw, out DateTimeOffset value)
    {
        // A bare number is never a date here (TryParse would read "2024" or "12" as one).
        if (raw.Length < 6 || double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) { value = default; return false; }
        return DateTimeOffset.TryParseExact(raw, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value)
            || DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    public static ColumnSchema InferColumn(string name, IEnumerable<string> sample, IReadOnlySet<string> missing)
    {
        var values = sample.Select(v => v.Trim()).Where(v => !missing.Contains(v)).ToList();
        return Infer(name, values, v => TryParseBool(v, out _), v => TryParseDate(v, out _));
    }

    /// <summary>Infers under a mapping's spellings and date formats.</summary>
    public static ColumnSchema InferColumn(string name, IEnumerable<string?> sample, ValueRules rules)
    {
        var values = sample.Where(v => !rules.IsMissing(v)).Select(v => v!.Trim()).ToList();
        return Infer(name, values, v => rules.TryBool(v, out _), v => rules.TryDate(v, out _));
    }

    private static ColumnSchema Infer(string name, List<string> values, Func<string, bool> isBool, Func<string, bool> isDate)
    {
        var personal = PersonalData.Reason(name, values);
        if (values.Count == 0) return new ColumnSchema { Name = name, Kind = ColumnKind.Categorical, IsPersonal = personal is not null, PersonalReason = personal };
        var distinct = values.Distinct(StringComparer.Ordinal).Count();
        ColumnKind kind;
        if (distinct <= 2 && values.All(isBool)) kind = ColumnKind.Boolean;
        else if (values.All(v => ValueRules.TryNumber(v, out _)))
            kind = LooksLikeId(name) && distinct == values.Count ? ColumnKind.Identifier : ColumnKind.Numeric;
        else if (values.All(v => v.Length >= 6 && isDate(v))) kind = ColumnKind.DateTime;
        else if (LooksLikeId(name) || (distinct == values.Count && values.Count >= 50)) kind = ColumnKind.Identifier;
        else if (distinct > 200 && values.Average(v => v.Length) > 30) kind = ColumnKind.Text;
        else kind = ColumnKind.Categorical;
        return new ColumnSchema { Name = name, Kind = kind, IsPersonal = personal is not null, PersonalReason = personal };
    }

    /// <summary>Why a column holds personal data, or null (kept for callers of the first API).</summary>
    public static string? PersonalReason(string name, IReadOnlyList<string> values) => PersonalData.Reason(name, values);

    private static bool LooksLikeId(string name)
    {
        var n = name.ToLowerInvariant();
        return n == "id" || n.EndsWith(" id") || n.EndsWith("_id") || n.EndsWith("number") || n.EndsWith("id ") || n == "uuid";
    }
}
