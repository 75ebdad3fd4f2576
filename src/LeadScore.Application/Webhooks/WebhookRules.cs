using LeadScore.Application.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Webhooks;

/// <summary>Decides which score changes a webhook's rule fires on.</summary>
public static class WebhookRules
{
    public const string GradeChanged = "grade_changed";
    public const string ScoreCrossed = "score_crossed";
    public const string BecameA = "became_a";

    public static readonly IReadOnlyList<string> Names = [GradeChanged, ScoreCrossed, BecameA];

    public static string NameOf(WebhookRule rule) => rule switch
    {
        WebhookRule.GradeChanged => GradeChanged,
        WebhookRule.ScoreCrossed => ScoreCrossed,
        _ => BecameA,
    };

    public static WebhookRule? Parse(string name) => name switch
    {
        GradeChanged => WebhookRule.GradeChanged,
        ScoreCrossed => WebhookRule.ScoreCrossed,
        BecameA => WebhookRule.BecameA,
        _ => null,
    };

    public static string EventType(WebhookRule rule) => "lead." + NameOf(rule);

    /// <summary>Whether <paramref name="change"/> fires <paramref name="hook"/>; for crossings, also the direction.</summary>
    public static bool Fires(Webhook hook, ScoreChange change, out string? direction)
    {
        direction = null;
        var prev = change.Previous;
        var cur = change.Current;
        switch (hook.Rule)
        {
            case WebhookRule.GradeChanged:
                return prev is not null && !string.Equals(prev.Grade, cur.Grade, StringComparison.Ordinal);
            case WebhookRule.BecameA:
                return cur.Grade == "A" && prev?.Grade != "A";
            case WebhookRule.ScoreCrossed:
                var t = hook.Threshold ?? 50;
                var before = prev?.Score ?? int.MinValue;
                if (before < t && cur.Score >= t) { direction = "up"; return true; }
                if (prev is not null && before >= t && cur.Score < t) { direction = "down"; return true; }
                return false;
            default:
                return false;
        }
    }
}
