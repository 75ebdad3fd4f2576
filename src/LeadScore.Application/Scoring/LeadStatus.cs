using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Scoring;

/// <summary>A stored score with what a CRM needs beside it: whether the lead is open, won or lost, and its company.</summary>
public sealed record StoredLeadScore(StoredScore Score, string Status, string? Company);

/// <summary>A stored lead with its status (open, won, lost) and its latest score, null when not scored yet.</summary>
public sealed record StoredLeadStatus(Lead Lead, string Status, StoredScore? Score);

/// <summary>
/// Which leads a listing or export shows, by status: <c>open</c> (the default: the leads a seller can still work on),
/// <c>won</c>, <c>lost</c>, <c>closed</c> (won or lost) or <c>all</c>. One parser for the API, the dashboard and the CLI.
/// </summary>
public static class LeadStatusFilter
{
    public const string Names = "open, won, lost, closed or all";
    public const string Default = LeadStatusRule.Open;

    /// <summary>The statuses a filter keeps (null: every lead); <paramref name="text"/> null or empty is the default, open.</summary>
    public static bool TryParse(string? text, out IReadOnlySet<LeadStatus>? statuses)
    {
        statuses = null;
        switch (string.IsNullOrWhiteSpace(text) ? Default : text.Trim().ToLowerInvariant())
        {
            case "all": return true;
            case LeadStatusRule.Open: statuses = new HashSet<LeadStatus> { LeadStatus.Open }; return true;
            case LeadStatusRule.Won: statuses = new HashSet<LeadStatus> { LeadStatus.Won }; return true;
            case LeadStatusRule.Lost: statuses = new HashSet<LeadStatus> { LeadStatus.Lost }; return true;
            case "closed": statuses = new HashSet<LeadStatus> { LeadStatus.Won, LeadStatus.Lost }; return true;
            default: return false;
        }
    }

    /// <summary>As <see cref="TryParse"/>, or a domain error naming <paramref name="field"/> and the values.</summary>
    public static IReadOnlySet<LeadStatus>? Parse(string? text, string field = "status") =>
        TryParse(text, out var s) ? s : throw new LeadScoreException($"{field} must be {Names}, not '{text}'", field);

    /// <summary>True when a lead of <paramref name="status"/> (open, won, lost) passes the filter.</summary>
    public static bool Keeps(IReadOnlySet<LeadStatus>? statuses, string status) => statuses is null || statuses.Contains(LeadStatusRule.KindOf(status));

    /// <summary>How a filter reads in a sentence ("open", "won and lost", "every").</summary>
    public static string Describe(IReadOnlySet<LeadStatus>? statuses) => statuses is null ? "every" :
        string.Join(" and ", statuses.Order().Select(s => LeadStatusRule.NameOf(s)));
}

/// <summary>
/// Whether a lead is open, won or lost, from its outcomes: the latest one decides, and on a tie 'reopened' wins. The
/// same rule as the store's open-leads query (<c>ListTopScoresAsync(openOnly)</c>) and the training set's latest outcome.
/// </summary>
public static class LeadStatusRule
{
    public const string Open = "open";
    public const string Won = "won";
    public const string Lost = "lost";

    /// <summary>The status given a lead's outcomes (any order), as the store's listing filter names it.</summary>
    public static LeadStatus KindOf(IEnumerable<Outcome> outcomesOfLead) => Of(outcomesOfLead) switch
    {
        Won => LeadStatus.Won,
        Lost => LeadStatus.Lost,
        _ => LeadStatus.Open,
    };

    /// <summary>The listing filter's kind of a status name (open, won, lost).</summary>
    public static LeadStatus KindOf(string status) => status switch { Won => LeadStatus.Won, Lost => LeadStatus.Lost, _ => LeadStatus.Open };

    /// <summary>The name of a status kind, as every output writes it.</summary>
    public static string NameOf(LeadStatus status) => status switch { LeadStatus.Won => Won, LeadStatus.Lost => Lost, _ => Open };

    /// <summary>The status given a lead's outcomes (any order).</summary>
    public static string Of(IEnumerable<Outcome> outcomesOfLead)
    {
        Outcome? last = null;
        foreach (var o in outcomesOfLead)
            if (last is null || o.At > last.At || (o.At == last.At && (o.Kind == OutcomeKind.Reopened || last.Kind != OutcomeKind.Reopened))) last = o;
        return last?.Kind switch
        {
            OutcomeKind.Converted => Won,
            OutcomeKind.Lost => Lost,
            _ => Open,
        };
    }

    /// <summary>
    /// The latest stored scores with each lead's status and company, in chunks. One merge over three streams ordered by lead
    /// id (scores, leads, outcomes), so memory holds one chunk whatever the number of leads.
    /// </summary>
    public static async IAsyncEnumerable<StoredLeadScore[]> StoredScoresAsync(ILeadStore store, int chunkRows = 8192,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default, IReadOnlySet<LeadStatus>? statuses = null)
    {
        await using var leads = store.StreamLeadsAsync(ct).GetAsyncEnumerator(ct);
        await using var outcomes = store.StreamOutcomesAsync(ct).GetAsyncEnumerator(ct);
        var hasLead = await leads.MoveNextAsync();
        var hasOutcome = await outcomes.MoveNextAsync();
        var chunk = new List<StoredLeadScore>(chunkRows);
        var ofLead = new List<Outcome>();
        await foreach (var s in store.StreamLatestScoresAsync(ct))
        {
            while (hasLead && CompareIds(leads.Current.Id, s.LeadId) < 0) hasLead = await leads.MoveNextAsync();
            var company = hasLead && leads.Current.Id == s.LeadId ? leads.Current.Attributes.GetValueOrDefault(LeadFields.Company) : null;
            ofLead.Clear();
            while (hasOutcome && CompareIds(outcomes.Current.LeadId, s.LeadId) < 0) hasOutcome = await outcomes.MoveNextAsync();
            while (hasOutcome && outcomes.Current.LeadId == s.LeadId) { ofLead.Add(outcomes.Current); hasOutcome = await outcomes.MoveNextAsync(); }
            var status = Of(ofLead);
            if (!LeadStatusFilter.Keeps(statuses, status)) continue;
            chunk.Add(new StoredLeadScore(s, status, company));
            if (chunk.Count == chunkRows) { yield return chunk.ToArray(); chunk.Clear(); }
        }
        if (chunk.Count > 0) yield return chunk.ToArray();
    }

    /// <summary>
    /// Every stored lead (scored or not) with its status and latest score, by lead id, keeping those <paramref name="statuses"/>
    /// names (null: all). One merge over three streams ordered by lead id (leads, scores, outcomes): memory holds one lead.
    /// Lagging reads: with a read replica configured the streams come from it (an export may be a moment behind).
    /// </summary>
    public static async IAsyncEnumerable<StoredLeadStatus> StoredLeadsAsync(ILaggingReads store, IReadOnlySet<LeadStatus>? statuses = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var scores = store.StreamLatestScoresAsync(ct).GetAsyncEnumerator(ct);
        await using var outcomes = store.StreamOutcomesAsync(ct).GetAsyncEnumerator(ct);
        var hasScore = await scores.MoveNextAsync();
        var hasOutcome = await outcomes.MoveNextAsync();
        var ofLead = new List<Outcome>();
        await foreach (var lead in store.StreamLeadsAsync(ct))
        {
            while (hasScore && CompareIds(scores.Current.LeadId, lead.Id) < 0) hasScore = await scores.MoveNextAsync();
            var score = hasScore && scores.Current.LeadId == lead.Id ? scores.Current : null;
            ofLead.Clear();
            while (hasOutcome && CompareIds(outcomes.Current.LeadId, lead.Id) < 0) hasOutcome = await outcomes.MoveNextAsync();
            while (hasOutcome && outcomes.Current.LeadId == lead.Id) { ofLead.Add(outcomes.Current); hasOutcome = await outcomes.MoveNextAsync(); }
            var status = Of(ofLead);
            if (LeadStatusFilter.Keeps(statuses, status)) yield return new StoredLeadStatus(lead, status, score);
        }
    }

    /// <summary>
    /// The store's order of ids: by Unicode code point (SQLite's binary and PostgreSQL's "C" collation order UTF-8 bytes,
    /// which is code point order; UTF-16 ordinal order differs above U+FFFF).
    /// </summary>
    internal static int CompareIds(string a, string b)
    {
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            var ha = ea.MoveNext();
            var hb = eb.MoveNext();
            if (!ha || !hb) return ha == hb ? 0 : ha ? 1 : -1;
            var c = ea.Current.Value.CompareTo(eb.Current.Value);
            if (c != 0) return c;
        }
    }
}
