using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Scoring;

/// <summary>A stored score with what a CRM needs beside it: whether the lead is open, won or lost, and its company.</summary>
public sealed record StoredLeadScore(StoredScore Score, string Status, string? Company);

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
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
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
            chunk.Add(new StoredLeadScore(s, Of(ofLead), company));
            if (chunk.Count == chunkRows) { yield return chunk.ToArray(); chunk.Clear(); }
        }
        if (chunk.Count > 0) yield return chunk.ToArray();
    }

    /// <summary>
    /// The store's order of ids: by Unicode code point (SQLite's binary and PostgreSQL's "C" collation order UTF-8 bytes,
    /// which is code point order; UTF-16 ordinal order differs above U+FFFF).
    /// </summary>
    private static int CompareIds(string a, string b)
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
