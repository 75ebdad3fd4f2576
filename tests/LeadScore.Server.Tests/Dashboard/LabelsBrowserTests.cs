using System.Net;
using System.Text;
using LeadScore.Core;
using LeadScore.Server.Tests.Api;
using LeadScore.TestKit;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>The dashboard's lead page in Chromium shows reasons and attributes with the mapping's display names and value labels.</summary>
public sealed class LabelsBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task A_lead_page_shows_display_names_and_value_labels_in_reasons_and_attributes()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: async store =>
        {
            await TestModels.SeedChampionAsync(store);
            await LabelsApiTests.LabelAsync(store, "Trade show");
        });
        using (var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Ingest)))
        {
            var ingest = await client.PostAsync("/api/v1/leads", new StringContent(
                """{"lead_id":"L1","created_at":"2026-03-01T09:00:00Z","visits":"19","source":"event","company":"Initech"}""", Encoding.UTF8, "application/json"));
            ingest.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(15_000);
        var errors = new List<string>();
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(app.BaseAddress.ToString());
        await page.GetByLabel("API key").FillAsync(await app.CreateKeyAsync(ApiScopes.Score));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("#leads-table").WaitForAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "L1", Exact = true }).ClickAsync();

        await Expect(page.Locator("#view h1")).ToContainTextAsync("Lead L1");
        await Expect(page.Locator("#reasons-list")).ToContainTextAsync("Lead source: Trade show");
        var source = page.Locator("#attributes tbody tr", new() { Has = page.Locator("th[title=source]") });
        await Expect(source.Locator("th")).ToHaveTextAsync("Lead source");
        await Expect(source.Locator("td")).ToHaveTextAsync("Trade show (event)");
        await Expect(page.Locator("#attributes tbody tr", new() { Has = page.Locator("th[title=visits]") }).Locator("th")).ToHaveTextAsync("Visits");
        errors.ShouldBeEmpty();
    }
}
