using LeadScore.Application.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Webhooks;

/// <summary>Decides which score changes a webhook's rule fires on.</summary>
public static class WebhookRules
{
    public const string GradeChanged = "grade_changed";
    public const string ScoreCrossed = "score_crossed";
    public const string BecameA = "became_a";
    /// <summary>Model-level: monitoring found dataset drift in a completed window (event type <c>model.drift_detected</c>).</summary>
    public const string DriftDetected = "drift_detected";
    /// <summary>Model-level: a matured cohort did significantly worse than promised (event type <c>model.performance_dropped</c>).</summary>
    public const string PerformanceDropped = "performance_dropped";

    public static readonly IReadOnlyList<string> Names = [GradeChanged, ScoreCrossed, BecameA, DriftDetected, PerformanceDropped];

    public static string NameOf(WebhookRule rule) => rule switch
    {
        WebhookRule.GradeChanged => GradeChanged,
        WebhookRule.ScoreCrossed => ScoreCrossed,
        WebhookRule.DriftDetected => DriftDetected,
        WebhookRule.PerformanceDropped => PerformanceDropped,
        _ => BecameA,
    };

    public static WebhookRule? Parse(string name) => name switch
    {
        GradeChanged => WebhookRule.GradeChanged,
        ScoreCrossed => WebhookRule.ScoreCrossed,
        BecameA => WebhookRule.BecameA,
        DriftDetected => WebhookRule.DriftDetected,
        PerformanceDropped => WebhookRule.PerformanceDropped,
        _ => null,
    };

    /// <summary>Whether the rule is about the model (monitoring alerts) rather than one lead's score.</summary>
    public static bool IsModelEvent(WebhookRule rule) => rule is WebhookRule.DriftDetected or WebhookRule.PerformanceDropped;

    /// <summary>The rule a monitoring alert kind fires (<c>drift_detected</c>, <c>performance_dropped</c>), or null.</summary>
    public static WebhookRule? ForAlert(string kind) => Parse(kind) is { } r && IsModelEvent(r) ? r : null;

    public static string EventType(WebhookRule rule) => (IsModelEvent(rule) ? "model." : "lead.") + NameOf(rule);

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
