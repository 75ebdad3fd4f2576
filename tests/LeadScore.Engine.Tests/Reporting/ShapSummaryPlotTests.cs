using LeadScore.Engine.Reporting;
using LeadScore.Engine.Scoring;
using LeadScore.Engine.Tests.Scoring;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Reporting;

public sealed class ShapSummaryPlotTests
{
    [Fact]
    public void Summary_plot_is_written_as_a_png_with_text()
    {
        var t = BankModels.Train(BankModels.Sample(10), ml => BankModels.LightGbm(ml, trees: 10, leaves: 8));
        var engine = new ScoringEngine("v", t.Encoder, CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount), ProbabilityCalibrator.Identity, GradeBands.Default);
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "shap.png");

        ShapSummaryPlot.WriteShapSummaryPng(path, engine, BankModels.WithMissing(20000, 800), maxFeatures: 8);

        var bytes = File.ReadAllBytes(path);
        bytes.Take(8).ToArray().ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        ScottPlot.Fonts.Default.ShouldBe(ShapSummaryPlot.FontName);
        // A plot with dots and labels is far larger than an empty frame.
        bytes.Length.ShouldBeGreaterThan(20_000);
    }
}
