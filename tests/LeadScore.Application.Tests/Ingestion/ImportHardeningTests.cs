using System.Text;
using System.Text.Json;
using LeadScore.Application.Ingestion;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Ingestion;

/// <summary>Issue 18 in ImportService: stable column types, corrections, quarantine lead ids, import status, retry that alters nothing.</summary>
public sealed class ImportHardeningTests
{
    private static string Write(string name, string content)
    {
        var path = Path.Combine(TestPaths.NewTempDir("import"), name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_stored_numeric_column_stays_numeric_when_a_later_file_starts_with_a_word(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        await service.ImportFileAsync(ImportKind.Leads, Write("a.csv", "lead_id,created_at,budget\nL1,2026-01-01,10\nL2,2026-01-01,20\n"));

        // "seven" as the first value would make the column categorical if inferred from this file alone.
        var s = await service.ImportFileAsync(ImportKind.Leads, Write("b.csv", "lead_id,created_at,budget\nL3,2026-01-01,seven\nL4,2026-01-01,40\n"));

        (s.Inserted, s.Rejected).ShouldBe((1L, 1L));
        s.Errors.Single().ShouldBe(new ImportItemError(2, "budget", s.Errors.Single().Reason));
        (await LeadSchema.GetAsync(store)).Single(c => c.Name == "budget").Kind.ShouldBe(ColumnKind.Numeric);
        (await store.GetLeadAsync("L3")).ShouldBeNull();

        var items = JsonDocument.Parse("""[{"lead_id":"A1","created_at":"2026-01-01","budget":"eight"},{"lead_id":"A2","created_at":"2026-01-01","budget":"9"}]""")
            .RootElement.EnumerateArray().ToList();
        var api = await service.ImportItemsAsync(ImportKind.Leads, items);
        (api.Inserted, api.Rejected).ShouldBe((1L, 1L));
        api.Errors.Single().Field.ShouldBe("budget");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_corrected_activity_is_counted_as_updated_not_unchanged(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        const string header = "event_id,lead_id,type,timestamp,url,value\n";
        await service.ImportFileAsync(ImportKind.Activities, Write("a.csv", header + "E1,L1,page_view,2026-01-01T10:00:00Z,/a,1\nE2,L1,page_view,2026-01-01T11:00:00Z,/b,1\n"));

        var s = await service.ImportFileAsync(ImportKind.Activities, Write("b.csv", header + "E1,L1,page_view,2026-01-01T10:00:00Z,/a,5\nE2,L1,page_view,2026-01-01T11:00:00Z,/b,1\n"));

        (s.Inserted, s.Updated, s.Unchanged).ShouldBe((0L, 1L, 1L));
        (await store.GetActivitiesAsync("L1")).Single(a => a.EventId == "E1").Value.ShouldBe(5);
        (await store.ListImportsAsync()).Single(i => i.Id == s.ImportId).Updated.ShouldBe(1);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Quarantined_rows_name_their_lead_unless_the_lead_id_was_the_problem(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var leads = await service.ImportFileAsync(ImportKind.Leads, Write("l.csv", "lead_id,created_at\nL1,soon\n,2026-01-01\n L2 ,2026-13-45\n"));
        var acts = await service.ImportFileAsync(ImportKind.Activities, Write("a.jsonl", """{"lead_id":"L7","type":"page_view","timestamp":"never"}""" + "\n"));

        (await store.ListQuarantineAsync(leads.ImportId)).Select(q => q.LeadId).ShouldBe(["L1", null, "L2"]);
        (await store.ListQuarantineAsync(acts.ImportId)).Single().LeadId.ShouldBe("L7");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task An_import_record_shows_running_progress_then_completed(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var path = Activities(500);
        var seen = new List<ImportRecord>();
        var progress = new SyncProgress(_ => seen.Add(store.ListImportsAsync().GetAwaiter().GetResult().Single()));

        var s = await service.ImportFileAsync(ImportKind.Activities, path, null, progress, 100);

        seen.Count.ShouldBe(5);
        seen.ShouldAllBe(r => r.Status == ImportStatus.Running);
        seen.Select(r => r.RowsRead).ShouldBe([100L, 200L, 300L, 400L, 500L]);
        var done = (await store.ListImportsAsync()).Single();
        (done.Status, done.RowsRead, done.Inserted).ShouldBe((ImportStatus.Completed, 500L, 500L));
        s.RowsRead.ShouldBe(500);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_failed_import_is_recorded_as_failed_with_what_it_committed(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var progress = new SyncProgress(p => { if (p > 0.3) throw new InvalidOperationException("disk on fire"); });

        await Should.ThrowAsync<InvalidOperationException>(() => service.ImportFileAsync(ImportKind.Activities, Activities(1000), null, progress, 100));

        var rec = (await store.ListImportsAsync()).Single();
        rec.Status.ShouldBe(ImportStatus.Failed);
        rec.RowsRead.ShouldBe(await store.CountActivitiesAsync());
        rec.RowsRead.ShouldBeGreaterThan(0);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_cancelled_import_is_recorded_as_interrupted(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p > 0.2) cts.Cancel(); });

        await Should.ThrowAsync<OperationCanceledException>(() => service.ImportFileAsync(ImportKind.Activities, Activities(1000), null, progress, 100, cts.Token));

        var rec = (await store.ListImportsAsync()).Single();
        rec.Status.ShouldBe(ImportStatus.Interrupted);
        rec.RowsRead.ShouldBe(await store.CountActivitiesAsync());
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_running_import_left_by_a_dead_process_is_marked_interrupted_by_the_next_import(string backend)
    {
        var clock = new ManualTime(new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero));
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store, time: clock).Get<ImportService>();
        // Given: a record a killed process left Running, 880 rows committed, and one another process started just now.
        ImportRecord Running(string id, DateTimeOffset at) => new()
        {
            Id = id, Kind = "activities", File = "/data/big.csv", FileHash = "x", StartedAt = at, RowsRead = 880, Inserted = 880, Status = ImportStatus.Running,
        };
        await store.RecordImportAsync(Running("imp-dead", clock.GetUtcNow()));
        clock.Advance(ImportService.StaleAfter + TimeSpan.FromMinutes(1));
        await store.RecordImportAsync(Running("imp-alive", clock.GetUtcNow()));

        await service.ImportFileAsync(ImportKind.Activities, Activities(3));

        var imports = (await store.ListImportsAsync()).ToDictionary(i => i.Id);
        (imports["imp-dead"].Status, imports["imp-dead"].RowsRead).ShouldBe((ImportStatus.Interrupted, 880L));
        imports["imp-alive"].Status.ShouldBe(ImportStatus.Running);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Retry_keeps_a_duplicate_id_row_in_quarantine_instead_of_overwriting_the_first(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var s = await service.ImportFileAsync(ImportKind.Leads, Write("l.csv", "lead_id,created_at,company\nL1,2026-01-01,First\nL1,2026-01-02,Second\n"));
        s.Rejected.ShouldBe(1);

        var retry = await service.RetryQuarantineAsync(s.ImportId, null);

        (retry.Inserted, retry.Updated, retry.Rejected).ShouldBe((0L, 0L, 1L));
        retry.Errors.Single().Reason.ShouldContain("duplicate id within the file");
        (await store.GetLeadAsync("L1"))!.Get(LeadFields.Company).ShouldBe("First");
        (await store.ListQuarantineAsync(s.ImportId)).Count.ShouldBe(1);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Retry_still_rejects_a_row_whose_nul_was_stored_as_its_visible_symbol(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var service = AppServices.For(store).Get<ImportService>();
        var s = await service.ImportFileAsync(ImportKind.Leads, Write("l.csv", "lead_id,created_at,company\nL1,2026-01-01,Ac\0me\n"));
        s.Rejected.ShouldBe(1);

        var retry = await service.RetryQuarantineAsync(s.ImportId, null);

        (retry.Inserted, retry.Rejected).ShouldBe((0L, 1L));
        retry.Errors.Single().Reason.ShouldContain("NUL");
        (await store.GetLeadAsync("L1")).ShouldBeNull();
    }

    private static string Activities(int n)
    {
        var sb = new StringBuilder("event_id,lead_id,type,timestamp,url,value\n");
        for (var i = 0; i < n; i++) sb.Append($"e{i},L{i % 37},page_view,2026-01-{1 + i % 28:00}T10:00:00Z,/p{i % 5},{i % 60}\n");
        return Write("acts.csv", sb.ToString());
    }

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
