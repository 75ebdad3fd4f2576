using LeadScore.Engine.Monitoring;
using LeadScore.Engine.Reporting;
using LeadScore.TestKit;
using Microsoft.Playwright;

namespace LeadScore.Engine.Tests.Reporting;

public sealed class MonitoringReportTests(ITestOutputHelper output)
{
    private static MonitoringReportInput Input(bool withTimeSeries)
    {
        var rng = new Random(9);
        double N() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        DriftSample Side(double shift, double google)
        {
            var n = 3000;
            return new DriftSample([
                FeatureColumn.Numeric("pricing_page_visits", Enumerable.Range(0, n).Select(_ => Math.Max(0, Math.Round(2 + shift + 1.5 * N()))).ToArray()),
                FeatureColumn.Numeric("emails_opened", Enumerable.Range(0, n).Select(_ => 5 + N()).ToArray()),
                FeatureColumn.Categorical("lead_source", Enumerable.Range(0, n).Select(_ => rng.NextDouble() < google ? "Google" : rng.NextDouble() < 0.5 ? "Direct" : "Referral").ToArray()),
            ]) { Scores = Enumerable.Range(0, n).Select(_ => Math.Clamp(0.2 + 0.1 * shift + 0.1 * N(), 0.01, 0.99)).ToArray() };
        }
        var reference = Side(0, 0.31);
        var current = Side(1.3, 0.12);
        var drift = DriftEngine.Compare(reference, current, new DriftOptions { Multivariate = false });
        var start = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        return new MonitoringReportInput
        {
            Title = "current.csv against reference.csv", ModelVersion = "v1", CreatedAt = start.AddMonths(6), Drift = drift,
            Reference = reference, Current = current, Estimated = Performance.Estimated(current.Scores!, 0.3),
            ScoreOverTime = withTimeSeries ? Enumerable.Range(0, 12).Select(w => new ScoreWindow(start.AddDays(7 * w), 500, 0.05, 0.1, 0.2 + w * 0.01, 0.3, 0.4, 0.21)).ToArray() : [],
            AucOverTime = withTimeSeries ? Enumerable.Range(0, 12).Select(w => new AucWindow(start.AddDays(7 * w), 500, 0.78, w < 8 ? 0.8 - w * 0.01 : null)).ToArray() : [],
            CalibrationOverTime = withTimeSeries ? Enumerable.Range(0, 8).Select(w => new GradeCalibrationWindow(start.AddDays(7 * w),
                [new GradeCalibration("A", 50, 0.6, 0.55), new GradeCalibration("B", 100, 0.3, 0.32), new GradeCalibration("D", 300, 0.05, 0.04)])).ToArray() : [],
        };
    }

    [Fact]
    public void Flat_report_leaves_out_the_time_series_sections()
    {
        var dir = TestPaths.NewTempDir("monreport-flat");
        var html = File.ReadAllText(MonitoringReport.Write(dir, Input(false)));
        html.ShouldContain(MonitoringReport.DriftPlot);
        html.ShouldNotContain(MonitoringReport.AucOverTimePlot);
        html.ShouldContain("lead_source: share of &#39;Google&#39;");
        File.Exists(Path.Combine(dir, MonitoringReport.ScoreOverTimePlot)).ShouldBeFalse();
    }

    [Fact]
    public async Task Report_opens_in_chromium_with_all_plots_loaded()
    {
        var dir = TestPaths.NewTempDir("monreport-browser");
        var index = MonitoringReport.Write(dir, Input(true));
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
        images.Select(i => i.Src).ShouldBe([MonitoringReport.DriftPlot, "dist-1.png", "dist-2.png", "dist-3.png", MonitoringReport.ScoreOverTimePlot, MonitoringReport.AucOverTimePlot, MonitoringReport.CalibrationOverTimePlot], ignoreOrder: true);
        images.ShouldAllBe(i => i.Complete && i.Width >= 600 && i.Height >= 400);
        // Every plot has its one-sentence caption.
        (await page.Locator("figure figcaption").CountAsync()).ShouldBe(images.Length);
        (await page.Locator("#verdict").InnerTextAsync()).ShouldContain("The leads have changed");
        var shot = Path.Combine(dir, "screenshot.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        output.WriteLine($"screenshot: {shot}");
    }

    private sealed class ImageState
    {
        public string Src { get; set; } = "";
        public bool Complete { get; set; }
        public int Width { get; set; }
        public int Height { get; set; }
    }
}
