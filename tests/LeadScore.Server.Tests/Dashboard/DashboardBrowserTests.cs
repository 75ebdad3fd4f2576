using System.Text.RegularExpressions;
using LeadScore.Core;
using LeadScore.TestKit;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>
/// The dashboard in Debian's Chromium against the real server on Kestrel over a real SQLite store (the page's queries
/// run on PostgreSQL too in <see cref="DashboardHttpTests"/>). Every test fails on any console error or page error.
/// </summary>
public sealed class DashboardBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>, IAsyncLifetime
{
    private LeadScoreApplication _app = null!;
    private IBrowserContext _context = null!;
    private readonly List<string> _consoleErrors = [];

    public async ValueTask InitializeAsync()
    {
        _app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: DashboardTestKit.SeedAsync);
        _context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        _context.SetDefaultTimeout(15_000);
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        await _app.DisposeAsync();
    }

    private async Task<IPage> OpenAsync()
    {
        var page = await _context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") _consoleErrors.Add(m.Text); };
        page.PageError += (_, e) => _consoleErrors.Add(e);
        await page.GotoAsync(_app.BaseAddress.ToString());
        return page;
    }

    private async Task<IPage> SignInAsync(string key)
    {
        var page = await OpenAsync();
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("#leads-table").WaitForAsync();
        return page;
    }

    private static async Task<string[]> ColumnAsync(IPage page, int column)
    {
        await DashboardTestKit.SettledAsync(page);
        return await page.EvaluateAsync<string[]>($"() => Array.from(document.querySelectorAll('#leads-table tbody tr td:nth-child({column})')).map(td => td.textContent)");
    }

    [Fact]
    public async Task A_wrong_key_is_refused_and_a_valid_key_signs_in_to_every_page_without_console_errors()
    {
        var page = await OpenAsync();
        await page.GetByLabel("API key").FillAsync("lsk_not-a-real-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#signin-message")).ToContainTextAsync("not accepted");
        (await page.Locator("#nav").IsVisibleAsync()).ShouldBeFalse();

        await page.GetByLabel("API key").FillAsync(await _app.CreateKeyAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("#leads-table").WaitForAsync();
        page.Url.ShouldNotContain("signin");
        foreach (var (link, heading) in new[] { ("Models", "Models"), ("Data", "Data"), ("Settings", "Settings"), ("Leads", "Leads") })
        {
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = link }).ClickAsync();
            await Expect(page.Locator("#view h1")).ToHaveTextAsync(heading);
        }
        await Expect(page.Locator("#leads-table")).ToBeVisibleAsync();
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task Leads_are_listed_best_first_filtered_searched_sorted_and_paged()
    {
        var page = await SignInAsync(await _app.CreateKeyAsync(ApiScopes.Score));

        // Given 120 scored leads, the first page holds the best 50.
        var scores = (await ColumnAsync(page, 3)).Select(int.Parse).ToList();
        scores.Count.ShouldBe(50);
        scores.ShouldBe(scores.OrderByDescending(s => s).ToList());
        scores[0].ShouldBe(Enumerable.Range(1, DashboardTestKit.Leads).Max(DashboardTestKit.ScoreOf));
        (await ColumnAsync(page, 6)).ShouldAllBe(r => r.Contains("pricing page"), "the top reason, in words");
        await page.ScreenshotAsync(new() { Path = DashboardTestKit.Screenshot("leads.png") });

        await page.GetByLabel("Grade").SelectOptionAsync("A");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("grade=A"));
        await page.Locator("#leads-table").WaitForAsync();
        (await ColumnAsync(page, 5)).ShouldAllBe(g => g == "A");

        await page.GetByLabel("Grade").SelectOptionAsync("");
        await page.GetByLabel("Status").SelectOptionAsync("won");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page.Locator("#leads-table tbody tr")).ToHaveCountAsync(1);
        (await ColumnAsync(page, 1)).ShouldBe(["L003"], "L005 won, then was reopened: it is open again");

        await page.GetByLabel("Status").SelectOptionAsync("");
        await page.GetByLabel("Search id or company").FillAsync("zephyr");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page.Locator("#leads-table tbody tr")).ToHaveCountAsync(1);
        (await ColumnAsync(page, 2)).ShouldBe([DashboardTestKit.SearchCompany]);

        await page.GetByLabel("Search id or company").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page.Locator("#leads-table tbody tr")).ToHaveCountAsync(50);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sort by score" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("sort=score_asc"));
        await Expect(page.Locator("th[aria-sort=ascending]")).ToHaveCountAsync(1);
        var ascending = (await ColumnAsync(page, 3)).Select(int.Parse).ToList();
        ascending.ShouldBe(ascending.OrderBy(s => s).ToList());
        ascending[0].ShouldBe(Enumerable.Range(1, DashboardTestKit.Leads).Min(DashboardTestKit.ScoreOf));

        await page.GetByRole(AriaRole.Button, new() { Name = "Next page" }).ClickAsync();
        await Expect(page.Locator("#page-number")).ToHaveTextAsync("Page 2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next page" }).ClickAsync();
        await Expect(page.Locator("#page-number")).ToHaveTextAsync("Page 3");
        await Expect(page.Locator("#leads-table tbody tr")).ToHaveCountAsync(DashboardTestKit.Leads - 100);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Next page" })).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Previous page" }).ClickAsync();
        await Expect(page.Locator("#page-number")).ToHaveTextAsync("Page 2");

        // At a phone's width nothing but the table's own scroller is wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(390);
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_lead_shows_its_reasons_chart_score_history_with_causes_activity_and_personal_fields()
    {
        // Personal fields are shown to a session whose key holds personal_data (docs/governance.md).
        var page = await SignInAsync(await _app.CreateKeyAsync(ApiScopes.Score, ApiScopes.PersonalData));
        await page.GetByLabel("Search id or company").FillAsync(DashboardTestKit.HistoryLead);
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page.Locator("#leads-table tbody tr")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Link, new() { Name = DashboardTestKit.HistoryLead, Exact = true }).ClickAsync();

        await Expect(page.Locator("#view h1")).ToContainTextAsync("Lead L007");
        await Expect(page.Locator("#reasons-chart rect")).ToHaveCountAsync(2);
        await Expect(page.Locator("#reasons-list")).ToContainTextAsync("Visited the pricing page 3 times in the last 7 days (+12.5 points)");
        await Expect(page.Locator("#history-chart circle.history-point")).ToHaveCountAsync(3);
        await DashboardTestKit.SettledAsync(page);
        var causes = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('#history-table tbody td:nth-child(4)')).map(td => td.textContent)");
        causes.ShouldBe(["new model", "time passing", "new data"]);
        await Expect(page.Locator("#timeline li")).ToHaveCountAsync(3);
        await Expect(page.Locator("#timeline")).ToContainTextAsync("form submit · /demo");
        await Expect(page.Locator("#attributes tr", new() { HasText = "email" }).Locator(".badge")).ToHaveTextAsync("personal");
        (await page.Locator("#attributes tr", new() { HasText = "source" }).Locator(".badge").CountAsync()).ShouldBe(0);
        await page.ScreenshotAsync(new() { Path = DashboardTestKit.Screenshot("lead.png"), FullPage = true });
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task An_admin_promotes_and_rolls_back_a_model_after_confirming()
    {
        await TestModels.TrainAndRegisterAsync(_app.Store, seed: 5);
        await TestModels.TrainAndRegisterAsync(_app.Store, seed: 9, trees: 10);
        var page = await SignInAsync(await _app.CreateKeyAsync(ApiScopes.Admin));
        await page.GetByRole(AriaRole.Link, new() { Name = "Models" }).ClickAsync();
        await Expect(page.Locator("#compare-table")).ToBeVisibleAsync();
        // Each card's ROC curve, stored at training: from (0,0) to (1,1), above the diagonal.
        await Expect(page.Locator("svg.roc-chart")).ToHaveCountAsync(2);
        (await page.Locator("svg.roc-chart polyline").First.GetAttributeAsync("points"))!.Split(' ').Length.ShouldBeGreaterThan(10);
        var before = await page.Locator("#champion").TextContentAsync();
        await page.ScreenshotAsync(new() { Path = DashboardTestKit.Screenshot("models.png"), FullPage = true });

        // Cancelling the confirmation changes nothing.
        await page.Locator("button.promote").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.Locator("#champion")).ToHaveTextAsync(before!);

        var other = await page.Locator("button.promote").GetAttributeAsync("data-version");
        await page.Locator("button.promote").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Promote" }).ClickAsync();
        await Expect(page.Locator("#champion")).ToHaveTextAsync(other!);
        await Expect(page.Locator("#models-status")).ToContainTextAsync("is now the champion");
        (await _app.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe(other);

        await page.GetByRole(AriaRole.Button, new() { Name = "Roll back to the previous champion" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Roll back" }).ClickAsync();
        await Expect(page.Locator("#champion")).ToHaveTextAsync(before!);
        (await _app.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe(before);
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_score_key_sees_leads_but_is_refused_the_models_page_and_its_actions()
    {
        await TestModels.TrainAndRegisterAsync(_app.Store, seed: 5);
        var page = await SignInAsync(await _app.CreateKeyAsync(ApiScopes.Score));
        (await page.GetByRole(AriaRole.Link, new() { Name = "Models" }).IsVisibleAsync()).ShouldBeFalse();

        await page.GotoAsync(new Uri(_app.BaseAddress, "/#/models").ToString());
        await Expect(page.Locator("#view")).ToContainTextAsync("Refused");
        (await page.Locator("button.promote").CountAsync()).ShouldBe(0);

        // The server refuses the same actions, even with a valid CSRF token: the page hiding them is not the guard.
        var session = await (await _context.APIRequest.GetAsync(new Uri(_app.BaseAddress, "/dashboard/api/session").ToString())).JsonAsync();
        var headers = new Dictionary<string, string> { ["X-CSRF-Token"] = session!.Value.GetProperty("csrf").GetString()! };
        (await _context.APIRequest.PostAsync(new Uri(_app.BaseAddress, "/dashboard/api/models/promote?version=v1").ToString(), new() { Headers = headers })).Status.ShouldBe(403);
        (await _context.APIRequest.PostAsync(new Uri(_app.BaseAddress, "/dashboard/api/models/rollback").ToString(), new() { Headers = headers })).Status.ShouldBe(403);
        (await _context.APIRequest.GetAsync(new Uri(_app.BaseAddress, "/dashboard/api/models").ToString())).Status.ShouldBe(403);
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task Hostile_values_in_leads_show_as_text_and_never_run()
    {
        const string hostile = "<img src=x onerror=\"window.pwned=1\">";
        await _app.Store.UpsertLeadsAsync([TestData.Lead("<b>X1</b>", hostile)]);
        await _app.Store.SaveScoresAsync([TestData.Score("<b>X1</b>", 100, "A")]);
        var page = await SignInAsync(await _app.CreateKeyAsync(ApiScopes.Score));
        (await ColumnAsync(page, 2)).First().ShouldBe(hostile);
        await page.GetByRole(AriaRole.Link, new() { Name = "<b>X1</b>" }).ClickAsync();
        await Expect(page.Locator("#view h1")).ToContainTextAsync(hostile);
        (await page.Locator("#view img, #view b").CountAsync()).ShouldBe(0);
        (await page.EvaluateAsync<bool>("() => window.pwned === 1")).ShouldBeFalse();
        _consoleErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        var page = await SignInAsync(await _app.CreateKeyAsync(ApiScopes.Score));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.Locator("#signin-message")).ToHaveTextAsync("You are signed out.");
        await page.GotoAsync(new Uri(_app.BaseAddress, "/#/leads").ToString());
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        (await _context.APIRequest.GetAsync(new Uri(_app.BaseAddress, "/dashboard/api/leads").ToString())).Status.ShouldBe(401);
        (await _context.CookiesAsync()).ShouldNotContain(c => c.Name == "leadscore_session");
        _consoleErrors.ShouldBeEmpty();
    }
}
