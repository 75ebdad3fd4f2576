using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Hosting;
using LeadScore.Server.Tests.Monitoring;
using LeadScore.TestKit;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>
/// The monitoring, model lifecycle and governance pages and the lead page's privacy actions in Debian's Chromium, against the
/// real server over a real SQLite store (their routes run on PostgreSQL too in <see cref="DashboardOperationsHttpTests"/>).
/// Every test fails on any console error or page error.
/// </summary>
public sealed class DashboardOperationsBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>, IAsyncLifetime
{
    private LeadScoreApplication? _app;
    private IBrowserContext _context = null!;
    private readonly List<string> _consoleErrors = [];

    private LeadScoreApplication App => _app ?? throw new InvalidOperationException("start the server first");

    public async ValueTask InitializeAsync()
    {
        _context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, AcceptDownloads = true });
        _context.SetDefaultTimeout(20_000);
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        if (_app is not null) await _app.DisposeAsync();
    }

    private async Task<IPage> SignInAsync(string key, string waitFor = "#leads-table")
    {
        var page = await _context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") _consoleErrors.Add(m.Text); };
        page.PageError += (_, e) => _consoleErrors.Add(e);
        await page.GotoAsync(App.BaseAddress.ToString());
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("#nav").WaitForAsync();
        await page.Locator(waitFor).WaitForAsync();
        return page;
    }

    private Task NavigateAsync(IPage page, string link) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();

    private static async Task<string[]> TextsAsync(IPage page, string selector)
    {
        await DashboardTestKit.SettledAsync(page);
        return await page.EvaluateAsync<string[]>($"() => Array.from(document.querySelectorAll('{selector}')).map(e => e.textContent)");
    }

    [Fact]
    public async Task The_monitoring_page_shows_drift_per_feature_scores_realized_and_estimated_performance_and_alerts()
    {
        // Given eight weeks of logged predictions whose inputs drift from week 4, all matured, and the leader's job has run once.
        // The system clock: every cohort of the world has matured by MonitoringWorld.After (a date in the past), and a browser keeps a session
        // cookie only when its expiry is ahead of the real clock.
        (TimeProvider.System.GetUtcNow() > MonitoringWorld.After).ShouldBeTrue();
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: s => MonitoringWorld.SeedAsync(s),
            settings: new Dictionary<string, string?> { ["LeadScore:Monitoring:MonitoringInterval"] = "01:00:00" });
        (await App.Service<LeaderElection>().TryAcquireAsync(CancellationToken.None)).ShouldBeTrue();
        (await App.Service<MonitoringMaintenance>().RunOnceAsync()).ShouldNotBeNull();

        var page = await SignInAsync(await App.CreateKeyAsync(ApiScopes.Monitoring), "#view h1");
        (await page.GetByRole(AriaRole.Link, new() { Name = "Leads" }).IsVisibleAsync()).ShouldBeTrue();
        await NavigateAsync(page, "Monitoring");
        await Expect(page.Locator("#view h1")).ToHaveTextAsync("Monitoring");

        await Expect(page.Locator("#dataset-drift")).ToHaveTextAsync("Drifted");
        (await TextsAsync(page, "#drift-table tbody td:nth-child(1)")).ShouldBe(["visits", "source"], ignoreOrder: true);
        (await TextsAsync(page, "#drift-table tbody td:nth-child(5)")).ShouldAllBe(d => d == "yes");
        (await TextsAsync(page, "#drift-table tbody td:nth-child(2)")).ShouldContain("wasserstein");
        var importance = await TextsAsync(page, "#drift-table tbody td:nth-child(6)");
        importance.ShouldAllBe(i => i != "–", "each feature's importance from the model card");
        // Drift per feature over time: a row per feature, a cell per window; the drifted feature is marked from the drift week on.
        await Expect(page.Locator("#drift-history-table thead th")).ToHaveCountAsync(1 + Math.Min(12, MonitoringWorld.Weeks));
        var visits = page.Locator("#drift-history-table tbody tr", new() { HasText = "visits" });
        (await visits.Locator("td").CountAsync()).ShouldBe(Math.Min(12, MonitoringWorld.Weeks));
        (await visits.Locator("td.drifted").CountAsync()).ShouldBeGreaterThanOrEqualTo(MonitoringWorld.Weeks - MonitoringWorld.DriftWeek);
        ((await visits.Locator("td").Last.GetAttributeAsync("class")) ?? "").ShouldContain("drifted");
        await Expect(page.Locator("#score-drift-verdict")).ToHaveTextAsync("drifted");
        await Expect(page.Locator("#grade-mix-table tbody tr")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#score-chart circle.point-median")).ToHaveCountAsync(MonitoringWorld.Weeks);
        // Every cohort has matured: a realized point and an estimated point per window, in the chart and the table.
        await Expect(page.Locator("#performance-chart circle.point-realized")).ToHaveCountAsync(MonitoringWorld.Weeks);
        await Expect(page.Locator("#performance-chart circle.point-estimated")).ToHaveCountAsync(MonitoringWorld.Weeks);
        var realized = (await TextsAsync(page, "#performance-table tbody td:nth-child(4)")).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        realized.Count.ShouldBe(MonitoringWorld.Weeks);
        realized.ShouldAllBe(a => a > 0.6 && a <= 1);
        // The alerts the job raised: one drift alert per drifted window.
        (await TextsAsync(page, "#alerts-table tbody td:nth-child(2)")).Count(k => k == MonitoringService.DriftDetected)
            .ShouldBe(MonitoringWorld.Weeks - MonitoringWorld.DriftWeek);
        await page.ScreenshotAsync(new() { Path = DashboardTestKit.Screenshot("monitoring.png"), FullPage = true });

        // Another window is a query of the page.
        await page.GetByLabel("Window", new() { Exact = true }).SelectOptionAsync("14");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.Locator("#performance-chart circle.point-estimated")).ToHaveCountAsync(MonitoringWorld.Weeks / 2);

        // A monitoring key is no admin: the lifecycle and governance pages are refused.
        (await page.GetByRole(AriaRole.Link, new() { Name = "Lifecycle" }).IsVisibleAsync()).ShouldBeFalse();
        await page.GotoAsync(new Uri(App.BaseAddress, "/#/governance").ToString());
        await Expect(page.Locator("#view")).ToContainTextAsync("Refused");
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_lifecycle_page_shows_champion_challenger_history_with_gate_rules_and_edits_the_policy_through_its_validation()
    {
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        await DashboardOperationsKit.SeedLifecycleAsync(App);
        var page = await SignInAsync(await App.CreateKeyAsync(ApiScopes.Admin), "#view h1");
        await NavigateAsync(page, "Lifecycle");

        await Expect(page.Locator("#lc-champion")).ToHaveTextAsync("v2");
        await Expect(page.Locator("#lc-challenger")).ToHaveTextAsync("v1");
        await Expect(page.Locator("#lc-mode")).ToHaveTextAsync("split");
        await Expect(page.Locator("#challenger")).ToContainTextAsync("serving 10% of leads");
        await Expect(page.Locator("#challenger-comparison")).ToContainTextAsync("challenger 0.7900 vs champion 0.8100");
        await Expect(page.Locator("#challenger-comparison")).ToContainTextAsync("failed: one-sided p <= alpha spent at this look");
        var gate = page.Locator("#lifecycle-table tr[data-kind=gate]");
        await Expect(gate).ToContainTextAsync("passed: " + DashboardOperationsKit.GateRule);
        await Expect(gate).ToContainTextAsync("candidate 0.8123");
        // v1 became champion when it was registered (the first model); v2's promotion is in the history with its reason.
        var promotion = page.Locator("#lifecycle-table tr[data-kind=promotion]");
        await Expect(promotion).ToHaveCountAsync(1);
        await Expect(promotion).ToContainTextAsync("passed the gate");
        await Expect(promotion.Locator("td:nth-child(3)")).ToHaveTextAsync("v2");
        await Expect(promotion.Locator("td:nth-child(4)")).ToHaveTextAsync("v1");
        await page.ScreenshotAsync(new() { Path = DashboardTestKit.Screenshot("lifecycle.png"), FullPage = true });

        // A bad value is refused naming its field, as PUT /api/v1/policy refuses it; nothing is saved.
        var policy = await page.Locator("#policy").InputValueAsync();
        await page.Locator("#policy").FillAsync(policy.Replace("\"shadow\"", "\"canary\"", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Expect(page.Locator("#policy-status")).ToContainTextAsync("challenger.mode");
        (await App.Service<RetrainingPolicyService>().GetAsync()).Version.ShouldBe(0);
        // Chromium logs the refused save's answer; it is the one error this test expects.
        _consoleErrors.RemoveAll(e => e == "Failed to load resource: the server responded with a status of 400 (Bad Request)").ShouldBe(1);

        await page.Locator("#policy").FillAsync(policy.Replace("\"shadow\"", "\"split\"", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Expect(page.Locator("#policy-status")).ToContainTextAsync("saved");
        var (saved, version) = await App.Service<RetrainingPolicyService>().GetAsync();
        version.ShouldBe(1);
        saved.Challenger.Mode.ShouldBe("split");
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_governance_page_edits_the_fairness_settings_through_the_apis_validation_showing_a_refused_value_next_to_its_field()
    {
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: DashboardTestKit.SeedAsync);
        var fairness = App.Service<LeadScore.Application.Fairness.FairnessService>();
        var page = await SignInAsync(await App.CreateKeyAsync(ApiScopes.Admin));
        await NavigateAsync(page, "Governance");
        await page.Locator("#fairness-form").WaitForAsync();
        await Expect(page.Locator("#fairness-settings")).ToContainTextAsync("Nothing declared yet");
        var save = page.GetByRole(AriaRole.Button, new() { Name = "Save fairness settings" });
        const string refused = "Failed to load resource: the server responded with a status of 400 (Bad Request)";

        // A ratio above 1: the service's rule refuses it; the message is next to that field, which is marked and focused.
        await page.GetByLabel("Sensitive attributes").FillAsync("country, age_band");
        await page.GetByLabel("Watched attributes").FillAsync("company_size");
        await page.GetByLabel("A/B share ratio threshold").FillAsync("1.5");
        await save.ClickAsync();
        var ratio = page.GetByLabel("A/B share ratio threshold");
        await Expect(page.Locator("#fs-ratio_threshold-error")).ToHaveTextAsync("the ratio threshold must be above 0 and at most 1");
        await Expect(ratio).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(ratio).ToBeFocusedAsync();
        await Expect(page.Locator("#fs-min_group_size-error")).ToBeHiddenAsync();
        await Expect(page.Locator("#fairness-status")).ToContainTextAsync("Not saved");
        (await fairness.GetAsync()).Declared.ShouldBeFalse();

        // Text where a number goes: the API's JSON binding names the field.
        await ratio.FillAsync("0.7");
        await page.GetByLabel("Minimum group size").FillAsync("forty");
        await save.ClickAsync();
        await Expect(page.Locator("#fs-min_group_size-error")).ToContainTextAsync("has the wrong type or format");
        await Expect(page.Locator("#fs-ratio_threshold-error")).ToBeHiddenAsync();
        (await ratio.GetAttributeAsync("aria-invalid")).ShouldBeNull();
        // An attribute both sensitive and watched.
        await page.GetByLabel("Minimum group size").FillAsync("25");
        await page.GetByLabel("Watched attributes").FillAsync("company_size, country");
        await save.ClickAsync();
        await Expect(page.Locator("#fs-watch-error")).ToHaveTextAsync("'country' cannot be both sensitive and watched");
        (await fairness.GetAsync()).Declared.ShouldBeFalse();
        _consoleErrors.RemoveAll(e => e == refused).ShouldBe(3, "Chromium logs each refused save's answer: the only errors this test expects");

        await page.GetByLabel("Watched attributes").FillAsync("company_size");
        await save.ClickAsync();
        await Expect(page.Locator("#fairness-status")).ToContainTextAsync("The fairness settings were saved");
        var saved = await fairness.GetAsync();
        saved.Declared.ShouldBeTrue();
        saved.Effective.Sensitive.ShouldBe(["country", "age_band"]);
        saved.Effective.Watch.ShouldBe(["company_size"]);
        saved.Effective.MinGroupSize.ShouldBe(25);
        saved.Effective.RatioThreshold.ShouldBe(0.7);
        saved.Effective.Mitigate.ShouldBeNull();
        // The page shows what is now in effect, and the change in the audit log, by this session.
        await Expect(page.GetByLabel("Minimum group size")).ToHaveValueAsync("25");
        await Expect(page.Locator("#fairness-settings")).ToContainTextAsync("Declared (version");
        var change = page.Locator("#audit-table tbody tr", new() { HasText = AuditActions.SettingChange });
        await Expect(change).ToHaveCountAsync(1);
        await Expect(change).ToContainTextAsync("dashboard:");
        await page.ScreenshotAsync(new() { Path = DashboardTestKit.Screenshot("governance-fairness-settings.png"), FullPage = true });
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_governance_page_shows_fairness_per_group_hiding_small_groups_proxy_alerts_and_the_audit_log_with_its_verdict()
    {
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: DashboardTestKit.SeedAsync);
        var report = await DashboardOperationsKit.SeedFairChampionAsync(App.Store);
        await App.Service<PrivacyService>().SetOptOutAsync(DashboardTestKit.Id(3), true);
        var page = await SignInAsync(await App.CreateKeyAsync(ApiScopes.Admin));
        await NavigateAsync(page, "Governance");

        await Expect(page.Locator("#fairness h2")).ToContainTextAsync("v9");
        var table = page.Locator("#fairness-country");
        var de = report.Attributes.Single().Groups.Single(g => g.Group == "DE");
        var fr = report.Attributes.Single().Groups.Single(g => g.Group == "FR");
        ILocator Row(string group) => table.Locator("tbody tr").Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = group, Exact = true }) });
        await Expect(Row("DE")).ToContainTextAsync((de.AbShare!.Value * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%");
        await Expect(Row("FR")).ToContainTextAsync(fr.AbRatio!.Value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " below 80%");
        await Expect(Row("FR")).ToContainTextAsync(fr.TprGap!.Value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
        await Expect(table.Locator("tr.too-few")).ToContainTextAsync("too few leads to show");
        (await table.Locator("tr.too-few td").CountAsync()).ShouldBe(3, "a group under the minimum shows its size only");
        await Expect(page.Locator("#proxies-table tbody tr")).ToContainTextAsync("region");
        await Expect(page.Locator("#proxies-table tbody tr td:nth-child(5)")).ToHaveTextAsync("yes");

        // The audit log, filtered by action and by actor, and the chain's verdict.
        await Expect(page.Locator("#audit-table tbody tr", new() { HasText = AuditActions.OptOut })).ToHaveCountAsync(1);
        await page.GetByLabel("Action").FillAsync(AuditActions.OptOut);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.Locator("#audit-table tbody tr")).ToHaveCountAsync(1);
        await page.GetByLabel("Action").FillAsync("");
        await page.GetByLabel("Actor").FillAsync("no-such-actor");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.Locator("#view")).ToContainTextAsync("No audit entry matches.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify the chain" }).ClickAsync();
        var entries = (await App.Service<AuditLog>().VerifyAsync()).Entries;
        entries.ShouldBeGreaterThan(0);
        await Expect(page.Locator("#audit-verdict")).ToHaveTextAsync($"The chain is intact: {entries} entries verified.");
        await page.GotoAsync(new Uri(App.BaseAddress, "/#/governance").ToString());
        await page.Locator("#audit-table").WaitForAsync();
        await page.ScreenshotAsync(new() { Path = DashboardTestKit.Screenshot("governance.png"), FullPage = true });
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_privacy_key_exports_opts_out_and_in_and_erases_a_lead_after_typing_its_id_each_audited_as_the_dashboard_user()
    {
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: DashboardTestKit.SeedAsync);
        var lead = DashboardTestKit.HistoryLead;
        var page = await SignInAsync(await App.CreateKeyAsync(ApiScopes.Score, ApiScopes.Privacy));
        await page.GotoAsync(new Uri(App.BaseAddress, "/#/lead/" + lead).ToString());
        await Expect(page.Locator("#privacy")).ToBeVisibleAsync();

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#privacy-export").ClickAsync());
        download.SuggestedFilename.ShouldBe($"lead-{lead}.json");
        var exported = JsonDocument.Parse(await File.ReadAllTextAsync((await download.PathAsync())!)).RootElement;
        exported.GetProperty("kind").GetString().ShouldBe("leadscore.privacy_export");
        exported.GetProperty("lead").GetProperty("id").GetString().ShouldBe(lead);

        await page.Locator("#opt-out").ClickAsync();
        await Expect(page.Locator("#privacy-status")).ToContainTextAsync("opted out");
        await Expect(page.Locator("#view")).ToContainTextAsync("This lead opted out of profiling");
        (await App.Store.GetLeadAsync(lead))!.ProfilingOptOut.ShouldBeTrue();
        await page.Locator("#opt-in").ClickAsync();
        await Expect(page.Locator("#privacy-status")).ToContainTextAsync("profiled again");
        (await App.Store.GetLeadAsync(lead))!.ProfilingOptOut.ShouldBeFalse();

        // Erasure needs the id typed again: until it matches the button stays disabled (the server checks it too:
        // DashboardOperationsHttpTests), and nothing is erased.
        await Expect(page.Locator("#erase")).ToBeDisabledAsync();
        await page.GetByLabel($"Type the lead id ({lead}) to erase it").FillAsync("L00");
        await Expect(page.Locator("#erase")).ToBeDisabledAsync();
        await page.Locator("#erase-form").EvaluateAsync("f => f.requestSubmit()");
        (await App.Store.GetLeadAsync(lead)).ShouldNotBeNull();
        await page.GetByLabel($"Type the lead id ({lead}) to erase it").FillAsync(lead);
        await page.Locator("#erase").ClickAsync();
        await Expect(page.Locator("#view h1")).ToHaveTextAsync("Lead erased");
        (await App.Store.GetLeadAsync(lead)).ShouldBeNull();

        var audit = await App.Service<AuditLog>().ListAsync(limit: 100);
        // Lead ids are recorded as keyed hashes: the entries are found by kind and actor.
        var mine = audit.Where(e => e.TargetKind == AuditTargets.Lead && e.Actor.StartsWith("dashboard:", StringComparison.Ordinal)).Select(e => e.Action).ToList();
        mine.ShouldContain(AuditActions.PrivacyExport);
        mine.ShouldContain(AuditActions.OptOut);
        mine.ShouldContain(AuditActions.OptIn);
        mine.ShouldContain(AuditActions.Erase);
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_data_page_exports_an_imports_quarantined_rows_and_retries_them_through_the_import_use_case()
    {
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        // Given a file whose second row repeats the first one's id: quarantined, and kept there on retry (storing it would
        // overwrite the row its author meant).
        var file = Path.Combine(App.Workspace, "dup.csv");
        await File.WriteAllTextAsync(file, "lead_id,created_at,company\nQ1,2026-01-01,First\nQ1,2026-01-02,Second\n");
        var import = await App.Service<LeadScore.Application.Ingestion.ImportService>().ImportFileAsync(ImportKind.Leads, file);
        import.Rejected.ShouldBe(1);
        var page = await SignInAsync(await App.CreateKeyAsync(ApiScopes.Ingest), "#view h1");
        await NavigateAsync(page, "Data");
        var row = page.Locator($"#imports-table tr[data-import='{import.ImportId}']");
        await Expect(page.Locator("#quarantine-table")).ToContainTextAsync("duplicate id within the file");

        var download = await page.RunAndWaitForDownloadAsync(() => row.Locator("a.quarantine-export").ClickAsync());
        (await File.ReadAllTextAsync((await download.PathAsync())!)).ReplaceLineEndings("\n").ShouldBe("lead_id,created_at,company\nQ1,2026-01-02,Second\n");

        await row.Locator("button.quarantine-retry").ClickAsync();
        await Expect(page.Locator("#data-status")).ToContainTextAsync("Retried 1 rows: 0 stored, 1 still quarantined.");
        (await TextsAsync(page, "#imports-table tbody td:nth-child(2)")).Count(k => k == "retry").ShouldBe(1, "the retry is an import of its own");
        (await App.Store.GetLeadAsync("Q1"))!.Get(LeadFields.Company).ShouldBe("First");
        (await App.Store.ListImportsAsync()).ShouldContain(i => i.Kind == "retry");
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task Leads_are_filtered_by_a_segment_and_a_personal_data_key_searches_by_email()
    {
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: async s => { await DashboardTestKit.SeedAsync(s); await DashboardOperationsHttpTests.SchemaAsync(s); });
        var page = await SignInAsync(await App.CreateKeyAsync(ApiScopes.Score, ApiScopes.PersonalData));
        await page.GetByLabel("Segment", new() { Exact = true }).SelectOptionAsync("source");
        await page.GetByLabel("Segment value").FillAsync("event");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("segment=source&value=event"));
        await Expect(page.Locator("#leads-table tbody tr")).ToHaveCountAsync(Enumerable.Range(1, DashboardTestKit.Leads).Count(i => i % 3 == 1));
        (await TextsAsync(page, "#leads-table tbody td:nth-child(8)")).ShouldAllBe(v => v == "event");

        await page.GetByLabel("Segment", new() { Exact = true }).SelectOptionAsync("");
        await page.GetByLabel("Search by email").FillAsync("Person42@Example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page.Locator("#leads-table tbody tr")).ToHaveCountAsync(1);
        (await TextsAsync(page, "#leads-table tbody td:nth-child(2)")).ShouldBe([DashboardTestKit.SearchCompany]);
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_score_key_sees_no_privacy_actions_and_is_refused_the_new_pages()
    {
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: DashboardTestKit.SeedAsync);
        var page = await SignInAsync(await App.CreateKeyAsync(ApiScopes.Score));
        (await page.GetByLabel("Search by email").CountAsync()).ShouldBe(0, "an email is personal data");
        foreach (var link in new[] { "Monitoring", "Lifecycle", "Governance" })
            (await page.GetByRole(AriaRole.Link, new() { Name = link }).IsVisibleAsync()).ShouldBeFalse(link);
        await page.GotoAsync(new Uri(App.BaseAddress, "/#/lead/" + DashboardTestKit.HistoryLead).ToString());
        await Expect(page.Locator("#view h1")).ToContainTextAsync("Lead L007");
        (await page.Locator("#privacy").CountAsync()).ShouldBe(0);
        foreach (var route in new[] { "monitoring", "lifecycle", "governance" })
        {
            await page.GotoAsync(new Uri(App.BaseAddress, "/#/" + route).ToString());
            await Expect(page.Locator("#view")).ToContainTextAsync("Refused");
        }
        _consoleErrors.ShouldBeEmpty();
    }
}
