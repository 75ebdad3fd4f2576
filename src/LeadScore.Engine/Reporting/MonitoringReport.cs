using System.Globalization;
using System.Text;
using LeadScore.Engine.Monitoring;
using static System.Net.WebUtility;

namespace LeadScore.Engine.Reporting;

/// <summary>
/// Writes the monitoring report: index.html and PNG plots in one folder, in the evaluation report's page frame and
/// style. Each plot carries one sentence for a sales manager. Time-series sections appear when the input has them.
/// </summary>
public static class MonitoringReport
{
    public const string DriftPlot = "drift.png", ScoreOverTimePlot = "score-over-time.png", AucOverTimePlot = "auc-over-time.png", CalibrationOverTimePlot = "calibration-over-time.png";

    /// <summary>Distribution plots drawn for the most drifted features.</summary>
    public const int DistributionPlots = 4;

    /// <summary>Writes index.html and the plots into <paramref name="directory"/>; returns the path of index.html.</summary>
    public static string Write(string directory, MonitoringReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Directory.CreateDirectory(directory);
        var inv = CultureInfo.InvariantCulture;
        var d = input.Drift;
        string P(double v) => (v * 100).ToString("0", inv) + "%";
        string N(double? v) => v is not { } x || double.IsNaN(x) ? "n/a" : double.IsPositiveInfinity(x) ? "inf" : x.ToString("0.000", inv);

        MonitoringPlots.DriftPerFeature(Path.Combine(directory, DriftPlot), d.Features);
        var top = d.Features.OrderByDescending(MonitoringPlots.Severity).Take(DistributionPlots).ToArray();
        var distFiles = new List<(FeatureDrift F, string File)>();
        foreach (var f in top)
        {
            var rc = input.Reference.Columns.FirstOrDefault(c => c.Name == f.Feature);
            var cc = input.Current.Columns.FirstOrDefault(c => c.Name == f.Feature);
            if (rc is null || cc is null) continue;
            var file = $"dist-{distFiles.Count + 1}.png";
            MonitoringPlots.Distribution(Path.Combine(directory, file), f.Feature, rc, cc);
            distFiles.Add((f, file));
        }

        var h = new StringBuilder();
        h.Append($$"""
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>LeadScore monitoring {{HtmlEncode(input.ModelVersion)}}</title>
<style>
{{HtmlReport.Css}}
.bad{color:#b22222;font-weight:bold}
</style></head><body>
<h1>Is the model still seeing the leads it learned from?</h1>
<p class="note">Model {{HtmlEncode(input.ModelVersion)}} &middot; {{HtmlEncode(input.Title)}} &middot; {{input.CreatedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", inv)}} &middot; {{d.CurrentRows:N0}} current rows against {{d.ReferenceRows:N0}} reference rows</p>
<div class="lead" id="summary">
""");
        h.Append(d.DatasetDrift
            ? $"<p id=\"verdict\" class=\"bad\">The leads have changed: {d.DriftedFeatures} of {d.Features.Count} inputs moved, and they carry {P(d.DriftedImportanceShare)} of what the model relies on (the alarm is at {P(d.DatasetDriftShare)}). Scores may be less reliable until the model is retrained.</p>\n"
            : $"<p id=\"verdict\">No dataset drift: {d.DriftedFeatures} of {d.Features.Count} inputs moved, carrying {P(d.DriftedImportanceShare)} of what the model relies on (the alarm is at {P(d.DatasetDriftShare)}).</p>\n");
        if (input.Realized is { } re)
            h.Append(CultureInfo.InvariantCulture, $"<p>On the current leads whose outcome is known ({re.Rows:N0}), the model ranks a converting lead above a non-converting one {P(re.Auc)} of the time (AUC {N(re.Auc)}; estimated without outcomes: {N(input.Estimated?.Auc)}); its probabilities are off by {(re.Ece * 100).ToString("0.0", inv)} points on average.</p>\n");
        else if (input.Estimated is { } es)
            h.Append(CultureInfo.InvariantCulture, $"<p>Outcomes are not known yet; from the probabilities alone the expected AUC is {N(es.Auc)} (confidence-based estimate, as NannyML's CBPE).</p>\n");
        h.Append("</div>\n");

        h.Append("<h2>Drift per input</h2>\n");
        HtmlReport.Figure(h, DriftPlot, "Drift per feature", "Each bar is one input of the model; a bar past the dashed line (red) means that input's values today differ from what the model learned from by more than chance would explain.");
        var moved = d.Features.Where(f => f.Drifted).ToArray();
        if (moved.Length > 0)
        {
            h.Append("<ul id=\"moved\">\n");
            foreach (var f in moved) h.Append($"<li>{HtmlEncode(f.Explanation)}</li>\n");
            h.Append("</ul>\n");
        }
        h.Append("<table id=\"features\"><tr><th>Input</th><th>Test</th><th>Statistic</th><th>p-value</th><th>Threshold</th><th>PSI</th><th>Drifted</th></tr>\n");
        foreach (var f in d.Features.OrderByDescending(MonitoringPlots.Severity))
            h.Append($"<tr><td>{HtmlEncode(f.Feature)}</td><td>{DriftEngine.TestName(f.Test)}</td><td class=\"num\">{N(f.Statistic)}</td><td class=\"num\">{(f.PValue is { } p ? N(p) : "")}</td><td class=\"num\">{N(f.Threshold)}</td><td class=\"num\">{N(f.Psi)}</td><td>{(f.Drifted ? "<span class=\"bad\">yes</span>" : "no")}</td></tr>\n");
        h.Append("</table>\n");
        if (d.ScoreDrift is { } sd) h.Append($"<p id=\"score-drift\">Scores: {HtmlEncode(sd.Explanation)}.</p>\n");
        if (d.GradeMixDrift is { } gd) h.Append($"<p id=\"grade-drift\">{HtmlEncode(gd.Explanation)}.</p>\n");
        if (d.Multivariate is { } mv) h.Append($"<p id=\"multivariate\">{HtmlEncode(mv.Explanation)}</p>\n");

        if (distFiles.Count > 0)
        {
            h.Append("<h2>The inputs that moved most</h2>\n");
            foreach (var (f, file) in distFiles)
                HtmlReport.Figure(h, file, $"{f.Feature}: reference vs current", f.Kind == Core.FeatureKind.Numeric
                    ? $"How {f.Feature} was spread among the leads the model learned from (reference) and among today's leads (current); where the lines part, today's leads look different."
                    : $"The share of leads in each value of {f.Feature}, then (reference) and now (current); bars of different height mean the mix of leads changed.");
        }

        if (input.ScoreOverTime.Count > 0)
        {
            h.Append("<h2>Scores over time</h2>\n");
            MonitoringPlots.ScoreOverTime(Path.Combine(directory, ScoreOverTimePlot), input.ScoreOverTime);
            HtmlReport.Figure(h, ScoreOverTimePlot, "Score distribution over time", "The typical score of new leads each week: lines that climb or fall mean the leads coming in are getting better or worse, or the model is reading them differently.");
        }
        if (input.AucOverTime.Count > 0)
        {
            h.Append("<h2>Accuracy over time</h2>\n");
            MonitoringPlots.AucOverTime(Path.Combine(directory, AucOverTimePlot), input.AucOverTime);
            HtmlReport.Figure(h, AucOverTimePlot, "Realized vs estimated AUC over time", "How well the model ranks leads each week: the dashed line is estimated before outcomes are known, the solid line is measured once they are; a drop in the solid line means the model has gone stale.");
        }
        if (input.CalibrationOverTime.Count > 0)
        {
            h.Append("<h2>Calibration per grade over time</h2>\n");
            MonitoringPlots.CalibrationOverTime(Path.Combine(directory, CalibrationOverTimePlot), input.CalibrationOverTime);
            HtmlReport.Figure(h, CalibrationOverTimePlot, "Calibration per grade over time", "For each grade, actual conversions divided by what the model predicted: 1 (the dashed line) means the probabilities can be taken at face value; above it the model is too cautious, below it too hopeful.");
        }
        if (input.Fairness is { } fairness)
        {
            h.Append(System.Globalization.CultureInfo.InvariantCulture, $"<p class=\"note\" id=\"fairness-live\">Fairness on the live leads of the latest window with leads{(input.FairnessWindow is { } fw ? $" ({fw:yyyy-MM-dd})" : "")}: each lead once, with its last grade in the window; true and false positive rates on the leads whose horizon has passed.</p>\n");
            FairnessSection.Append(h, fairness);
        }
        h.Append("<p class=\"note\">Tests follow Evidently's defaults: up to 1,000 reference rows, Kolmogorov-Smirnov for numbers with more than 5 values, chi-squared (z-test for two values) otherwise, drifted at p &lt; 0.05; above 1,000 rows, the Wasserstein distance divided by the reference spread for numbers and the Jensen-Shannon distance otherwise, drifted at 0.1. PSI is shown for every input (0.2 and above is a large shift).</p>\n</body></html>\n");
        var path = Path.Combine(directory, "index.html");
        File.WriteAllText(path, h.ToString(), new UTF8Encoding(false));
        return path;
    }
}
