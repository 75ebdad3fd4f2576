using LeadScore.Core;
using LeadScore.Engine.Scoring;
using ScottPlot;

namespace LeadScore.Engine.Reporting;

/// <summary>
/// The SHAP summary ("beeswarm") plot of the evaluation report: one row per feature, most important
/// on top, one dot per lead at its contribution in log-odds, coloured by the lead's value of the
/// feature (blue low, red high; grey for categories and missing values).
/// </summary>
public static class ShapSummaryPlot
{
    public const string FontName = PlotFonts.Name;

    /// <summary>Computes exact contributions for up to <paramref name="maxRows"/> rows of the frame and writes the plot.</summary>
    public static void WriteShapSummaryPng(string path, ScoringEngine engine, FeatureFrame frame, int maxFeatures = 12, int maxRows = 2000, int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(frame);
        var sample = frame.Count <= maxRows ? frame : frame.Subset(EvenlySpaced(frame.Count, maxRows));
        WriteShapSummaryPng(path, frame.Features, sample.Rows, engine.FeatureContributions(sample), maxFeatures, width, height);
    }

    /// <summary>Writes the plot from contributions already computed (rows x features, aligned with <paramref name="rows"/>).</summary>
    public static void WriteShapSummaryPng(string path, IReadOnlyList<FeatureInfo> features, IReadOnlyList<FeatureValue[]> rows, double[][] contributions,
        int maxFeatures = 12, int width = 900, int height = 600, Func<string, string>? title = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (rows.Count != contributions.Length) throw new ArgumentException("Rows and contributions differ in length.", nameof(contributions));
        PlotFonts.Ensure();
        var f = features.Count;
        var meanAbs = new double[f];
        foreach (var c in contributions)
            for (var i = 0; i < f; i++) meanAbs[i] += Math.Abs(c[i]);
        var order = Enumerable.Range(0, f).OrderByDescending(i => meanAbs[i]).ThenBy(i => i).Take(Math.Min(maxFeatures, f)).ToArray();

        var plot = new Plot();
        var rng = new Random(17);
        var positions = new double[order.Length];
        var labels = new string[order.Length];
        const int Bins = 10;
        for (var k = 0; k < order.Length; k++)
        {
            var feature = order[k];
            var y = order.Length - 1 - k;
            positions[k] = y;
            labels[k] = title?.Invoke(features[feature].Name) ?? features[feature].Name;
            // Colour by the value's place between the 5th and 95th percentile of the feature.
            var numbers = rows.Select(r => r[feature].Number).Where(v => !double.IsNaN(v)).Order().ToArray();
            var lo = numbers.Length > 0 ? numbers[(int)(0.05 * (numbers.Length - 1))] : 0;
            var hi = numbers.Length > 0 ? numbers[(int)(0.95 * (numbers.Length - 1))] : 1;
            var groups = new List<(double X, double Y)>[Bins + 1];
            for (var g = 0; g <= Bins; g++) groups[g] = [];
            for (var r = 0; r < rows.Count; r++)
            {
                var v = rows[r][feature].Number;
                var bin = double.IsNaN(v) ? Bins : (int)Math.Clamp((hi > lo ? (v - lo) / (hi - lo) : 0.5) * Bins, 0, Bins - 1);
                groups[bin].Add((contributions[r][feature], y + (rng.NextDouble() - 0.5) * 0.6));
            }
            for (var g = 0; g <= Bins; g++)
            {
                if (groups[g].Count == 0) continue;
                var markers = plot.Add.Markers(groups[g].Select(p => p.X).ToArray(), groups[g].Select(p => p.Y).ToArray());
                markers.MarkerSize = 3;
                markers.Color = g == Bins ? Colors.Gray.WithAlpha(0.6) : BlueToRed(g / (double)(Bins - 1));
            }
        }
        plot.Add.VerticalLine(0, 1, Colors.Black.WithAlpha(0.5));
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels);
        plot.Axes.SetLimitsY(-0.7, order.Length - 0.3);
        plot.Title("SHAP summary: how each feature moves the score");
        plot.XLabel("SHAP value (log-odds). Colour: value blue low, red high, grey category/missing");
        plot.Axes.Bottom.Label.FontSize = 13;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        plot.SavePng(path, width, height);
    }

    private static Color BlueToRed(double t)
    {
        t = Math.Clamp(t, 0, 1);
        return new Color((byte)(30 + 200 * t), (byte)(80 * (1 - Math.Abs(2 * t - 1)) + 40), (byte)(230 - 200 * t)).WithAlpha(0.8);
    }

    private static int[] EvenlySpaced(int count, int take) =>
        Enumerable.Range(0, take).Select(i => (int)((long)i * count / take)).ToArray();
}
