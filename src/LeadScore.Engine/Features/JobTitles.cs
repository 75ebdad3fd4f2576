namespace LeadScore.Engine.Features;

/// <summary>
/// Normalises free-text job titles to a seniority level and a department with keyword rules, the way a
/// sales team reads them ("Sr. Director, Marketing" is a director in marketing). Deterministic and
/// allocation-light: it runs on every online feature vector.
/// </summary>
public static class JobTitles
{
    public const string CLevel = "c_level";
    public const string Vp = "vp";
    public const string Director = "director";
    public const string Manager = "manager";
    public const string Individual = "individual_contributor";
    public const string Student = "student";
    public const string Intern = "intern";

    public static readonly IReadOnlyList<string> Seniorities = [CLevel, Vp, Director, Manager, Individual, Student, Intern];
    public static readonly IReadOnlyList<string> DepartmentNames =
        ["executive", "engineering", "it", "sales", "marketing", "finance", "operations", "hr", "product", "education", "other"];

    /// <summary>The seniority of a title, or null for an empty title. Unrecognised titles count as individual contributors.</summary>
    public static string? Seniority(string? title)
    {
        if (string.IsNullOrWhiteSpace(title)) return null;
        var t = Normalize(title);
        if (HasWord(t, "intern") || HasWord(t, "internship") || HasWord(t, "trainee") || HasWord(t, "apprentice")) return Intern;
        if (HasWord(t, "student") || HasWord(t, "phd candidate") || HasWord(t, "undergraduate")) return Student;
        if (HasWord(t, "chief") || HasWord(t, "ceo") || HasWord(t, "cto") || HasWord(t, "cfo") || HasWord(t, "coo") || HasWord(t, "cio")
            || HasWord(t, "cmo") || HasWord(t, "cro") || HasWord(t, "cpo") || HasWord(t, "chro") || HasWord(t, "ciso") || HasWord(t, "founder")
            || HasWord(t, "co founder") || HasWord(t, "owner") || HasWord(t, "president") && !HasWord(t, "vice") || HasWord(t, "managing director")
            || HasWord(t, "partner") && !HasWord(t, "partnerships")) return CLevel;
        if (HasWord(t, "vp") || HasWord(t, "svp") || HasWord(t, "evp") || HasWord(t, "vice president") || HasWord(t, "head of") || HasWord(t, "head")) return Vp;
        if (HasWord(t, "director") || HasWord(t, "dir")) return Director;
        if (HasWord(t, "manager") || HasWord(t, "mgr") || HasWord(t, "lead") || HasWord(t, "team lead") || HasWord(t, "supervisor")) return Manager;
        return Individual;
    }

    /// <summary>The department of a title, or null for an empty title; "other" when nothing matches.</summary>
    public static string? Department(string? title)
    {
        if (string.IsNullOrWhiteSpace(title)) return null;
        var t = Normalize(title);
        if (HasWord(t, "student") || HasWord(t, "professor") || HasWord(t, "teacher") || HasWord(t, "lecturer")) return "education";
        if (HasWord(t, "cto") || HasWord(t, "engineering") || HasWord(t, "engineer") || HasWord(t, "developer") || HasWord(t, "software")
            || HasWord(t, "architect") || HasWord(t, "devops") || HasWord(t, "data scientist") || HasWord(t, "technology")) return t.Contains("network") || t.Contains("systems admin") ? "it" : "engineering";
        if (HasWord(t, "cio") || HasWord(t, "ciso") || HasWord(t, "it") || HasWord(t, "information") || HasWord(t, "information technology") || HasWord(t, "systems") || HasWord(t, "network")
            || HasWord(t, "security") || HasWord(t, "infrastructure") || HasWord(t, "administrator")) return "it";
        if (HasWord(t, "cro") || HasWord(t, "sales") || HasWord(t, "account executive") || HasWord(t, "business development") || HasWord(t, "bdr")
            || HasWord(t, "sdr") || HasWord(t, "revenue") || HasWord(t, "account manager")) return "sales";
        if (HasWord(t, "cmo") || HasWord(t, "marketing") || HasWord(t, "growth") || HasWord(t, "brand") || HasWord(t, "content") || HasWord(t, "demand generation")
            || HasWord(t, "seo") || HasWord(t, "communications")) return "marketing";
        if (HasWord(t, "cfo") || HasWord(t, "finance") || HasWord(t, "financial") || HasWord(t, "accountant") || HasWord(t, "accounting") || HasWord(t, "controller")
            || HasWord(t, "treasurer")) return "finance";
        if (HasWord(t, "chro") || HasWord(t, "hr") || HasWord(t, "human resources") || HasWord(t, "people") || HasWord(t, "recruiter") || HasWord(t, "talent")
            || HasWord(t, "recruiting")) return "hr";
        if (HasWord(t, "cpo") || HasWord(t, "product") || HasWord(t, "designer") || HasWord(t, "ux")) return "product";
        if (HasWord(t, "coo") || HasWord(t, "operations") || HasWord(t, "operating") || HasWord(t, "ops") || HasWord(t, "logistics") || HasWord(t, "supply chain")) return "operations";
        if (HasWord(t, "ceo") || HasWord(t, "chief executive") || HasWord(t, "founder") || HasWord(t, "owner") || HasWord(t, "president") || HasWord(t, "managing director")) return "executive";
        return "other";
    }

    /// <summary>Lower case, punctuation to spaces, single spaces, padded with spaces so words can be matched as " word ".</summary>
    internal static string Normalize(string title)
    {
        Span<char> buf = title.Length <= 256 ? stackalloc char[title.Length + 2] : new char[title.Length + 2];
        var n = 0;
        buf[n++] = ' ';
        foreach (var ch in title)
        {
            var c = char.IsLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : ' ';
            if (c == ' ' && buf[n - 1] == ' ') continue;
            buf[n++] = c;
        }
        if (buf[n - 1] != ' ') buf[n++] = ' ';
        return new string(buf[..n]);
    }

    private static bool HasWord(string normalized, string words)
    {
        var i = normalized.IndexOf(words, StringComparison.Ordinal);
        while (i >= 0)
        {
            if (normalized[i - 1] == ' ' && i + words.Length < normalized.Length && normalized[i + words.Length] == ' ') return true;
            i = normalized.IndexOf(words, i + 1, StringComparison.Ordinal);
        }
        return false;
    }
}
