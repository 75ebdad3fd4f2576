using System.Net;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>
/// The trend since last week (the leads list, the lead page, <c>GET /api/v1/leads</c>, the CSV of the view) and the company
/// search of migration 013, on both backends.
/// </summary>
public sealed class DashboardTrendAndSearchTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    /// <summary>
    /// The host's clock: a minute of the real clock (the session cookie's expiry must be ahead of the real clock for the
    /// HTTP client to keep it), then moved by the test. Every score is placed relative to it.
    /// </summary>
    internal static ManualTime Clock()
    {
        var now = TimeProvider.System.GetUtcNow();
        return new ManualTime(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero));
    }

    /// <summary>
    /// T1 +12 (40 ten days ago, 52 three days ago); T2 -5 (65 exactly seven days ago counts; 60 yesterday); T3 new (first scored
    /// two days ago); T4 unchanged (50, twenty days ago); T5 +5 (20 then 25 at the same moment nine days ago: the later entry
    /// wins; 30 now). Saved one step at a time, oldest first, as scoring does.
    /// </summary>
    internal static async Task SeedTrendsAsync(ILeadStore store, DateTimeOffset now)
    {
        await store.UpsertLeadsAsync(new[] { "T1", "T2", "T3", "T4", "T5" }.Select(id => TestData.Lead(id, "Trend " + id)).ToList());
        foreach (var (id, score, daysAgo) in new[]
                 {
                     ("T4", 50, 20.0), ("T1", 40, 10), ("T5", 20, 9), ("T5", 25, 9), ("T2", 70, 8), ("T2", 65, 7), ("T1", 52, 3), ("T3", 30, 2), ("T2", 60, 1), ("T5", 30, 0),
                 })
            await store.SaveScoresAsync([TestData.Score(id, score, DashboardTestKit.GradeOf(score), now.AddDays(-daysAgo))]);
    }

    private static readonly Dictionary<string, int?> Expected = new() { ["T1"] = 12, ["T2"] = -5, ["T3"] = null, ["T4"] = 0, ["T5"] = 5 };

    [Theory, MemberData(nameof(Backends))]
    public async Task The_trend_is_the_score_now_against_the_score_as_of_seven_days_ago_on_the_injected_clock(string backend)
    {
        var time = Clock();
        var now = time.GetUtcNow();
        var (store, ws, _) = await TestStores.OpenAsync(backend, time);
        await using var app = await LeadScoreApplication.StartAsync(store, ws, seed: s => SeedTrendsAsync(s, now), time: time);

        // The store: the score as of the moment asked for, for the page's leads; none asked, none looked up.
        var page = await store.ListLeadPageAsync(new LeadPageQuery { TrendAsOf = now.AddDays(-7) });
        page.Items.ToDictionary(i => i.Score.LeadId, i => i.ScoreThen).ShouldBe(new Dictionary<string, int?> { ["T1"] = 40, ["T2"] = 65, ["T3"] = null, ["T4"] = 50, ["T5"] = 25 }, ignoreOrder: true);
        page.Items.Select(i => i.Score.LeadId).ShouldBe(["T2", "T1", "T4", "T3", "T5"], "the page's order is kept (by score, ties by id)");
        (await store.ListLeadPageAsync(new LeadPageQuery())).Items.ShouldAllBe(i => i.ScoreThen == null);
        var ascending = await store.ListLeadPageAsync(new LeadPageQuery { TrendAsOf = now.AddDays(-7), Sort = LeadSort.ScoreAscending, Limit = 2, Offset = 1 });
        ascending.Items.Select(i => (i.Score.LeadId, i.ScoreThen)).ShouldBe([("T3", (int?)null), ("T4", 50)]);
        ascending.HasMore.ShouldBeTrue();

        // The public API's list.
        var api = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));
        var listed = JsonDocument.Parse(await api.GetStringAsync("/api/v1/leads")).RootElement.GetProperty("leads").EnumerateArray()
            .ToDictionary(l => l.GetProperty("lead_id").GetString()!, l => l);
        listed.ToDictionary(l => l.Key, l => Int(l.Value.GetProperty("trend_7d"))).ShouldBe(Expected, ignoreOrder: true);
        Int(listed["T1"].GetProperty("score_7d_ago")).ShouldBe(40);
        Int(listed["T3"].GetProperty("score_7d_ago")).ShouldBeNull();

        // The dashboard's list, lead page and CSV of the view.
        var (client, _, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score));
        var rows = JsonDocument.Parse(await client.GetStringAsync("/dashboard/api/leads")).RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(l => l.GetProperty("id").GetString()!, l => Int(l.GetProperty("trend_7d")));
        rows.ShouldBe(Expected, ignoreOrder: true);
        var lead = JsonDocument.Parse(await client.GetStringAsync("/dashboard/api/lead?id=T2")).RootElement;
        Int(lead.GetProperty("trend_7d")).ShouldBe(-5);
        Int(lead.GetProperty("score_7d_ago")).ShouldBe(65);
        Int(JsonDocument.Parse(await client.GetStringAsync("/dashboard/api/lead?id=T3")).RootElement.GetProperty("trend_7d")).ShouldBeNull();
        var csv = (await client.GetStringAsync("/dashboard/api/leads.csv")).TrimEnd('\n').Split('\n');
        csv[0].ShouldEndWith(",created_at,trend_7d");
        csv.Skip(1).ToDictionary(l => l.Split(',')[0], l => l.Split(',')[^1]).ShouldBe(new Dictionary<string, string>
        {
            ["T1"] = "12", ["T2"] = "-5", ["T3"] = "", ["T4"] = "0", ["T5"] = "5",
        }, ignoreOrder: true);

        // Five days later on the host's clock, a week ago is when T3 had its first score and T1 its latest: both unchanged since.
        // (The session has expired on that clock: sign in again.)
        time.Advance(TimeSpan.FromDays(5));
        var (again, _, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score));
        var later = JsonDocument.Parse(await again.GetStringAsync("/dashboard/api/leads")).RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(l => l.GetProperty("id").GetString()!, l => Int(l.GetProperty("trend_7d")));
        later.ShouldBe(new Dictionary<string, int?> { ["T1"] = 0, ["T2"] = -5, ["T3"] = 0, ["T4"] = 0, ["T5"] = 5 }, ignoreOrder: true);
        again.Dispose();
        client.Dispose();
        api.Dispose();
    }

    private static int? Int(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();

    [Theory, MemberData(nameof(Backends))]
    public async Task The_company_search_finds_the_start_of_a_name_in_any_case_and_on_postgresql_any_part_through_migration_013s_index(string backend)
    {
        var (opened, ws, cs) = await TestStores.OpenAsync(backend);
        await using var app = await LeadScoreApplication.StartAsync(opened, ws, seed: async s =>
        {
            await DashboardTestKit.SeedAsync(s);
            await s.UpsertLeadsAsync([TestData.Lead("U1", "under_score Ltd"), TestData.Lead("U2", "underXscore Ltd"), TestData.Lead("U3", "Zephyrus")]);
            await s.SaveScoresAsync([TestData.Score("U1", 10, "D"), TestData.Score("U2", 11, "D"), TestData.Score("U3", 12, "D")]);
        });
        var store = app.Store;
        async Task<string[]> Find(string q) => (await store.ListLeadPageAsync(new LeadPageQuery { Search = q, Limit = 200 })).Items.Select(i => i.Score.LeadId).Order(StringComparer.Ordinal).ToArray();

        (await Find("zephyr")).ShouldBe(["L042", "U3"]);
        (await Find("ZEPHYR ANALYTICS")).ShouldBe(["L042"]);
        (await Find("  zEpHyR a")).ShouldBe(["L042"], "trimmed, any case");
        (await Find("under_")).ShouldBe(["U1"], "an underscore is a character, not a wildcard");
        (await Find("L010")).ShouldBe(["L010"], "a lead id, exactly");
        (await Find("Zephyr Analyticsx")).ShouldBeEmpty();
        // The part of a name inside it: found on PostgreSQL (trigram index), not on SQLite (prefix index), as documented.
        (await Find("analytics")).ShouldBe(backend == TestStores.Postgres ? ["L042"] : []);
        // With the other filters and orders the search still narrows first.
        (await store.ListLeadPageAsync(new LeadPageQuery { Search = "zephyr", Sort = LeadSort.CreatedDescending })).Items.Select(i => i.Score.LeadId).ShouldBe(["L042", "U3"]);
        (await store.ListLeadPageAsync(new LeadPageQuery { Search = "zephyr", Grade = "D" })).Items.Select(i => i.Score.LeadId).ShouldBe(["U3"]);

        // The index behind it (migration 013).
        await using System.Data.Common.DbConnection c = backend == TestStores.Postgres
            ? new Npgsql.NpgsqlConnection(cs)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(ws, LeadStore.SqliteFileName)}");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = backend == TestStores.Postgres
            ? "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_company_trgm'"
            : "SELECT sql FROM sqlite_master WHERE name = 'ix_leads_company_lower'";
        var definition = (string?)await cmd.ExecuteScalarAsync();
        definition.ShouldNotBeNull();
        definition.ShouldContain(backend == TestStores.Postgres ? "gin_trgm_ops" : "lower(json_extract(attributes, '$.company'))");
        if (backend == TestStores.Sqlite)
        {
            // SQLite's plan for the dashboard's search walks that index (it does not scan the leads).
            cmd.CommandText = "EXPLAIN QUERY PLAN SELECT l.id FROM leads l WHERE l.id = 'x' OR (lower(json_extract(l.attributes, '$.company')) >= 'zeph' AND lower(json_extract(l.attributes, '$.company')) < 'zeph\U0010FFFF')";
            var plan = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) plan.Add(r.GetString(3));
            plan.ShouldContain(p => p.Contains("ix_leads_company_lower"));
            plan.ShouldNotContain(p => p.StartsWith("SCAN", StringComparison.Ordinal));
        }
    }
}

/// <summary>The week's trend on the leads list and the lead page in Debian's Chromium (SQLite; the figures on both backends are in <see cref="DashboardTrendAndSearchTests"/>).</summary>
public sealed class DashboardTrendBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task The_leads_list_and_the_lead_page_show_the_weeks_trend_as_an_arrow_with_its_points_or_new()
    {
        var time = DashboardTrendAndSearchTests.Clock();
        var now = time.GetUtcNow();
        var (store, ws, _) = await TestStores.OpenAsync(TestStores.Sqlite, time);
        await using var app = await LeadScoreApplication.StartAsync(store, ws, seed: s => DashboardTrendAndSearchTests.SeedTrendsAsync(s, now), time: time);
        await using var context = await chromium.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(app.BaseAddress.ToString());
        await page.GetByLabel("API key").FillAsync(await app.CreateKeyAsync(ApiScopes.Score));
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("#leads-table").WaitForAsync();
        await DashboardTestKit.SettledAsync(page);

        (await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('#leads-table thead th')).map(th => th.textContent)"))[3].ShouldBe("Week");
        var cells = await page.EvaluateAsync<string[][]>(
            "() => Array.from(document.querySelectorAll('#leads-table tbody tr')).map(tr => [tr.cells[0].textContent, tr.cells[3].textContent, tr.cells[3].firstChild.getAttribute('title')])");
        cells.ToDictionary(c => c[0], c => (c[1], c[2])).ShouldBe(new Dictionary<string, (string, string)>
        {
            ["T1"] = ("▲ +12", "up 12 points since 7 days ago"),
            ["T2"] = ("▼ -5", "down 5 points since 7 days ago"),
            ["T3"] = ("new", "No score seven days ago"),
            ["T4"] = ("→ 0", "unchanged since 7 days ago"),
            ["T5"] = ("▲ +5", "up 5 points since 7 days ago"),
        }, ignoreOrder: true);

        await page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "T2", Exact = true }).ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#lead-trend")).ToHaveTextAsync("▼ -5");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#lead-summary")).ToContainTextAsync("was 65 7 days ago");
        await page.GotoAsync(new Uri(app.BaseAddress, "/#/lead/T3").ToString());
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#lead-trend")).ToHaveTextAsync("new");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#lead-summary")).ToContainTextAsync("no score 7 days ago");
        errors.ShouldBeEmpty();
    }
}
