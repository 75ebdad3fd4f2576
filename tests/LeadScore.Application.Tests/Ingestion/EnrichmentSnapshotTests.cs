using System.Text.Json;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Ingestion;

/// <summary>
/// The enrichment snapshot online scoring reads, kept up to date by imports: after an import on this instance it reads only
/// the touched companies, unless an import elsewhere came in between (then the whole table). On SQLite and PostgreSQL.
/// </summary>
public sealed class EnrichmentSnapshotTests
{
    private static List<JsonElement> Items(params (string Domain, string AsOf, int Employees)[] rows) =>
        JsonDocument.Parse("[" + string.Join(",", rows.Select(r => $$"""{"domain":"{{r.Domain}}","as_of":"{{r.AsOf}}","employees":"{{r.Employees}}"}""")) + "]")
            .RootElement.EnumerateArray().ToList();

    /// <summary>The snapshot equals the store's table, domain by domain and record by record.</summary>
    private static async Task ShouldMatchStoreAsync(ScoringService scoring, ILeadStore store, long version)
    {
        var (records, held) = scoring.EnrichmentSnapshot;
        held.ShouldBe(version);
        var stored = new Dictionary<string, List<Enrichment>>(StringComparer.Ordinal);
        await foreach (var e in store.StreamEnrichmentAsync())
        {
            if (!stored.TryGetValue(e.Domain, out var list)) stored[e.Domain] = list = [];
            list.Add(e);
        }
        records.Keys.Order(StringComparer.Ordinal).ShouldBe(stored.Keys.Order(StringComparer.Ordinal));
        foreach (var (domain, list) in stored)
        {
            records[domain].Select(e => (e.AsOf, e.Attributes[EnrichmentFields.Employees])).ShouldBe(list.Select(e => (e.AsOf, e.Attributes[EnrichmentFields.Employees])), domain);
        }
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task An_import_here_refreshes_the_touched_companies_and_an_import_elsewhere_in_between_the_whole_table(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var services = AppServices.For(store);
        var ingestion = services.Get<IngestionService>();
        var scoring = (ScoringService)services.Get<IScoringService>();
        var ct = TestContext.Current.CancellationToken;

        // The first import reads the whole table (the snapshot held nothing yet).
        await ingestion.ImportItemsAsync(ImportKind.Enrichment, Items(("acme.com", "2026-01-01", 120), ("globex.com", "2026-01-01", 40)), ct);
        await ShouldMatchStoreAsync(scoring, store, 1);

        // The next one: a newer record for acme, a new company, a corrected record for globex. Only those three are read,
        // and the snapshot is the table.
        await ingestion.ImportItemsAsync(ImportKind.Enrichment, Items(("acme.com", "2026-02-01", 130), ("initech.com", "2026-02-01", 9), ("globex.com", "2026-01-01", 41)), ct);
        await ShouldMatchStoreAsync(scoring, store, 2);
        scoring.EnrichmentSnapshot.Records["acme.com"].Count.ShouldBe(2);
        scoring.EnrichmentSnapshot.Records["globex.com"].Single().Attributes[EnrichmentFields.Employees].ShouldBe("41");

        // Only the touched companies are read: a record written behind the importer's back (no version bump, which no import
        // does) stays out of the snapshot until a whole read; the touched company's new record is in.
        var behind = new Enrichment { Domain = "umbrella.com", AsOf = new DateTimeOffset(2026, 2, 3, 0, 0, 0, TimeSpan.Zero), Attributes = new Dictionary<string, string?> { [EnrichmentFields.Employees] = "5" } };
        await store.UpsertEnrichmentAsync([behind], ct);
        await ingestion.ImportItemsAsync(ImportKind.Enrichment, Items(("initech.com", "2026-02-15", 10)), ct);
        scoring.EnrichmentSnapshot.Version.ShouldBe(3);
        scoring.EnrichmentSnapshot.Records.ShouldNotContainKey("umbrella.com");
        scoring.EnrichmentSnapshot.Records["initech.com"].Count.ShouldBe(2);
        await scoring.RefreshEnrichmentAsync(ct);
        await ShouldMatchStoreAsync(scoring, store, 3);

        // Another instance imports hooli (its rows, then its version bump); this instance has not reloaded. Its next import
        // of its own finds the version two ahead, so it reads the whole table, hooli included.
        await store.UpsertEnrichmentAsync([new Enrichment { Domain = "hooli.com", AsOf = new DateTimeOffset(2026, 2, 2, 0, 0, 0, TimeSpan.Zero), Attributes = new Dictionary<string, string?> { [EnrichmentFields.Employees] = "700" } }], ct);
        await store.SaveSettingAsync(SettingNames.EnrichmentVersion, "{}", DateTimeOffset.UtcNow, ct);
        await ingestion.ImportItemsAsync(ImportKind.Enrichment, Items(("acme.com", "2026-03-01", 140)), ct);
        await ShouldMatchStoreAsync(scoring, store, 5);
        scoring.EnrichmentSnapshot.Records.ShouldContainKey("hooli.com");
    }
}
