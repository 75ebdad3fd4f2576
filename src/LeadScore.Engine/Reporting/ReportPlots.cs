using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using ScottPlot;

namespace LeadScore.Engine.Reporting;

/// <summary>
/// The evaluation report's PNG plots, drawn with ScottPlot using the DejaVu fonts shipped in the repository
/// (without a registered font, titles and labels silently vanish on a bare server).
/// </summary>
internal static class ReportPlots
{
    private const int Width = 640, Height = 440;

    private static Plot NewPlot(string title, string x, string y)
    {
        PlotFonts.Ensure();
        var plt = new Plot();
        plt.Title(title);
        plt.XLabel(x);
        plt.YLabel(y);
        return plt;
    }

    private static void Diagonal(Plot plt, string label)
    {
        var line = plt.Add.Line(0, 0, 1, 1);
        line.LinePattern = LinePattern.Dashed;
        line.Color = Colors.Gray;
        line.LegendText = label;
    }

    public static void Roc(string path, EvaluationCurves c, double auc)
    {
        var plt = NewPlot($"ROC curve (AUC {auc:F3})", "Share of non-converting leads flagged", "Share of converting leads found");
        var s = plt.Add.ScatterLine(c.RocFpr, c.RocTpr);
        s.LineWidth = 2; s.LegendText = "this model";
        Diagonal(plt, "random order");
        plt.Axes.SetLimits(0, 1, 0, 1);
        plt.ShowLegend(Alignment.LowerRight);
        plt.SavePng(path, Width, Height);
    }

    public static void PrecisionRecall(string path, EvaluationCurves c, double prAuc, double baseRate)
    {
        var plt = NewPlot($"Precision and recall (average precision {prAuc:F3})", "Recall: share of converting leads found", "Precision: share of flagged leads that convert");
        var s = plt.Add.ScatterLine(c.PrRecall, c.PrPrecision);
        s.LineWidth = 2; s.LegendText = "this model";
        var b = plt.Add.HorizontalLine(baseRate);
        b.LinePattern = LinePattern.Dashed; b.Color = Colors.Gray; b.LegendText = $"base rate {baseRate * 100:0.0}%";
        plt.Axes.SetLimits(0, 1, 0, 1);
        plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, Width, Height);
    }

    public static void Calibration(string path, IReadOnlyList<CalibrationBin> bins)
    {
        var plt = NewPlot("Calibration: predicted vs. actual conversion", "Predicted probability (bin average)", "Actual conversion rate");
        Diagonal(plt, "perfect calibration");
        var s = plt.Add.Scatter(bins.Select(b => b.MeanPredicted).ToArray(), bins.Select(b => b.ObservedRate).ToArray());
        s.LineWidth = 2; s.MarkerSize = 8; s.LegendText = "this model (10 bins)";
        plt.Axes.SetLimits(0, 1, 0, 1);
        plt.ShowLegend(Alignment.UpperLeft);
        plt.SavePng(path, Width, Height);
    }

    public static void Gain(string path, EvaluationCurves c)
    {
        var plt = NewPlot("Cumulative gain", "Share of leads contacted, best scores first", "Share of all conversions reached");
        var s = plt.Add.ScatterLine(c.GainFraction, c.Gain);
        s.LineWidth = 2; s.LegendText = "ordered by this model";
        Diagonal(plt, "random order");
        plt.Axes.SetLimits(0, 1, 0, 1);
        plt.ShowLegend(Alignment.LowerRight);
        plt.SavePng(path, Width, Height);
    }

    public static void Importance(string path, IReadOnlyList<PermutationImportance> importance, int top = 15)
    {
        var items = importance.Take(top).Reverse().ToArray();
        var plt = NewPlot("What the model relies on (permutation importance)", "Drop in AUC when the feature is shuffled", "");
        var bars = items.Select((it, i) => new Bar { Position = i, Value = Math.Max(0, it.AucDrop), Label = it.AucDrop.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) }).ToArray();
        var bp = plt.Add.Bars(bars);
        bp.Horizontal = true;
        bp.Color = Colors.SteelBlue;
        var ticks = items.Select((it, i) => new Tick(i, Shorten(it.Feature))).ToArray();
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plt.Axes.Left.MajorTickStyle.Length = 0;
        plt.Axes.Margins(left: 0, right: 0.12);
        plt.SavePng(path, Width + 160, Math.Max(Height, 60 + 28 * items.Length));
    }

    public static void Grades(string path, IReadOnlyList<GradeRate> grades)
    {
        var plt = NewPlot("Actual conversion rate per grade", "Grade", "Conversion rate on held-out leads");
        var bars = grades.Select((g, i) => new Bar { Position = i, Value = g.Rate, Label = $"{g.Rate * 100:0.0}% of {g.Rows}" }).ToArray();
        var bp = plt.Add.Bars(bars);
        bp.Color = Colors.SeaGreen;
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(grades.Select((g, i) => new Tick(i, g.Grade)).ToArray());
        plt.Axes.Margins(bottom: 0);
        plt.SavePng(path, Width, Height);
    }

    private static string Shorten(string s) => s.Length <= 34 ? s : s[..32] + "…";
}
