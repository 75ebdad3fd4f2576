using LeadScore.Core;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// Group-aware grade bands (fairness mitigation, off by default): one set of <see cref="GradeBands"/> per value of one
/// lead attribute, for the groups seen often enough in training; every other lead keeps the model's bands. Stored with
/// the model (artifact entry <see cref="ArtifactEntries.GroupGrades"/>) only when mitigation was enabled for its training,
/// so a model grades the same way for its whole life.
/// </summary>
public sealed record GroupGrades
{
    /// <summary>The lead attribute whose value picks the bands (e.g. "country").</summary>
    public required string Attribute { get; init; }
    /// <summary>Bands per group value (as <see cref="GroupOf"/> normalises it).</summary>
    public required IReadOnlyDictionary<string, GradeBands> Groups { get; init; }

    /// <summary>The group a lead's raw attribute value falls in: trimmed, or <see cref="Missing"/> by the one missing-value rule.</summary>
    public static string GroupOf(string? raw) => ValueRules.Default.IsMissing(raw) ? Missing : raw!.Trim();

    /// <summary>The group name of leads without a value.</summary>
    public const string Missing = "(missing)";

    /// <summary>The bands for a lead: its group's, else <paramref name="fallback"/> (the model's own).</summary>
    public GradeBands BandsFor(Lead lead, GradeBands fallback) =>
        Groups.TryGetValue(GroupOf(lead.Get(Attribute)), out var b) ? b : fallback;
}
