namespace LeadScore.Storage;

/// <summary>
/// One page of scored leads for a person to browse (the dashboard's leads list): filtered, searched, sorted and paged in
/// the database, so a page costs the same at a thousand leads or a million.
/// </summary>
public interface ILeadListing
{
    /// <summary>
    /// Scored leads matching <paramref name="query"/>, at most <see cref="LeadPageQuery.Limit"/> of them, plus whether more
    /// follow. Sorted by score, the page walks the score index and stops after the page (offset paging: deep pages cost
    /// their offset); unscored leads are not listed.
    /// </summary>
    Task<LeadPage> ListLeadPageAsync(LeadPageQuery query, CancellationToken ct = default);
}

/// <summary>Sort orders of <see cref="ILeadListing.ListLeadPageAsync"/>; ties break on lead id.</summary>
public enum LeadSort
{
    ScoreDescending,
    ScoreAscending,
    CreatedDescending,
    CreatedAscending,
}

/// <summary>Where a lead stands by its latest outcome (a reopened lead is open again).</summary>
public enum LeadStatus
{
    Open,
    Won,
    Lost,
}

public sealed record LeadPageQuery
{
    /// <summary>One grade letter, or null for all.</summary>
    public string? Grade { get; init; }
    /// <summary>The statuses to list (several: closed is won and lost), or null for every lead.</summary>
    public IReadOnlySet<LeadStatus>? Statuses { get; init; }
    /// <summary>The <c>source</c> attribute, exactly.</summary>
    public string? Source { get; init; }
    /// <summary>
    /// A lead id (exactly) or a company name: its start on SQLite (ASCII letters in any case; walks <c>ix_leads_company_lower</c>),
    /// any part of it on PostgreSQL (any case; the <c>pg_trgm</c> index <c>ix_leads_company_trgm</c>). Migration 013.
    /// </summary>
    public string? Search { get; init; }
    /// <summary>A categorical attribute (letters, digits, <c>_</c>, <c>-</c>) that must equal <see cref="SegmentValue"/>: a segment such as country = DE.</summary>
    public string? SegmentAttribute { get; init; }
    public string? SegmentValue { get; init; }
    /// <summary>The <c>email</c> attribute, exactly but in any case.</summary>
    public string? Email { get; init; }
    public LeadSort Sort { get; init; } = LeadSort.ScoreDescending;
    /// <summary>
    /// When given, each listed lead also carries its score as of this moment (<see cref="LeadPageItem.ScoreThen"/>: the
    /// latest score history entry at or before it), for the trend since then. Looked up for the page's leads only, one
    /// <c>ix_score_history_lead</c> lookup each.
    /// </summary>
    public DateTimeOffset? TrendAsOf { get; init; }
    /// <summary>
    /// False leaves each score's reasons unread (<see cref="StoredScore.ReasonsJson"/> is then <c>[]</c>): a list that
    /// shows none (the API's) saves reading, sending and decoding about 1.5 KB of stored JSON a lead.
    /// </summary>
    public bool WithReasons { get; init; } = true;
    public int Offset { get; init; }
    public int Limit { get; init; } = 50;
}

public sealed record LeadPageItem
{
    public required StoredScore Score { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string? Company { get; init; }
    public string? Source { get; init; }
    public required LeadStatus Status { get; init; }
    /// <summary>The lead's score as of <see cref="LeadPageQuery.TrendAsOf"/>; null when it had none then (or no moment was asked for).</summary>
    public int? ScoreThen { get; init; }
}

public sealed record LeadPage(IReadOnlyList<LeadPageItem> Items, bool HasMore);
