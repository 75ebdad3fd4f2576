using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Synthetic;

namespace LeadScore.Engine.Tests.Features;

/// <summary>Generated data plus the default definitions inferred from it, built once per size (read-only in tests).</summary>
internal static class FeatureTestData
{
    private static readonly Lazy<SyntheticDataset> Small = new(() => SyntheticGenerator.Generate(new SyntheticOptions { Leads = 1500, Seed = 11 }));
    private static readonly Lazy<SyntheticDataset> Medium = new(() => SyntheticGenerator.Generate(new SyntheticOptions { Leads = 12000, Seed = 21 }));

    public static SyntheticDataset SmallSet => Small.Value;
    public static SyntheticDataset MediumSet => Medium.Value;

    public static FeatureDefinitions Defaults(SyntheticDataset ds) =>
        FeatureDefinitions.InferDefaults(ds.Leads.Take(3000).ToList(), ds.Activities.Select(a => a.Type).Distinct(), ds.Enrichment.Take(5000).ToList());

    public static Dictionary<string, List<Activity>> ActivitiesByLead(SyntheticDataset ds) =>
        ds.Activities.GroupBy(a => a.LeadId).ToDictionary(g => g.Key, g => g.ToList());

    public static Dictionary<string, List<Enrichment>> EnrichmentByDomain(SyntheticDataset ds) =>
        ds.Enrichment.GroupBy(e => e.Domain).ToDictionary(g => g.Key, g => g.OrderBy(e => e.AsOf).ToList());
}
