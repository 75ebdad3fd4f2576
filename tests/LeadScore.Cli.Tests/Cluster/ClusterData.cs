using LeadScore.Application.Security;
using LeadScore.Core;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Cluster;

/// <summary>The data the multi-instance tests start from: generated leads with their history in a fresh PostgreSQL database, and an admin key.</summary>
internal static class ClusterData
{
    /// <summary>
    /// Creates a PostgreSQL database and stores <paramref name="leads"/> generated leads (activities, enrichment, outcomes;
    /// seeded) and an API key with every scope. Returns the connection string, the key and the lead ids.
    /// </summary>
    public static async Task<(string ConnectionString, string Key, IReadOnlyList<string> Ids)> SeedAsync(int leads, int seed, string keyName, CancellationToken ct)
    {
        var cs = await TestStores.CreatePostgresDatabaseAsync();
        await using var store = await LeadStore.OpenAsync(TestPaths.NewTempDir(), cs, ct);
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = leads, Seed = seed });
        await store.UpsertLeadsAsync(data.Leads, ct);
        await store.InsertActivitiesAsync(data.Activities, ct);
        await store.UpsertEnrichmentAsync(data.Enrichment, ct);
        await store.InsertOutcomesAsync(data.Outcomes, ct);
        var (key, record) = ApiKeys.Create(keyName, ApiScopes.All, DateTimeOffset.UtcNow);
        await store.SaveApiKeyAsync(record, ct);
        return (cs, key, data.Leads.Select(l => l.Id).ToList());
    }
}
