namespace LeadScore.Core;

/// <summary>
/// A lead as the CRM knows it. Well-known fields live in <see cref="Attributes"/> under the
/// canonical names of <see cref="LeadFields"/>; custom fields keep their source name.
/// Values are kept as the text they arrived as, so nothing is silently altered; the
/// <see cref="ColumnSchema"/> of the source says how to read them.
/// </summary>
public sealed record Lead
{
    public required string Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyDictionary<string, string?> Attributes { get; init; } = new Dictionary<string, string?>();
    /// <summary>When the lead last changed in LeadScore (set by the store).</summary>
    public DateTimeOffset? UpdatedAt { get; init; }
    /// <summary>The lead asked not to be profiled (GDPR art. 21 / CCPA opt-out): never scored.</summary>
    public bool ProfilingOptOut { get; init; }

    public string? Get(string field) => Attributes.TryGetValue(field, out var v) ? v : null;
}

/// <summary>Canonical attribute names that the features know how to use.</summary>
public static class LeadFields
{
    public const string Email = "email";
    public const string FirstName = "first_name";
    public const string LastName = "last_name";
    public const string Phone = "phone";
    public const string Company = "company";
    public const string Domain = "domain";
    public const string Industry = "industry";
    public const string CompanySize = "company_size";
    public const string Country = "country";
    public const string JobTitle = "job_title";
    public const string Source = "source";
    public const string Stage = "stage";
    public const string Owner = "owner";
}

/// <summary>One timestamped event about a lead: web, email, social, sales touch or anything else.</summary>
public sealed record Activity
{
    /// <summary>The source's event id, or a content hash when the source has none (deduplication key).</summary>
    public required string EventId { get; init; }
    public required string LeadId { get; init; }
    /// <summary>Event type, lower snake case (see <see cref="ActivityTypes"/>); unknown types are kept.</summary>
    public required string Type { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>URL or path for web events, link for clicks.</summary>
    public string? Url { get; init; }
    /// <summary>A numeric measure: seconds on page, sentiment, duration of a call.</summary>
    public double? Value { get; init; }
    public IReadOnlyDictionary<string, string?> Properties { get; init; } = new Dictionary<string, string?>();
}

public static class ActivityTypes
{
    public const string PageView = "page_view";
    public const string Download = "download";
    public const string FormSubmit = "form_submit";
    public const string Session = "session";
    public const string EmailSent = "email_sent";
    public const string EmailOpen = "email_open";
    public const string EmailClick = "email_click";
    public const string EmailUnsubscribe = "email_unsubscribe";
    public const string EmailBounce = "email_bounce";
    public const string SocialLike = "social_like";
    public const string SocialShare = "social_share";
    public const string SocialComment = "social_comment";
    public const string SocialMention = "social_mention";
    public const string Call = "call";
    public const string Meeting = "meeting";

    public static readonly IReadOnlyList<string> Known =
    [
        PageView, Download, FormSubmit, Session, EmailSent, EmailOpen, EmailClick, EmailUnsubscribe,
        EmailBounce, SocialLike, SocialShare, SocialComment, SocialMention, Call, Meeting,
    ];
}

/// <summary>Firmographic, technographic and intent data about a company, as known from <see cref="AsOf"/>.</summary>
public sealed record Enrichment
{
    public required string Domain { get; init; }
    public required DateTimeOffset AsOf { get; init; }
    public IReadOnlyDictionary<string, string?> Attributes { get; init; } = new Dictionary<string, string?>();
}

public static class EnrichmentFields
{
    public const string Employees = "employees";
    public const string RevenueBand = "revenue_band";
    public const string Industry = "industry";
    /// <summary>Technologies in use, separated by ';' or '|'.</summary>
    public const string Technologies = "technologies";
    public const string IntentScore = "intent_score";
}

public enum OutcomeKind
{
    Converted,
    Lost,
    /// <summary>The lead is open again: earlier outcomes no longer apply.</summary>
    Reopened,
}

public sealed record Outcome
{
    public required string LeadId { get; init; }
    public required OutcomeKind Kind { get; init; }
    public required DateTimeOffset At { get; init; }
}
