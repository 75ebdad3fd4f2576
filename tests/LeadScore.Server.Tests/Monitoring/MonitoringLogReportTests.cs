using LeadScore.Application.Monitoring;
using LeadScore.Engine.Reporting;
using LeadScore.TestKit;
using Microsoft.Playwright;

namespace LeadScore.Server.Tests.Monitoring;

/// <summary>The report of monitoring over the log (what <c>monitor --report</c> writes), opened in Chromium with its plots loaded.</summary>
public sealed class MonitoringLogReportTests
{
    [Fact]
    public async Task The_log_report_opens_in_chromium_with_the_time_series_plots_loaded_and_captioned()
    {
        var time = new ManualTime(MonitoringWorld.After);
        var (store, ws, _) = await TestStores.OpenAsync(TestStores.Sqlite, time);
        await using var _s = store;
        await MonitoringWorld.SeedAsync(store);
        var result = await new MonitoringService(store, time).RunAsync(new MonitoringRequest { RaiseAlerts = false });
        var dir = Path.Combine(ws, "report");

        var index = MonitoringLogReport.Write(result, dir, time);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("LEADSCORE_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--no-first-run", "--disable-sync", "--disable-component-update"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        await page.GotoAsync(new Uri(index).AbsoluteUri);
        await page.WaitForLoadStateAsync(LoadState.Load);
        var images = await page.EvaluateAsync<ImageState[]>("() => Array.from(document.images).map(i => ({ src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth, height: i.naturalHeight }))");

        images.Select(i => i.Src).ShouldBe([MonitoringReport.DriftPlot, "dist-1.png", "dist-2.png", MonitoringReport.ScoreOverTimePlot, MonitoringReport.AucOverTimePlot, MonitoringReport.CalibrationOverTimePlot], ignoreOrder: true);
        images.ShouldAllBe(i => i.Complete && i.Width >= 600 && i.Height >= 400);
        (await page.Locator("figure figcaption").CountAsync()).ShouldBe(images.Length);
        (await page.Locator("#verdict").InnerTextAsync()).ShouldContain("The leads have changed");
        (await page.Locator("body").InnerTextAsync()).ShouldContain($"window(s) of 7 day(s); latest from {MonitoringWorld.T0.AddDays(7 * (MonitoringWorld.Weeks - 1)):yyyy-MM-dd}");
    }

    private sealed class ImageState
    {
        public string Src { get; set; } = "";
        public bool Complete { get; set; }
        public int Width { get; set; }
        public int Height { get; set; }
    }
}
