using LeadScore.Application.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Webhooks;

/// <summary>Decides which score changes a webhook's rule fires on.</summary>
public static class WebhookRules
{
    public const string GradeChanged = "grade_changed";
    public const string ScoreCrossed = "score_crossed";
    public const string BecameA = "became_a";
    public const string ModelPromoted = "model_promoted";
    public const string ModelRolledBack = "model_rolled_back";
    /// <summary>Model-level: monitoring found dataset drift in a completed window (event type <c>model.drift_detected</c>).</summary>
    public const string DriftDetected = "drift_detected";
    /// <summary>Model-level: a matured cohort did significantly worse than promised (event type <c>model.performance_dropped</c>).</summary>
    public const string PerformanceDropped = "performance_dropped";
    /// <summary>Model-level: live leads of a group of a sensitive attribute are graded A/B too rarely, or its TPR/FPR gap is too wide (event type <c>model.fairness_alert</c>).</summary>
    public const string FairnessAlert = "fairness_alert";

    public static readonly IReadOnlyList<string> Names = [GradeChanged, ScoreCrossed, BecameA, ModelPromoted, ModelRolledBack, DriftDetected, PerformanceDropped, FairnessAlert];

    public static string NameOf(WebhookRule rule) => rule switch
    {
        WebhookRule.GradeChanged => GradeChanged,
        WebhookRule.ScoreCrossed => ScoreCrossed,
        WebhookRule.ModelPromoted => ModelPromoted,
        WebhookRule.ModelRolledBack => ModelRolledBack,
        WebhookRule.DriftDetected => DriftDetected,
        WebhookRule.PerformanceDropped => PerformanceDropped,
        WebhookRule.FairnessAlert => FairnessAlert,
        _ => BecameA,
    };

    public static WebhookRule? Parse(string name) => name switch
    {
        GradeChanged => WebhookRule.GradeChanged,
        ScoreCrossed => WebhookRule.ScoreCrossed,
        BecameA => WebhookRule.BecameA,
        ModelPromoted => WebhookRule.ModelPromoted,
        ModelRolledBack => WebhookRule.ModelRolledBack,
        DriftDetected => WebhookRule.DriftDetected,
        PerformanceDropped => WebhookRule.PerformanceDropped,
        FairnessAlert => WebhookRule.FairnessAlert,
        _ => null,
    };

    /// <summary>The rule a monitoring alert kind fires (<c>drift_detected</c>, <c>performance_dropped</c>), or null.</summary>
    public static WebhookRule? ForAlert(string kind) => Parse(kind) is { } r && r is WebhookRule.DriftDetected or WebhookRule.PerformanceDropped or WebhookRule.FairnessAlert ? r : null;

    /// <summary>"lead.grade_changed", ...; model rules: "model.promoted", "model.rolled_back", "model.drift_detected", "model.performance_dropped".</summary>
    public static string EventType(WebhookRule rule) => rule switch
    {
        WebhookRule.ModelPromoted => "model.promoted",
        WebhookRule.ModelRolledBack => "model.rolled_back",
        WebhookRule.DriftDetected => "model.drift_detected",
        WebhookRule.PerformanceDropped => "model.performance_dropped",
        WebhookRule.FairnessAlert => "model.fairness_alert",
        _ => "lead." + NameOf(rule),
    };

    /// <summary>Whether the rule is about models (fired by the lifecycle or by monitoring), not about a lead's score.</summary>
    public static bool IsModelRule(WebhookRule rule) => rule is WebhookRule.ModelPromoted or WebhookRule.ModelRolledBack or WebhookRule.DriftDetected or WebhookRule.PerformanceDropped or WebhookRule.FairnessAlert;

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
