namespace LeadScore.Engine.Ingestion;

/// <summary>
/// Email domains, the one list and the one extraction used by ingestion (<c>email_domain_kind</c>), features
/// (<c>email_free_mail</c>, the enrichment domain of a lead) and the API (enrichment-domain matching).
/// </summary>
public static class EmailDomains
{
    /// <summary>Free-mail providers: an address there says nothing about an employer.</summary>
    private static readonly HashSet<string> FreeMail = new(StringComparer.OrdinalIgnoreCase)
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.co.in", "yahoo.fr", "yahoo.de", "ymail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com",
        "mac.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com", "yandex.ru",
        "mail.ru", "zoho.com", "qq.com", "163.com", "126.com", "rediffmail.com", "libero.it", "orange.fr", "free.fr", "laposte.net",
        "t-online.de", "comcast.net", "verizon.net", "att.net", "fastmail.com", "hey.com", "tutanota.com", "seznam.cz", "wp.pl",
        "o2.pl", "naver.com", "uol.com.br", "bol.com.br",
    };

    /// <summary>"business" or "free_mail": the value of the derived <c>email_domain_kind</c> attribute.</summary>
    public const string Business = "business";

    /// <summary>See <see cref="Business"/>.</summary>
    public const string FreeMailKind = "free_mail";

    /// <summary>
    /// The domain of an email address: the part after the last '@' (so "a@b@c.com" gives "c.com"), trimmed, lower case,
    /// without a trailing dot ("acme.com." is "acme.com"). Null when there is no local part, no domain, or the domain has no
    /// inner dot or holds whitespace ("bob@localhost", "not an email", "@acme.com").
    /// </summary>
    public static string? DomainOf(string? email)
    {
        if (email is null) return null;
        var s = email.AsSpan().Trim();
        var at = s.LastIndexOf('@');
        if (at <= 0 || at == s.Length - 1) return null;
        var d = s[(at + 1)..].Trim();
        if (d.Length > 0 && d[^1] == '.') d = d[..^1];
        var dot = d.IndexOf('.');
        if (dot <= 0 || dot == d.Length - 1 || d.ContainsAny(" \t\r\n") || d.Contains("..", StringComparison.Ordinal)) return null;
        return d.ToString().ToLowerInvariant();
    }

    /// <summary>
    /// A domain as given in a domain column (a lead's company domain, an enrichment row's key): trimmed, lower case,
    /// without a trailing dot; null when empty. The same spelling <see cref="DomainOf"/> gives, so the two can be compared.
    /// </summary>
    public static string? NormalizeDomain(string? domain)
    {
        if (domain is null) return null;
        var d = domain.AsSpan().Trim();
        if (d.Length > 0 && d[^1] == '.') d = d[..^1].TrimEnd();
        return d.Length == 0 ? null : d.ToString().ToLowerInvariant();
    }

    /// <summary>Whether a domain (as <see cref="DomainOf"/> returns it) belongs to a free-mail provider.</summary>
    public static bool IsFreeMail(string domain) => FreeMail.Contains(domain);

    /// <summary><see cref="FreeMailKind"/> or <see cref="Business"/> for an email address (a feature that reveals no person), or null.</summary>
    public static string? Kind(string? email) => DomainOf(email) is { } d ? (IsFreeMail(d) ? FreeMailKind : Business) : null;
}
