using LeadScore.Storage;

namespace LeadScore.Server.Dashboard;

/// <summary>
/// The trend since last week of the leads list, the lead page and <c>GET /api/v1/leads</c>: the lead's score now against
/// its score as of seven days ago on the host's clock (the latest score history entry at or before then). No score then:
/// the lead is new this week (null).
/// </summary>
public static class ScoreTrend
{
    public static readonly TimeSpan Window = TimeSpan.FromDays(7);

    /// <summary>The moment the trend compares against: a week before now on <paramref name="time"/>.</summary>
    public static DateTimeOffset AsOf(TimeProvider time) => time.GetUtcNow() - Window;

    /// <summary>Points gained (positive) or lost since <c>then</c>; null when the lead had no score then.</summary>
    public static int? Change(int now, int? then) => then is { } t ? now - t : null;

    /// <summary>The score as of <paramref name="asOf"/> from a lead's history, newest first (as the store returns it).</summary>
    public static int? ScoreAt(IReadOnlyList<StoredScore> historyNewestFirst, DateTimeOffset asOf)
    {
        foreach (var s in historyNewestFirst)
            if (s.ScoredAt <= asOf) return s.Score;
        return null;
    }
}
