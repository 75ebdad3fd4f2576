using System.Text.RegularExpressions;

namespace LeadScore.Engine.Ingestion;

/// <summary>
/// Detects columns holding personal data (email, phone, person's name, street address) by name and
/// by content. Such columns are stored for the CRM's sake but never offered as model features.
/// </summary>
public static partial class PersonalData
{
    /// <summary>Why a column holds personal data, or null. The name decides first, then the values (more than half matching).</summary>
    public static string? Reason(string name, IReadOnlyList<string> values)
    {
        if (ReasonFromName(name) is { } byName) return byName;
        if (values.Count == 0) return null;
        int emails = 0, phones = 0;
        foreach (var v in values)
        {
            if (EmailPattern().IsMatch(v)) emails++;
            else if (LooksLikePhone(v)) phones++;
        }
        if (emails * 2 > values.Count) return "email addresses in values";
        if (phones * 2 > values.Count) return "phone numbers in values";
        if (values.Count(v => StreetPattern().IsMatch(v)) * 2 > values.Count) return "street addresses in values";
        return null;
    }

    /// <summary>
    /// A phone number has 7 to 15 digits and a '+' or separators; plain numbers (amounts, ids) and
    /// dates ("2026-01-02" has 8 digits and dashes) are not phone numbers.
    /// </summary>
    private static bool LooksLikePhone(string v)
    {
        if (!PhonePattern().IsMatch(v)) return false;
        var digits = v.Count(char.IsAsciiDigit);
        if (digits is < 7 or > 15) return false;
        if (!(v.StartsWith('+') || v.Contains(' ') || v.Contains('(') || v.Contains('-') || v.Contains('.'))) return false;
        // "05.01.2026" is a date whose day/month order is unknown, not a phone number.
        if (ValueRules.TryNumber(v, out _) || ValueRules.Default.TryDate(v, out _) || ValueRules.AmbiguousDayMonth(v.Trim())) return false;
        return true;
    }

    /// <summary>Personal by the column name alone (e.g. "email", "Phone Number", "last_name", "street").</summary>
    public static string? ReasonFromName(string name)
    {
        var n = Normalise(name);
        // "Do Not Email", "Email Opt Out", "Email Domain" describe the lead's preferences, not the address.
        if (n.Contains("email") || n.Contains("e mail"))
            return NotAnAddress.Any(n.Contains) ? null : "email column";
        if (n.Contains("phone") || n.Contains("mobile") || n is "tel" or "telephone number" or "fax") return "phone column";
        if (n is "name" or "first name" or "last name" or "full name" or "firstname" or "lastname" or "surname" or "given name"
            or "contact name" or "person name" or "middle name") return "person's name column";
        if (n.Contains("street") || n is "address" or "address line 1" or "address line 2" or "address1" or "address2"
            or "home address" or "postal address" or "mailing address") return "street address column";
        return null;
    }

    private static readonly string[] NotAnAddress = ["domain", "do not", "opt", "consent", "bounce", "unsub", "open", "click", "sent", "count", "kind"];

    /// <summary>The domain of an email address, lower case, or null when it is not one (see <see cref="EmailDomains.DomainOf"/>).</summary>
    public static string? EmailDomain(string? email) => EmailDomains.DomainOf(email);

    /// <summary>"business" or "free_mail" for an email address (see <see cref="EmailDomains.Kind"/>), or null.</summary>
    public static string? EmailDomainKind(string? email) => EmailDomains.Kind(email);

    private static string Normalise(string name) => name.Trim().ToLowerInvariant().Replace('_', ' ').Replace('-', ' ').Replace('.', ' ');

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^\+?[\d\s().-]{7,20}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^\d{1,5}\s+\w+(\s+\w+)*\s+(street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|strasse|straße|rue)\.?\b", RegexOptions.IgnoreCase)]
    private static partial Regex StreetPattern();
}
