namespace LeadScore.Engine.Fairness;

/// <summary>Why an attribute is looked at: its groups must be treated alike, or it may stand in for one that must.</summary>
public enum FairnessRole
{
    /// <summary>A protected or sensitive attribute (country, age band...): the 80% rule, equalized odds and proxy checks apply.</summary>
    Sensitive,
    /// <summary>Watched as a possible proxy (company size...): its groups are shown, and its association with each sensitive attribute is checked.</summary>
    Watch,
}

/// <summary>
/// Fairness across groups on one set of rows (a model's held-out rows, or scored leads): per attribute and group, how
/// often the decision a seller acts on (graded A or B) is taken, how it matches the outcomes, and how well calibrated the
/// probabilities are; plus the features that may stand in for a sensitive attribute. Part of the model card.
/// </summary>
public sealed record FairnessReport
{
    /// <summary>The decision the figures are about.</summary>
    public string Positive { get; init; } = "graded A or B";
    /// <summary>Where the attributes came from: "declared in settings" or "suggested from the schema (not confirmed)".</summary>
    public string AttributesFrom { get; init; } = "";
    /// <summary>Every figure is computed on at least this many rows, else shown as too few.</summary>
    public required int MinGroupSize { get; init; }
    /// <summary>The 80% rule: a group whose A/B share is below this ratio of the best group's is below the rule.</summary>
    public required double RatioLimit { get; init; }
    /// <summary>A TPR or FPR gap to the best group above this is worth a flag (when beyond chance).</summary>
    public required double OddsGapLimit { get; init; }
    /// <summary>An association above this names the feature as a possible proxy.</summary>
    public required double ProxyLimit { get; init; }
    /// <summary>Family-wise significance level: a gap is flagged only when it is beyond chance at this level (Bonferroni over the shown groups).</summary>
    public required double Significance { get; init; }
    public required int Rows { get; init; }
    /// <summary>Rows whose outcome is known (matured).</summary>
    public required int MaturedRows { get; init; }
    /// <summary>Share of all rows graded A or B.</summary>
    public required double AbShare { get; init; }
    public required IReadOnlyList<AttributeFairness> Attributes { get; init; }
    public IReadOnlyList<ProxyAssociation> Proxies { get; init; } = [];
    /// <summary>Features that are a sensitive attribute itself (the model uses it directly).</summary>
    public IReadOnlyList<string> DirectUse { get; init; } = [];
    /// <summary>One sentence per flag: groups below the 80% rule, odds gaps, proxy alerts.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];
    /// <summary>What group-aware grade thresholds do (or would do) on these rows; null when not computed.</summary>
    public IReadOnlyList<MitigationEffect> Mitigation { get; init; } = [];
}

/// <summary>One attribute's groups.</summary>
public sealed record AttributeFairness
{
    public required string Attribute { get; init; }
    public required FairnessRole Role { get; init; }
    /// <summary>The shown group with the highest A/B share (the 80% rule's reference).</summary>
    public string? BestGroup { get; init; }
    /// <summary>The lowest A/B-share ratio to the best group among shown groups.</summary>
    public double? LowestRatio { get; init; }
    /// <summary>Equalized-odds difference: the larger of the TPR range and the FPR range over shown groups (Fairlearn's definition).</summary>
    public double? EqualizedOddsDifference { get; init; }
    /// <summary>Groups too small to show.</summary>
    public int GroupsTooFew { get; init; }
    public required IReadOnlyList<GroupFairness> Groups { get; init; }
}

/// <summary>One group's figures; null when the rows behind a figure are fewer than the minimum.</summary>
public sealed record GroupFairness
{
    public required string Group { get; init; }
    public required int Rows { get; init; }
    /// <summary>Fewer rows than the minimum: no figure is shown.</summary>
    public bool TooFew { get; init; }
    /// <summary>Share graded A or B.</summary>
    public double? AbShare { get; init; }
    /// <summary>A/B share / the best group's A/B share.</summary>
    public double? AbRatio { get; init; }
    /// <summary>Two-sided p-value of the group's A/B share against the rest of the rows (two-proportion z-test).</summary>
    public double? AbPValue { get; init; }
    /// <summary>Below the 80% rule (ratio under the limit).</summary>
    public bool BelowRatio { get; init; }
    /// <summary>Below the rule and beyond chance for the group's size (p under the Bonferroni-corrected level).</summary>
    public bool Flagged { get; init; }
    /// <summary>Rows graded A or B.</summary>
    public int GradedAb { get; init; }
    /// <summary>Rows whose outcome is known.</summary>
    public int Matured { get; init; }
    /// <summary>Matured rows that converted.</summary>
    public int Positives { get; init; }
    /// <summary>Converted rows graded A or B.</summary>
    public int TruePositives { get; init; }
    /// <summary>Rows that did not convert graded A or B.</summary>
    public int FalsePositives { get; init; }
    /// <summary>True positive rate: converted rows graded A or B / converted rows.</summary>
    public double? Tpr { get; init; }
    /// <summary>False positive rate: rows that did not convert graded A or B / rows that did not convert.</summary>
    public double? Fpr { get; init; }
    /// <summary>The highest shown TPR minus this group's.</summary>
    public double? TprGap { get; init; }
    /// <summary>The highest shown FPR minus this group's.</summary>
    public double? FprGap { get; init; }
    /// <summary>Two-sided p-value of the group's TPR against the other groups' converted rows.</summary>
    public double? TprPValue { get; init; }
    /// <summary>Two-sided p-value of the group's FPR against the other groups' rows that did not convert.</summary>
    public double? FprPValue { get; init; }
    /// <summary>Mean predicted probability on matured rows.</summary>
    public double? MeanPredicted { get; init; }
    /// <summary>Observed conversion rate on matured rows.</summary>
    public double? ObservedRate { get; init; }
    /// <summary>Expected calibration error on matured rows, with the model card's bins.</summary>
    public double? Ece { get; init; }
}

/// <summary>
/// How strongly a feature (or a watched attribute) goes with a sensitive attribute: Cramér's V, bias-corrected, for
/// categories; the correlation ratio (eta) for numbers. Both are 0 for no association and 1 when one determines the other.
/// </summary>
public sealed record ProxyAssociation(string Feature, string Attribute, string Measure, double Value, bool Alert)
{
    public const string CramersV = "cramers_v_corrected";
    public const string CorrelationRatio = "correlation_ratio";
}

/// <summary>
/// The effect of group-aware grade thresholds for one attribute: thresholds fitted on the training rows so each group's A/B
/// share matches the overall one, measured on the held-out rows.
/// </summary>
public sealed record MitigationEffect
{
    public required string Attribute { get; init; }
    /// <summary>Applied in scoring by this model (mitigation enabled for this attribute when it was trained).</summary>
    public required bool Applied { get; init; }
    /// <summary>AUC of the probabilities: group thresholds leave it as it is.</summary>
    public double? ProbabilityAuc { get; init; }
    /// <summary>AUC of the grades (A &gt; B &gt; C &gt; D) with the model's bands.</summary>
    public double? GradeAucBefore { get; init; }
    /// <summary>AUC of the grades with the group-aware bands.</summary>
    public double? GradeAucAfter { get; init; }
    /// <summary>Lowest 80%-rule ratio with the model's bands.</summary>
    public double? LowestRatioBefore { get; init; }
    /// <summary>Lowest 80%-rule ratio with the group-aware bands.</summary>
    public double? LowestRatioAfter { get; init; }
    /// <summary>A/B cut per group on the 0-100 score (the model's own cut for groups not listed).</summary>
    public required IReadOnlyDictionary<string, int> AbCut { get; init; }
    /// <summary>The model's A/B cut on the 0-100 score.</summary>
    public required int ModelAbCut { get; init; }
}
