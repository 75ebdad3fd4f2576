using System.Net;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.Playwright;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>Stored leads for the dashboard tests, a signed-in HTTP client, and one Chromium shared by a test class.</summary>
public static class DashboardTestKit
{
    public const int Leads = 120;
    public const string SearchCompany = "Zephyr Analytics";
    public const string HistoryLead = "L007";
    private static readonly string[] Companies = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka"];
    private static readonly string[] Sources = ["web", "event", "referral"];

    public static string Id(int i) => $"L{i:000}";

    /// <summary>A lead's score: spread over 0-99 with no two probabilities equal, so orders are fully determined.</summary>
    public static int ScoreOf(int i) => i * 37 % 100;
    public static double ProbabilityOf(int i) => ScoreOf(i) / 100.0 + i * 1e-6;
    public static string GradeOf(int score) => score >= 75 ? "A" : score >= 50 ? "B" : score >= 25 ? "C" : "D";

    /// <summary>
    /// <see cref="Leads"/> scored leads (companies, sources, created an hour apart), three with outcomes (won, lost, won then
    /// reopened), and <see cref="HistoryLead"/> with a score history of three causes and a few activities.
    /// </summary>
    public static async Task SeedAsync(ILeadStore store)
    {
        var leads = Enumerable.Range(1, Leads).Select(i => new Lead
        {
            Id = Id(i),
            CreatedAt = TestData.T0.AddHours(i),
            Attributes = new Dictionary<string, string?>
            {
                [LeadFields.Company] = i == 42 ? SearchCompany : $"{Companies[i % Companies.Length]} {i}",
                [LeadFields.Source] = Sources[i % Sources.Length],
                [LeadFields.Email] = $"person{i}@example.com",
                [LeadFields.FirstName] = "Sam",
                ["visits"] = (i % 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        }).ToList();
        await store.UpsertLeadsAsync(leads);
        var history = TestData.Score(HistoryLead, 20, "D", TestData.T0, ScoreCause.NewData);
        await store.SaveScoresAsync([history, TestData.Score(HistoryLead, 35, "C", TestData.T0.AddDays(2), ScoreCause.TimePassing)]);
        await store.SaveScoresAsync(Enumerable.Range(1, Leads).Select(i =>
        {
            var score = ScoreOf(i);
            return TestData.Score(Id(i), score, GradeOf(score), TestData.T0.AddDays(5), i == 7 ? ScoreCause.NewModel : ScoreCause.NewData) with { Probability = ProbabilityOf(i) };
        }).ToList());
        await store.InsertOutcomesAsync([
            new Outcome { LeadId = Id(3), Kind = OutcomeKind.Converted, At = TestData.T0.AddDays(3) },
            new Outcome { LeadId = Id(4), Kind = OutcomeKind.Lost, At = TestData.T0.AddDays(3) },
            new Outcome { LeadId = Id(5), Kind = OutcomeKind.Converted, At = TestData.T0.AddDays(3) },
            new Outcome { LeadId = Id(5), Kind = OutcomeKind.Reopened, At = TestData.T0.AddDays(4) },
        ]);
        await store.InsertActivitiesAsync([
            new Activity { EventId = "e1", LeadId = HistoryLead, Type = ActivityTypes.PageView, Timestamp = TestData.T0.AddDays(1), Url = "/pricing" },
            new Activity { EventId = "e2", LeadId = HistoryLead, Type = ActivityTypes.FormSubmit, Timestamp = TestData.T0.AddDays(1).AddHours(1), Url = "/demo" },
            new Activity { EventId = "e3", LeadId = HistoryLead, Type = ActivityTypes.Meeting, Timestamp = TestData.T0.AddDays(4), Value = 30 },
        ]);
    }

    /// <summary>An HTTP client with a cookie jar, signed in on the dashboard with <paramref name="key"/>, and the session's CSRF token.</summary>
    public static async Task<(HttpClient Client, string Csrf, HttpResponseMessage SignIn)> SignInAsync(LeadScoreApplication app, string key)
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        var client = new HttpClient(handler) { BaseAddress = app.BaseAddress };
        var csrf = await CsrfAsync(client);
        var signIn = await client.PostAsync("/dashboard/session", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = key, ["csrf"] = csrf }));
        return (client, await CsrfAsync(client), signIn);
    }

    public static async Task<string> CsrfAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/dashboard/api/session")).RootElement.GetProperty("csrf").GetString()!;

    /// <summary>Waits until the dashboard shows the page its address names: not loading (aria-busy) and drawn for
    /// the current hash. A snapshot read of the DOM made before this can see the previous page or "Loading…".</summary>
    public static Task SettledAsync(Microsoft.Playwright.IPage page) =>
        page.WaitForFunctionAsync("() => { const v = document.getElementById('view'); return !!v && !v.hasAttribute('aria-busy') && v.dataset.rendered === location.hash; }");

    public static string Screenshot(string name)
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "docs", "screenshots");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }
}

/// <summary>One headless Debian Chromium for a test class (each test opens its own context: its own cookies).</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("LEADSCORE_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--no-first-run", "--disable-sync", "--disable-component-update"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
