namespace LeadScore.Core;

/// <summary>One contributor to a score, summed back to the feature a person recognises.</summary>
public sealed record Reason
{
    public required string Feature { get; init; }
    /// <summary>The lead's value of the feature, as text ("" when missing).</summary>
    public required string Value { get; init; }
    /// <summary>Exact SHAP contribution in log-odds.</summary>
    public required double Contribution { get; init; }
    /// <summary>The contribution expressed in score points (the points of all features add up to the score).</summary>
    public required double Points { get; init; }
    /// <summary>A plain sentence: "Visited the pricing page 3 times in the last 7 days".</summary>
    public required string Text { get; init; }
}

/// <summary>What a lead's score is and why.</summary>
public sealed record LeadScoreResult
{
    public required string LeadId { get; init; }
    /// <summary>Calibrated probability of converting within the model's horizon.</summary>
    public required double Probability { get; init; }
    /// <summary>0-100.</summary>
    public required int Score { get; init; }
    public required string Grade { get; init; }
    public required string ModelVersion { get; init; }
    public DateTimeOffset ScoredAt { get; init; }
    public IReadOnlyList<Reason> Reasons { get; init; } = [];
    /// <summary>The serving slot whose model gave this score: champion, or challenger for a lead in a split challenger's share.</summary>
    public string Slot { get; init; } = "champion";
}

/// <summary>Why a lead was (re)scored.</summary>
public enum ScoreCause
{
    NewData,
    NewModel,
    TimePassing,
    Manual,
    /// <summary>The grade bands in effect changed (an override set or removed): same probabilities, grades read anew.</summary>
    GradeBands,
    /// <summary>The display names or value labels changed: same probabilities and grades, reasons worded anew.</summary>
    Labels,
}
