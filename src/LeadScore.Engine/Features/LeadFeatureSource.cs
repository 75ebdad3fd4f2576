using LeadScore.Core;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Features;

/// <summary>
/// Where a model's feature rows come from when a lead is scored: the workspace's
/// <see cref="FeatureComputer"/> (attributes, activities, enrichment as of a time), or the columns of a
/// flat table the model was trained on. Implementations are immutable and thread-safe.
/// </summary>
public interface ILeadFeatureSource
{
    /// <summary>The features in the order of every row returned.</summary>
    IReadOnlyList<FeatureInfo> Features { get; }

    /// <summary>Whether activities and enrichment are used (flat models use attributes only).</summary>
    bool UsesHistory { get; }

    /// <summary>The domain whose enrichment applies to the lead, or null.</summary>
    string? EnrichmentDomain(Lead lead);

    FeatureValue[] Compute(Lead lead, IReadOnlyList<Activity> activitiesOrderedByTime, IReadOnlyList<Enrichment> enrichmentOrderedByAsOf, DateTimeOffset asOf);

    /// <summary>The same row, written into <paramref name="row"/> (exactly <see cref="Features"/>.Count long): for callers that only read it.</summary>
    void Compute(Lead lead, IReadOnlyList<Activity> activitiesOrderedByTime, IReadOnlyList<Enrichment> enrichmentOrderedByAsOf, DateTimeOffset asOf, Span<FeatureValue> row);
}

/// <summary>The workspace's feature definitions as a feature source (the same code as training).</summary>
public sealed class ComputedLeadFeatures(FeatureComputer computer) : ILeadFeatureSource
{
    public IReadOnlyList<FeatureInfo> Features => computer.Features;
    public bool UsesHistory => true;
    public string? EnrichmentDomain(Lead lead) => computer.EnrichmentDomain(lead);

    public FeatureValue[] Compute(Lead lead, IReadOnlyList<Activity> activities, IReadOnlyList<Enrichment> enrichment, DateTimeOffset asOf) =>
        computer.Compute(lead, activities, enrichment, asOf);

    public void Compute(Lead lead, IReadOnlyList<Activity> activities, IReadOnlyList<Enrichment> enrichment, DateTimeOffset asOf, Span<FeatureValue> row) =>
        computer.Compute(lead, activities, enrichment, asOf, row);
}

/// <summary>
/// A model trained on a flat table: each feature is the lead attribute of the same name, read with the
/// column kinds and value rules the table was read with (the same parsing as <see cref="FlatTableLoader"/>:
/// <see cref="FlatTableLoader.FlatValue"/>).
/// </summary>
public sealed class FlatAttributeFeatures : ILeadFeatureSource
{
    private readonly ColumnKind[] _kinds;
    private readonly ValueRules _rules;

    /// <summary>Reads attributes with the rules the table was read with (its mapping's true/false words, missing values).</summary>
    public FlatAttributeFeatures(IReadOnlyList<FeatureInfo> features, IReadOnlyList<ColumnSchema> schema, ValueRules rules)
    {
        Features = features;
        var byName = schema.ToDictionary(s => s.Name, s => s.Kind, StringComparer.Ordinal);
        _kinds = features.Select(f => byName.GetValueOrDefault(f.Name, f.Kind == FeatureKind.Numeric ? ColumnKind.Numeric : ColumnKind.Categorical)).ToArray();
        _rules = rules;
    }

    /// <summary>
    /// Default true/false words with the given missing values: what an artifact that kept only its missing values
    /// can do. Prefer the <see cref="ValueRules"/> overload, which keeps a mapping's true/false words.
    /// </summary>
    public FlatAttributeFeatures(IReadOnlyList<FeatureInfo> features, IReadOnlyList<ColumnSchema> schema, IReadOnlyList<string> missingValues)
        : this(features, schema, ValueRules.Default with { MissingValues = missingValues })
    {
    }

    public IReadOnlyList<FeatureInfo> Features { get; }
    public bool UsesHistory => false;
    public string? EnrichmentDomain(Lead lead) => null;

    /// <summary>The rules attribute values are read with.</summary>
    public ValueRules Rules => _rules;

    public FeatureValue[] Compute(Lead lead, IReadOnlyList<Activity> activities, IReadOnlyList<Enrichment> enrichment, DateTimeOffset asOf)
    {
        var row = new FeatureValue[Features.Count];
        Compute(lead, activities, enrichment, asOf, row);
        return row;
    }

    public void Compute(Lead lead, IReadOnlyList<Activity> activities, IReadOnlyList<Enrichment> enrichment, DateTimeOffset asOf, Span<FeatureValue> row)
    {
        if (row.Length != Features.Count) throw new ArgumentException($"the row has {row.Length} values; {Features.Count} features are read", nameof(row));
        for (var i = 0; i < row.Length; i++) row[i] = FlatTableLoader.FlatValue(lead.Get(Features[i].Name), _kinds[i], _rules);
    }
}
