using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Application.Ingestion;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests;

/// <summary>Imports into a real store, on SQLite and on PostgreSQL.</summary>
public sealed class ImportServiceTests
{
    private static string Write(string name, string content)
    {
        var path = Path.Combine(TestPaths.NewTempDir("import"), name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    private static ImportMapping Example(string name) => ImportMapping.Load(Path.Combine(TestPaths.RepoRoot, "examples", name));

    private const string Leads =
        "lead_id,email,company,visit_count,created_at,custom_flag\n" +
        "L1,ann@acme.com,Acme,3,2026-01-02,true\n" +
        "L2,bob@gmail.com,Globex,0,2026-01-03,false\n" +
        ",x@y.com,Umbrella,1,2026-01-04,true\n" +
        "L1,z@acme.com,Acme,1,2026-01-04,true\n" +
        "L4,,Hooli,1,not-a-date,true\n" +
        "L5,,Hooli,-1,2026-01-04,true\n" +
        "L6,,Initech,2,2026-01-05,false\n";

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Import_lands_good_rows_quarantines_bad_ones_and_a_second_import_changes_nothing(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var path = Write("leads.csv", Leads);

        var first = await service.ImportFileAsync(ImportKind.Leads, path);
        first.RowsRead.ShouldBe(7);
        (first.Inserted, first.Updated, first.Unchanged, first.Rejected).ShouldBe((3L, 0L, 0L, 4L));
        (first.Accepted + first.Rejected).ShouldBe(first.RowsRead);
        var q = await store.ListQuarantineAsync(first.ImportId);
        q.Select(r => (r.Line, r.Column, r.Reason)).ShouldBe([
            (4L, "lead_id", "missing id"),
            (5L, "lead_id", "duplicate id within the file (first at line 2)"),
            (6L, "created_at", "unparseable date 'not-a-date'"),
            (7L, "visit_count", "negative count: -1"),
        ]);
        q.ShouldAllBe(r => r.File == path && r.Kind == "leads");
        q[0].Raw.ShouldBe(",x@y.com,Umbrella,1,2026-01-04,true");

        var second = await service.ImportFileAsync(ImportKind.Leads, path);
        (second.Inserted, second.Updated, second.Unchanged, second.Rejected).ShouldBe((0L, 0L, 3L, 4L));
        (await store.CountLeadsAsync()).ShouldBe(3);
        // The second run re-quarantined the same rows; the first run's records are superseded, not doubled.
        (await store.ListQuarantineAsync()).Count.ShouldBe(4);
        var imports = await store.ListImportsAsync();
        imports.Count.ShouldBe(2);
        imports.ShouldAllBe(i => i.RowsRead == 7 && i.Rejected == 4);

        var schema = await LeadSchema.GetAsync(store);
        schema.Single(s => s.Name == "email").IsPersonal.ShouldBeTrue();
        schema.Single(s => s.Name == "company").IsPersonal.ShouldBeFalse();
        (await store.GetLeadAsync("L1"))!.Get(RowConverter.EmailDomainKindField).ShouldBe("business");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_changed_lead_row_updates_the_lead_and_keeps_its_history(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        await service.ImportFileAsync(ImportKind.Leads, Write("a.csv", "lead_id,company,created_at\nL1,Acme,2026-01-01\nL2,Globex,2026-01-01\n"));
        var s = await service.ImportFileAsync(ImportKind.Leads, Write("b.csv", "lead_id,company,created_at\nL1,Acme Corp,2026-01-01\nL2,Globex,2026-01-01\n"));
        (s.Inserted, s.Updated, s.Unchanged).ShouldBe((0L, 1L, 1L));
        (await store.GetLeadAsync("L1"))!.Get(LeadFields.Company).ShouldBe("Acme Corp");
        (await store.GetLeadHistoryAsync("L1")).Single().Previous.Get(LeadFields.Company).ShouldBe("Acme");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_killed_import_leaves_whole_batches_and_a_rerun_completes_it(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var sb = new StringBuilder("event_id,lead_id,type,timestamp,url,value\n");
        for (var i = 0; i < 1000; i++) sb.Append($"e{i},L{i % 37},page_view,2026-01-{1 + i % 28:00}T10:00:00Z,/p{i % 5},{i % 60}\n");
        var path = Write("acts.csv", sb.ToString());
        var service = AppServices.For(store).Get<ImportService>();

        // Given: an import stopped after its first batches were committed.
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p > 0.2) cts.Cancel(); });
        await Should.ThrowAsync<OperationCanceledException>(() => service.ImportFileAsync(ImportKind.Activities, path, null, progress, 100, cts.Token));
        var landed = await store.CountActivitiesAsync();
        landed.ShouldBeGreaterThan(0);
        landed.ShouldBeLessThan(1000);
        (landed % 100).ShouldBe(0); // only whole batches

        // When: the same import runs again. Then: it completes, nothing doubled.
        var rerun = await service.ImportFileAsync(ImportKind.Activities, path, null, null, 100);
        rerun.Inserted.ShouldBe(1000 - landed);
        rerun.Unchanged.ShouldBe(landed);
        (await store.CountActivitiesAsync()).ShouldBe(1000);
        (await service.ImportFileAsync(ImportKind.Activities, path)).Unchanged.ShouldBe(1000);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Activities_without_event_ids_are_deduplicated_by_content_hash_across_imports(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var path = Write("acts.jsonl",
            """
            {"lead_id":"L1","type":"email_open","timestamp":"2026-01-02T10:00:00Z","campaign":"spring"}
            {"lead_id":"L1","type":"email_click","timestamp":"2026-01-02T10:01:00Z","url":"https://x.io/demo"}
            {"lead_id":"L1","type":"email_open","timestamp":"2026-01-02T10:00:00Z","campaign":"spring"}
            {"lead_id":"L2","type":"meeting","timestamp":"2026-01-02T10:00:00Z","value":30}
            """);
        var first = await service.ImportFileAsync(ImportKind.Activities, path);
        (first.RowsRead, first.Inserted, first.Unchanged, first.Rejected).ShouldBe((4L, 3L, 1L, 0L));
        var again = await service.ImportFileAsync(ImportKind.Activities, path);
        (again.Inserted, again.Unchanged).ShouldBe((0L, 4L));
        var acts = await store.GetActivitiesAsync("L1");
        acts.Count.ShouldBe(2);
        acts[0].Properties["campaign"].ShouldBe("spring");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Api_items_are_imported_with_per_item_errors(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var items = JsonDocument.Parse("""
            [ {"lead_id":"A1","created_at":"2026-01-01T00:00:00Z","company":"Acme","email":"a@acme.com"},
              {"created_at":"2026-01-01T00:00:00Z"},
              42,
              {"lead_id":"A2","created_at":"yesterday"},
              {"lead_id":"A3","created_at":"2026-01-02","custom_score":7} ]
            """).RootElement.EnumerateArray().ToList();
        var s = await service.ImportItemsAsync(ImportKind.Leads, items);
        (s.RowsRead, s.Inserted, s.Rejected).ShouldBe((5L, 2L, 3L));
        s.Errors.ShouldBe([
            new ImportItemError(1, "lead_id", "missing id"),
            new ImportItemError(2, null, "not a JSON object (number)"),
            new ImportItemError(3, "created_at", "unparseable date 'yesterday'"),
        ]);
        (await store.GetLeadAsync("A3"))!.Get("custom_score").ShouldBe("7");
        (await store.ListQuarantineAsync(s.ImportId)).Count.ShouldBe(3);

        var outcomes = JsonDocument.Parse("""[{"lead_id":"A1","outcome":"converted","date":"2026-02-01"}]""").RootElement.EnumerateArray().ToList();
        (await service.ImportItemsAsync(ImportKind.Outcomes, outcomes)).Inserted.ShouldBe(1);
        (await service.ImportItemsAsync(ImportKind.Outcomes, outcomes)).Unchanged.ShouldBe(1);
        (await store.GetOutcomesAsync("A1")).Single().Kind.ShouldBe(OutcomeKind.Converted);
        await Should.ThrowAsync<LeadScoreException>(() => service.ImportItemsAsync(ImportKind.Leads, Enumerable.Repeat(items[0], 10_001).ToList()));
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Quarantined_rows_can_be_retried_under_a_mapping_that_fixes_them(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var path = Write("enr.csv", "domain,as_of,employees\nacme.com,2026-01-01,120\nglobex.com,20260201,40\ninitech.com,20260202,-3\n");
        var s = await service.ImportFileAsync(ImportKind.Enrichment, path);
        (s.Inserted, s.Rejected).ShouldBe((1L, 2L));

        var export = new StringWriter();
        (await service.ExportQuarantineAsync(s.ImportId, export)).ShouldBe(path);
        export.ToString().ShouldBe("domain,as_of,employees\nglobex.com,20260201,40\ninitech.com,20260202,-3\n".Replace("\n", Environment.NewLine));

        var retry = await service.RetryQuarantineAsync(s.ImportId, new ImportMapping { DateFormats = ["yyyyMMdd"] });
        (retry.RowsRead, retry.Inserted, retry.Rejected).ShouldBe((2L, 1L, 1L));
        retry.Errors.Single().Reason.ShouldBe("negative count: -3");
        (await store.GetEnrichmentAsync("globex.com")).Single().AsOf.ShouldBe(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero));
        var left = await store.ListQuarantineAsync(s.ImportId);
        left.Single().Line.ShouldBe(4);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task X_education_imports_fully_with_its_example_mapping_and_reimports_unchanged(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var mapping = Example("x-education.mapping.json");
        var first = await service.ImportFileAsync(ImportKind.Leads, TestPaths.XEducation, mapping);
        (first.RowsRead, first.Inserted, first.Rejected, first.OutcomesInserted).ShouldBe((9240L, 9240L, 0L, 9240L));
        var again = await service.ImportFileAsync(ImportKind.Leads, TestPaths.XEducation, mapping);
        (again.Unchanged, again.Inserted, again.Updated, again.OutcomesInserted).ShouldBe((9240L, 0L, 0L, 0L));
        (await store.GetOutcomesAsync("7927b2df-8bba-4d29-b9a2-b6e0beafe620")).Single().Kind.ShouldBe(OutcomeKind.Lost);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Bank_marketing_imports_fully_with_its_example_mapping(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var s = await AppServices.For(store).Get<ImportService>().ImportFileAsync(ImportKind.Leads, TestPaths.BankMarketing, Example("bank-marketing.mapping.json"));
        (s.RowsRead, s.Inserted, s.Rejected, s.OutcomesInserted).ShouldBe((41188L, 41188L, 0L, 41188L));
        (await store.GetLeadAsync("bank-2"))!.Get("job").ShouldBe("housemaid");
    }

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
