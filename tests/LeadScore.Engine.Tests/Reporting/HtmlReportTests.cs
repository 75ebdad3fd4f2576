using LeadScore.Engine.Modeling;
using LeadScore.Engine.Reporting;
using LeadScore.Engine.Tests.Modeling;
using LeadScore.TestKit;
using Microsoft.Playwright;

namespace LeadScore.Engine.Tests.Reporting;

public sealed class HtmlReportTests(ITestOutputHelper output)
{
    private static TrainingResult SmallModel() =>
        new ModelingContext().Train(ModelingData.Sample(ModelingData.Bank, 3000), new TrainingOptions
        {
            Trainer = new LightGbmOptions { NumberOfTrees = 40 },
            ImportanceRows = 600,
            DataSource = "bank-additional-full.csv (sample)",
        }, ct: TestContext.Current.CancellationToken);

    [Fact]
    public void Report_writes_every_plot_as_a_png_and_states_the_horizon_and_split()
    {
        var dir = TestPaths.NewTempDir("report");
        var html = File.ReadAllText(HtmlReport.Write(dir, SmallModel()));
        foreach (var f in HtmlReport.PlotFiles)
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir, f));
            bytes.Length.ShouldBeGreaterThan(5000, f);
            bytes[..4].ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, f);
            html.ShouldContain($"src=\"{f}\"");
        }
        var shap = File.ReadAllBytes(Path.Combine(dir, HtmlReport.ShapPlotFile));
        shap.Length.ShouldBeGreaterThan(5000);
        html.ShouldContain($"src=\"{HtmlReport.ShapPlotFile}\"");
        html.ShouldContain("id=\"shap\"");
        html.ShouldContain("<td>euribor3m</td>", customMessage: "the macro rates drive bank conversions and head the mean |SHAP| table");
        html.ShouldContain("probability that a lead converts");
        html.ShouldContain("stratified random split");
        html.ShouldContain("id=\"segments\"");
    }

    [Fact]
    public async Task Report_opens_in_chromium_with_all_plots_loaded()
    {
        var dir = TestPaths.NewTempDir("report-browser");
        var index = HtmlReport.Write(dir, SmallModel());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--no-first-run", "--disable-sync", "--disable-component-update"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        await page.GotoAsync(new Uri(index).AbsoluteUri);
        await page.WaitForLoadStateAsync(LoadState.Load);

        var images = await page.EvaluateAsync<ImageState[]>("() => Array.from(document.images).map(i => ({ src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth, height: i.naturalHeight }))");
        images.Select(i => i.Src).ShouldBe([.. HtmlReport.PlotFiles, HtmlReport.ShapPlotFile], ignoreOrder: true);
        images.ShouldAllBe(i => i.Complete && i.Width >= 600 && i.Height >= 400);
        (await page.Locator("#summary").InnerTextAsync()).ShouldContain("top 10%");
        // The SHAP table lists features by mean |SHAP|, largest first.
        var shapValues = await page.EvaluateAsync<double[]>("() => Array.from(document.querySelectorAll('#shap tr td:nth-child(2)')).map(td => parseFloat(td.textContent))");
        shapValues.Length.ShouldBeGreaterThan(3);
        shapValues.ShouldBe(shapValues.OrderByDescending(v => v).ToArray());

        var shot = Path.Combine(dir, "screenshot.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        output.WriteLine($"screenshot: {shot}");
        new FileInfo(shot).Length.ShouldBeGreaterThan(50_000);
    }

    private sealed class ImageState
    {
        public string Src { get; set; } = "";
        public bool Complete { get; set; }
        public int Width { get; set; }
        public int Height { get; set; }
    }
}
