using LeadScore.Engine.Monitoring;
using ScottPlot;

namespace LeadScore.Engine.Reporting;

/// <summary>The monitoring report's PNG plots (ScottPlot, the shipped DejaVu fonts).</summary>
internal static class MonitoringPlots
{
    private const int Width = 640, Height = 440;

    private static Plot NewPlot(string title, string x, string y)
    {
        PlotFonts.Ensure();
        var plt = new Plot();
        plt.Title(title); plt.XLabel(x); plt.YLabel(y);
        return plt;
    }

    /// <summary>Horizontal bars: each feature's drift as a multiple of its threshold (1 = the line where it counts as drifted).</summary>
    public static void DriftPerFeature(string path, IReadOnlyList<FeatureDrift> features, int top = 25)
    {
        var items = features.Select(f => (f, Severity: Severity(f))).OrderByDescending(t => t.Severity).Take(top).Reverse().ToArray();
        var plt = NewPlot("Drift per feature (1 = drift threshold)", "Drift relative to its threshold", "");
        var bars = items.Select((t, i) => new Bar
        {
            Position = i, Value = Math.Min(t.Severity, 10),
            FillColor = t.f.Drifted ? Colors.IndianRed : Colors.SteelBlue,
            Label = DriftEngine.TestName(t.f.Test),
        }).ToArray();
        var bp = plt.Add.Bars(bars);
        bp.Horizontal = true;
        var line = plt.Add.VerticalLine(1);
        line.LinePattern = LinePattern.Dashed; line.Color = Colors.Gray;
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(items.Select((t, i) => new Tick(i, Shorten(t.f.Feature))).ToArray());
        plt.Axes.Left.MajorTickStyle.Length = 0;
        plt.Axes.Margins(left: 0, right: 0.15);
        plt.SavePng(path, Width + 160, Math.Max(Height, 60 + 26 * items.Length));
    }

    /// <summary>
    /// How far past its threshold a feature is: distance / threshold for the distances, and for p-value tests
    /// log(p) / log(threshold) (1 at p = threshold, larger for smaller p).
    /// </summary>
    public static double Severity(FeatureDrift f)
    {
        if (double.IsNaN(f.Statistic) && f.PValue is null) return 0;
        if (f.PValue is { } p) return p <= 0 ? 10 : p >= 1 ? 0 : Math.Log(p) / Math.Log(f.Threshold);
        return f.Threshold > 0 ? f.Statistic / f.Threshold : 0;
    }

    /// <summary>Reference vs current: overlaid histograms (numeric) or side-by-side shares per category.</summary>
    public static void Distribution(string path, string feature, FeatureColumn reference, FeatureColumn current)
    {
        var plt = NewPlot($"{Shorten(feature)}: reference vs current", reference.Numbers is not null ? feature : "category", "Share of rows");
        if (reference.Numbers is { } rn && current.Numbers is { } cn)
        {
            var r = rn.Where(double.IsFinite).ToArray(); var c = cn.Where(double.IsFinite).ToArray();
            if (r.Length > 0 && c.Length > 0)
            {
                var lo = Math.Min(r.Min(), c.Min()); var hi = Math.Max(r.Max(), c.Max());
                if (hi <= lo) hi = lo + 1;
                const int bins = 30;
                var w = (hi - lo) / bins;
                double[] Shares(double[] v) { var s = new double[bins]; foreach (var x in v) s[Math.Clamp((int)((x - lo) / w), 0, bins - 1)] += 1.0 / v.Length; return s; }
                var xs = Enumerable.Range(0, bins).Select(i => lo + (i + 0.5) * w).ToArray();
                var a = plt.Add.ScatterLine(xs, Shares(r)); a.LegendText = "reference"; a.LineWidth = 2; a.ConnectStyle = ConnectStyle.StepVertical;
                var b = plt.Add.ScatterLine(xs, Shares(c)); b.LegendText = "current"; b.LineWidth = 2; b.ConnectStyle = ConnectStyle.StepVertical;
                plt.ShowLegend(Alignment.UpperRight);
            }
        }
        else
        {
            var rc = Counts(reference.Categories!); var cc = Counts(current.Categories!);
            var cats = rc.Keys.Union(cc.Keys).OrderByDescending(k => rc.GetValueOrDefault(k) + cc.GetValueOrDefault(k)).Take(12).ToArray();
            double rt = Math.Max(1, rc.Values.Sum()), ct = Math.Max(1, cc.Values.Sum());
            var bars = new List<Bar>();
            for (var i = 0; i < cats.Length; i++)
            {
                bars.Add(new Bar { Position = i * 3, Value = rc.GetValueOrDefault(cats[i]) / rt, FillColor = Colors.SteelBlue });
                bars.Add(new Bar { Position = i * 3 + 1, Value = cc.GetValueOrDefault(cats[i]) / ct, FillColor = Colors.IndianRed });
            }
            plt.Add.Bars(bars);
            plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(cats.Select((k, i) => new Tick(i * 3 + 0.5, Shorten(k, 14))).ToArray());
            plt.Legend.ManualItems.Add(new LegendItem { LabelText = "reference", FillColor = Colors.SteelBlue });
            plt.Legend.ManualItems.Add(new LegendItem { LabelText = "current", FillColor = Colors.IndianRed });
            plt.ShowLegend(Alignment.UpperRight);
            plt.Axes.Margins(bottom: 0);
        }
        plt.SavePng(path, Width, Height);
    }

    private static Dictionary<string, int> Counts(string?[] values)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var v in values) { var k = v ?? "(missing)"; d[k] = d.GetValueOrDefault(k) + 1; }
        return d;
    }

    public static void ScoreOverTime(string path, IReadOnlyList<ScoreWindow> windows)
    {
        var plt = NewPlot("Score distribution over time", "Window start", "Probability of converting");
        var xs = windows.Select(w => w.Start.UtcDateTime.ToOADate()).ToArray();
        void Line(double[] ys, string label, LinePattern pattern) { var s = plt.Add.ScatterLine(xs, ys); s.LegendText = label; s.LinePattern = pattern; s.LineWidth = 2; }
        Line(windows.Select(w => w.P90).ToArray(), "90th percentile", LinePattern.Dotted);
        Line(windows.Select(w => w.P75).ToArray(), "75th percentile", LinePattern.Dashed);
        Line(windows.Select(w => w.Median).ToArray(), "median", LinePattern.Solid);
        Line(windows.Select(w => w.P25).ToArray(), "25th percentile", LinePattern.Dashed);
        plt.Axes.DateTimeTicksBottom();
        plt.ShowLegend(Alignment.UpperLeft);
        plt.SavePng(path, Width, Height);
    }

    public static void AucOverTime(string path, IReadOnlyList<AucWindow> windows)
    {
        var plt = NewPlot("AUC over time: realized and estimated", "Window start", "AUC");
        var xs = windows.Select(w => w.Start.UtcDateTime.ToOADate()).ToArray();
        var e = plt.Add.ScatterLine(xs, windows.Select(w => w.EstimatedAuc).ToArray()); e.LegendText = "estimated (CBPE)"; e.LinePattern = LinePattern.Dashed; e.LineWidth = 2;
        var real = windows.Where(w => w.RealizedAuc is not null).ToArray();
        if (real.Length > 0)
        {
            var r = plt.Add.ScatterLine(real.Select(w => w.Start.UtcDateTime.ToOADate()).ToArray(), real.Select(w => w.RealizedAuc!.Value).ToArray());
            r.LegendText = "realized (outcomes known)"; r.LineWidth = 2;
        }
        plt.Axes.DateTimeTicksBottom();
        plt.Axes.SetLimitsY(0.4, 1);
        plt.ShowLegend(Alignment.LowerLeft);
        plt.SavePng(path, Width, Height);
    }

    public static void CalibrationOverTime(string path, IReadOnlyList<GradeCalibrationWindow> windows)
    {
        var plt = NewPlot("Calibration per grade over time", "Window start", "Actual conversion rate / predicted");
        foreach (var grade in windows.SelectMany(w => w.Grades.Select(g => g.Grade)).Distinct().Order(StringComparer.Ordinal))
        {
            var pts = windows.Select(w => (w.Start, G: w.Grades.FirstOrDefault(g => g.Grade == grade))).Where(t => t.G is not null && t.G.MeanPredicted > 0).ToArray();
            if (pts.Length == 0) continue;
            var s = plt.Add.ScatterLine(pts.Select(t => t.Start.UtcDateTime.ToOADate()).ToArray(), pts.Select(t => t.G!.ObservedRate / t.G.MeanPredicted).ToArray());
            s.LegendText = $"grade {grade}"; s.LineWidth = 2;
        }
        var one = plt.Add.HorizontalLine(1); one.LinePattern = LinePattern.Dashed; one.Color = Colors.Gray;
        plt.Axes.DateTimeTicksBottom();
        plt.ShowLegend(Alignment.UpperLeft);
        plt.SavePng(path, Width, Height);
    }

    private static string Shorten(string s, int max = 34) => s.Length <= max ? s : s[..(max - 2)] + "…";
}
