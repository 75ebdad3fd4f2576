using System.Globalization;
using System.Text.RegularExpressions;
using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>Infers what a column holds from its name and a sample of its values.</summary>
public static partial class SchemaInference
{
    private static readonly string[] TrueWords = ["true", "yes", "y", "t", "1"];
    private static readonly string[] FalseWords = ["false", "no", "n", "f", "0"];
    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss.fffZ",
        "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.fffK", "yyyy/MM/dd", "dd/MM/yyyy", "MM/dd/yyyy",
    ];

    public static bool TryParseBool(string raw, out bool value)
    {
        if (TrueWords.Contains(raw, StringComparer.OrdinalIgnoreCase)) { value = true; return true; }
        if (FalseWords.Contains(raw, StringComparer.OrdinalIgnoreCase)) { value = false; return true; }
        value = false;
        return false;
    }

    public static bool TryParseDate(string raw, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(raw, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value)
        || DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);

    public static ColumnSchema InferColumn(string name, IEnumerable<string> sample, IReadOnlySet<string> missing)
    {
        var values = sample.Select(v => v.Trim()).Where(v => !missing.Contains(v)).ToList();
        var personal = PersonalReason(name, values);
        if (values.Count == 0) return new ColumnSchema { Name = name, Kind = ColumnKind.Categorical, IsPersonal = personal is not null, PersonalReason = personal };
        var distinct = values.Distinct(StringComparer.Ordinal).Count();
        ColumnKind kind;
        if (values.All(v => TryParseBool(v, out _)) && distinct <= 2) kind = ColumnKind.Boolean;
        else if (values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            kind = LooksLikeId(name) && distinct == values.Count ? ColumnKind.Identifier : ColumnKind.Numeric;
        else if (values.All(v => v.Length >= 8 && TryParseDate(v, out _))) kind = ColumnKind.DateTime;
        else if (distinct == values.Count && values.Count >= 50) kind = ColumnKind.Identifier;
        else if (distinct > 200 && values.Average(v => v.Length) > 30) kind = ColumnKind.Text;
        else kind = ColumnKind.Categorical;
        return new ColumnSchema { Name = name, Kind = kind, IsPersonal = personal is not null, PersonalReason = personal };
    }

    /// <summary>Why a column holds personal data, or null. Looks at the name, then at the values.</summary>
    public static string? PersonalReason(string name, IReadOnlyList<string> values)
    {
        var n = name.ToLowerInvariant().Replace("_", " ").Replace("-", " ");
        if (n.Contains("email") || n.Contains("e mail")) return "email column";
        if (n.Contains("phone") || n.Contains("mobile")) return "phone column";
        if (n is "name" or "first name" or "last name" or "full name" or "firstname" or "lastname" or "contact name") return "person's name column";
        if (n.Contains("street") || n is "address" or "address line 1" or "address line 2") return "street address column";
        if (values.Count > 0)
        {
            var emails = values.Count(v => EmailPattern().IsMatch(v));
            if (emails > values.Count / 2) return "email addresses in values";
            var phones = values.Count(v => PhonePattern().IsMatch(v));
            if (phones > values.Count / 2) return "phone numbers in values";
        }
        return null;
    }

    private static bool LooksLikeId(string name)
    {
        var n = name.ToLowerInvariant();
        return n == "id" || n.EndsWith(" id") || n.EndsWith("_id") || n.EndsWith("number") || n.EndsWith("id ");
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^\+?[\d\s().-]{7,20}$")]
    private static partial Regex PhonePattern();
}
