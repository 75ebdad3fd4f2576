using System.Globalization;
using System.Text;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using static System.Net.WebUtility;

namespace LeadScore.Engine.Reporting;

/// <summary>
/// Writes the evaluation report: one self-contained folder with index.html and PNG plots, in words a
/// sales or marketing person can follow. Every figure comes from held-out leads the model never saw.
/// </summary>
public static class HtmlReport
{
    public static readonly IReadOnlyList<string> PlotFiles = ["grades.png", "gain.png", "roc.png", "pr.png", "calibration.png", "importance.png"];

    /// <summary>The SHAP summary plot, written when the model can be compiled (a freshly trained model carries its training matrix).</summary>
    public const string ShapPlotFile = "shap.png";

    /// <summary>Held-out rows explained for the global SHAP section (exact TreeSHAP; a few thousand rows take well under a second).</summary>
    public const int ShapRows = 2000;

    /// <summary>
    /// Writes index.html and the plots into <paramref name="directory"/>; returns the path of index.html.
    /// Pass <paramref name="compiled"/> when the caller has already compiled the model, to skip compiling it again.
    /// <paramref name="labels"/> name the inputs and their values as people read them (display names, value labels).
    /// </summary>
    public static string Write(string directory, TrainingResult result, CompiledModel? compiled = null, FeatureLabels? labels = null)
    {
        labels ??= FeatureLabels.None;
        // An input as people read it, with its column name beside it when they differ (the name the API and CLI use).
        string Input(string feature)
        {
            var title = labels.Title(feature);
            // "euribor3m" humanised is "Euribor3m": a change of case alone says nothing new.
            return string.Equals(title, feature, StringComparison.OrdinalIgnoreCase) ? HtmlEncode(feature) : $"{HtmlEncode(title)} <span class=\"note\">{HtmlEncode(feature)}</span>";
        }
        string Value(string feature, string value) => labels.Label(feature, value) is { } l ? $"{HtmlEncode(l)} <span class=\"note\">{HtmlEncode(value)}</span>" : HtmlEncode(value);
        Directory.CreateDirectory(directory);
        var m = result.Metrics;
        var card = result.Model.Card;
        ReportPlots.Grades(Path.Combine(directory, "grades.png"), result.GradeRates);
        ReportPlots.Gain(Path.Combine(directory, "gain.png"), result.Curves);
        ReportPlots.Roc(Path.Combine(directory, "roc.png"), result.Curves, m.Auc);
        ReportPlots.PrecisionRecall(Path.Combine(directory, "pr.png"), result.Curves, m.PrAuc, m.BaseRate);
        ReportPlots.Calibration(Path.Combine(directory, "calibration.png"), m.Calibration);
        if (result.Importance.Count > 0) ReportPlots.Importance(Path.Combine(directory, "importance.png"), result.Importance.Select(i => i with { Feature = labels.Title(i.Feature) }).ToList());
        var shap = WriteShap(directory, result, compiled, labels);

        var inv = CultureInfo.InvariantCulture;
        string P(double v) => (v * 100).ToString("0.0", inv) + "%";
        string N(double v, int d = 3) => double.IsNaN(v) ? "n/a" : v.ToString("F" + d, inv);
        var top10 = m.LiftAt(0.1);
        var h = new StringBuilder();
        h.Append($$"""
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>LeadScore model {{HtmlEncode(card.Version)}}</title>
<style>
{{Css}}</style></head><body>
<h1>How good is this lead-scoring model?</h1>
<p class="note">Model {{HtmlEncode(card.Version)}} &middot; {{HtmlEncode(card.Algorithm)}} &middot; trained {{card.CreatedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", inv)}} on {{HtmlEncode(card.DataSource)}} &middot; LeadScore {{HtmlEncode(card.LeadScoreVersion)}}</p>
<div class="lead" id="summary">
<p>The score is the <b>probability that a lead converts</b> within {{HtmlEncode(card.Within)}}.
All figures below were measured on <b>{{m.Rows:N0}} leads the model never saw while learning</b> ({{m.Positives:N0}} of them converted, {{P(m.BaseRate)}}).{{Matured(card)}}</p>
<p>If you call the <b>top 10%</b> of these leads by score, you reach <b>{{P(top10.Gain)}} of all conversions</b>:
{{N(top10.Lift, 1)}} times as many as calling 10% at random. Given one lead that converted and one that did not, the model
gives the higher score to the converting one {{P(m.Auc)}} of the time (AUC {{N(m.Auc)}}; 50% would be guessing).</p>
<p>When the model says "30%", about 30% of such leads really convert: on average its probabilities are off by {{(m.Ece * 100).ToString("F1", inv)}} percentage points (calibration error).</p>
</div>

<h2>Grades</h2>
<p>Each lead gets a grade from its probability. The bands were chosen from the score distribution (about the top 10% are A, the next 20% B, the next 30% C, the rest D) and can be changed.</p>
<table id="grades"><tr><th>Grade</th><th>Probability</th><th>Held-out leads</th><th>Converted</th><th>Conversion rate</th></tr>
""");
        var g = result.Model.Grades;
        var ranges = new Dictionary<string, string>
        {
            ["A"] = $"{P(g.A)} and above", ["B"] = $"{P(g.B)} to {P(g.A)}", ["C"] = $"{P(g.C)} to {P(g.B)}", ["D"] = $"below {P(g.C)}",
        };
        foreach (var r in result.GradeRates)
            h.Append(CultureInfo.InvariantCulture, $"<tr><td>{r.Grade}</td><td>{ranges[r.Grade]}</td><td class=\"num\">{r.Rows:N0}</td><td class=\"num\">{r.Positives:N0}</td><td class=\"num\">{P(r.Rate)}</td></tr>\n");
        h.Append("</table>\n");
        Figure(h, "grades.png", "Conversion rate per grade", "A-grade leads should convert far more often than D-grade leads; if the bars do not fall from A to D, the grades are not useful.");

        h.Append("<h2>Who to call first</h2>\n");
        Figure(h, "gain.png", "Cumulative gain", "Follow the blue line: contacting the best-scored share of leads on the horizontal axis reaches the share of all conversions on the vertical axis. The dashed line is what a random order gives.");
        h.Append("<table id=\"lift\"><tr><th>Top of the list</th><th>Leads</th><th>Conversions reached</th><th>Share of all conversions</th><th>Times better than random</th></tr>\n");
        foreach (var l in m.Lift)
            h.Append(CultureInfo.InvariantCulture, $"<tr><td>top {l.Fraction * 100:0}%</td><td class=\"num\">{l.Rows:N0}</td><td class=\"num\">{l.Positives:N0}</td><td class=\"num\">{P(l.Gain)}</td><td class=\"num\">{N(l.Lift, 2)}</td></tr>\n");
        h.Append("</table>\n");

        h.Append("<h2>Can the probabilities be trusted?</h2>\n");
        Figure(h, "calibration.png", "Calibration curve", "Leads are grouped by predicted probability; each dot compares the average prediction with how many really converted. Dots on the dashed line mean the probabilities can be taken at face value.");

        h.Append("<h2>What drives the score</h2>\n");
        if (result.Importance.Count > 0)
        {
            Figure(h, "importance.png", "Permutation importance", "How much worse the model ranks leads when one input is scrambled. Long bars are what the model relies on most. Categories are counted together under their column.");
            h.Append("<table id=\"importance\"><tr><th>Input</th><th>Drop in AUC when shuffled</th></tr>\n");
            foreach (var x in result.Importance.Take(15))
                h.Append(CultureInfo.InvariantCulture, $"<tr><td>{Input(x.Feature)}</td><td class=\"num\">{x.AucDrop:F4}</td></tr>\n");
            h.Append("</table>\n");
        }
        if (shap is not null)
        {
            Figure(h, ShapPlotFile, "SHAP summary plot", $"Each dot is one held-out lead ({Math.Min(ShapRows, result.Test.Count):N0} shown): how far that input moved the lead's score, in log-odds (right = more likely to convert). Red dots are high values of the input, blue low, grey categories or missing. Inputs are sorted by their average effect.");
            h.Append("<table id=\"shap\"><tr><th>Input</th><th>Mean |SHAP| (log-odds)</th><th>Share of all effects</th></tr>\n");
            var total = Math.Max(1e-12, shap.Sum(x => x.MeanAbsContribution));
            foreach (var x in shap.Where(x => x.MeanAbsContribution > 0).Take(20))
                h.Append(CultureInfo.InvariantCulture, $"<tr><td>{Input(x.Feature)}</td><td class=\"num\">{x.MeanAbsContribution:F4}</td><td class=\"num\">{P(x.MeanAbsContribution / total)}</td></tr>\n");
            h.Append("</table><p class=\"note\">Exact SHAP values (TreeSHAP for tree models) average how much each input moves one lead's score away from the average lead; the same values explain each score as reasons. Permutation importance above instead measures how much ranking quality the model loses without the input.</p>\n");
        }
        h.Append("<p>Inputs used: ").Append(string.Join(", ", card.FeaturesUsed.Select(Input))).Append(".</p>\n");
        if (card.ExcludedFeatures.Count > 0)
        {
            h.Append("<p>Left out on purpose:</p><table id=\"excluded\"><tr><th>Column</th><th>Why</th></tr>\n");
            foreach (var e in card.ExcludedFeatures) h.Append($"<tr><td>{HtmlEncode(e.Feature)}</td><td>{HtmlEncode(e.Reason)}</td></tr>\n");
            h.Append("</table>\n");
        }

        h.Append("<h2>Quality in detail</h2>\n");
        Figure(h, "roc.png", "ROC curve", "The higher the curve above the dashed diagonal, the better the model separates converting from non-converting leads.");
        Figure(h, "pr.png", "Precision and recall", "Moving right finds more of the converting leads (recall) at the cost of more non-converting ones among those flagged (precision).");
        h.Append("<table id=\"metrics\"><tr><th>Measure</th><th>Value</th><th>What it means</th></tr>\n");
        Row(h, "AUC-ROC", N(m.Auc), "Chance a converting lead scores above a non-converting one (0.5 = guessing, 1 = perfect).");
        Row(h, "PR-AUC (average precision)", N(m.PrAuc), $"Precision averaged over all recall levels; compare with the base rate {P(m.BaseRate)}.");
        Row(h, "Log loss", N(m.LogLoss, 4), "Penalty for confident wrong probabilities, natural log (lower is better).");
        Row(h, "Brier score", N(m.Brier, 4), "Mean squared error of the probabilities (lower is better).");
        Row(h, "Calibration error (ECE)", N(m.Ece, 4), "Average gap between predicted and actual conversion rates, 10 bins.");
        Row(h, "Best-F1 threshold", N(m.Threshold, 3), "Probability above which a lead is flagged, chosen to balance precision and recall.");
        Row(h, "Precision at threshold", P(m.Precision), "Share of flagged leads that converted.");
        Row(h, "Recall at threshold", P(m.Recall), "Share of converting leads that were flagged.");
        Row(h, "F1 at threshold", N(m.F1), "Balance of precision and recall.");
        h.Append("</table>\n");
        var c = m.Confusion;
        h.Append(CultureInfo.InvariantCulture, $"""
<table id="confusion"><tr><th>At threshold {N(m.Threshold)}</th><th>Converted</th><th>Did not convert</th></tr>
<tr><th>Flagged</th><td class="num">{c.TruePositives:N0}</td><td class="num">{c.FalsePositives:N0}</td></tr>
<tr><th>Not flagged</th><td class="num">{c.FalseNegatives:N0}</td><td class="num">{c.TrueNegatives:N0}</td></tr></table>

""");
        if (m.Segments.Count > 0)
        {
            h.Append("<h2>By segment</h2><p>The same measures for groups of leads, so you can see where the model is weaker. Small groups are noisy.</p>\n");
            h.Append("<table id=\"segments\"><tr><th>Column</th><th>Value</th><th>Leads</th><th>Converted</th><th>Actual rate</th><th>Average prediction</th><th>AUC</th><th>Brier</th></tr>\n");
            foreach (var s in m.Segments)
                h.Append(CultureInfo.InvariantCulture, $"<tr><td>{Input(s.Feature)}</td><td>{Value(s.Feature, s.Value)}</td><td class=\"num\">{s.Rows:N0}</td><td class=\"num\">{s.Positives:N0}</td><td class=\"num\">{P(s.ConversionRate)}</td><td class=\"num\">{P(s.MeanPredicted)}</td><td class=\"num\">{(s.Auc is { } a ? N(a) : "n/a")}</td><td class=\"num\">{N(s.Brier, 4)}</td></tr>\n");
            h.Append("</table>\n");
        }

        FairnessSection.Append(h, card.Fairness, labels);

        h.Append("<h2>How the model was built</h2>\n<ul>\n");
        h.Append($"<li>Data: {HtmlEncode(card.DataSource)}{(card.DataHash is { } hash ? $" (SHA-256 {HtmlEncode(hash[..Math.Min(16, hash.Length)])}…)" : "")}; {card.RowsTrain:N0} training rows ({card.PositivesTrain:N0} converted), {card.RowsTest:N0} test rows.</li>\n");
        if (card.DataFrom is { } from && card.DataTo is { } to) h.Append(CultureInfo.InvariantCulture, $"<li>Dates: {from:yyyy-MM-dd} to {to:yyyy-MM-dd}.</li>\n");
        h.Append($"<li>Split: {HtmlEncode(card.Split)}.</li>\n");
        h.Append($"<li>Selection: {HtmlEncode(card.Selection)}.</li>\n");
        h.Append($"<li>Probabilities calibrated with {HtmlEncode(card.Calibration)}, fitted on rows the model did not train on.</li>\n");
        h.Append($"<li>Settings: {HtmlEncode(string.Join(", ", card.Hyperparameters.Select(kv => $"{kv.Key}={kv.Value}")))}.</li>\n");
        h.Append(CultureInfo.InvariantCulture, $"<li>Training took {card.TrainSeconds:F1} s; seed {card.Seed}.</li>\n");
        foreach (var n in card.Notes) h.Append($"<li>{HtmlEncode(n)}</li>\n");
        h.Append("</ul>\n");
        if (card.Candidates.Count > 0)
        {
            h.Append("<details><summary>All configurations tried</summary><table id=\"candidates\"><tr><th>Stage</th><th>Algorithm</th><th>Cross-validated AUC</th><th>Seconds</th><th>Settings</th></tr>\n");
            foreach (var cand in card.Candidates)
                h.Append(CultureInfo.InvariantCulture, $"<tr><td>{HtmlEncode(cand.Stage)}</td><td>{HtmlEncode(cand.Algorithm)}</td><td class=\"num\">{N(cand.CvAuc, 4)}</td><td class=\"num\">{cand.Seconds:F1}</td><td>{HtmlEncode(string.Join(", ", cand.Hyperparameters.Select(kv => $"{kv.Key}={kv.Value}")))}</td></tr>\n");
            h.Append("</table></details>\n");
        }
        h.Append("</body></html>\n");
        var path = Path.Combine(directory, "index.html");
        File.WriteAllText(path, h.ToString());
        return path;
    }

    /// <summary>Exact SHAP contributions of a sample of held-out rows: the summary plot, and mean |SHAP| per feature (largest first).</summary>
    private static IReadOnlyList<ShapImportance>? WriteShap(string directory, TrainingResult result, CompiledModel? compiled, FeatureLabels labels)
    {
        var model = result.Model;
        if (compiled is null)
        {
            // A model read back from the registry has no training rows, so no node covers for TreeSHAP: no SHAP section then.
            if (model.TrainingMatrix is not { } matrix || result.Test.Count == 0) return null;
            compiled = CompiledModel.FromMlNet(model.Model, matrix, model.SlotCount);
        }
        var version = string.IsNullOrWhiteSpace(model.Card.Version) ? "report" : model.Card.Version;
        var engine = new ScoringEngine(version, model.Encoder, compiled, model.Calibrator, model.Grades);
        var test = engine.Align(result.Test);
        var sample = test.Count <= ShapRows ? test : test.Subset(Enumerable.Range(0, ShapRows).Select(i => (int)((long)i * test.Count / ShapRows)).ToArray());
        var contributions = engine.FeatureContributions(sample);
        ShapSummaryPlot.WriteShapSummaryPng(Path.Combine(directory, ShapPlotFile), sample.Features, sample.Rows, contributions, title: labels.Title);
        return engine.GlobalImportance(contributions);
    }

    /// <summary>Which rows the figures cover when the labels follow a horizon: only matured ones, and what was left out.</summary>
    private static string Matured(ModelCard card) => card.HorizonDays is not { } hd ? "" : string.Create(CultureInfo.InvariantCulture,
        $"\n<p id=\"horizon\">Horizon: <b>{hd:0.##} days</b>. Only matured rows are trained on and tested: rows whose decision time + {hd:0.##} days is at or before {card.AsOf:yyyy-MM-dd} (the data's end); {card.UnmaturedRows ?? 0:N0} decided rows not yet matured and {card.CensoredRows ?? 0:N0} still-open (censored) decision points were left out.</p>");

    /// <summary>The report pages' style sheet, shared by the evaluation and the monitoring report.</summary>
    internal const string Css = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em} h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.lead{font-size:1.1em;background:#f4f8f4;border-left:4px solid #2e8b57;padding:.8em 1em}
table{border-collapse:collapse;margin:.8em 0} td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left} th{background:#f2f2f2}
td.num{text-align:right} figure{margin:1.2em 0} figcaption{color:#555;max-width:640px} img{max-width:100%;border:1px solid #eee}
.note{color:#666;font-size:.92em}
""";

    internal static void Figure(StringBuilder h, string file, string alt, string caption) =>
        h.Append($"<figure><img src=\"{file}\" alt=\"{HtmlEncode(alt)}\" width=\"640\"><figcaption>{HtmlEncode(caption)}</figcaption></figure>\n");

    private static void Row(StringBuilder h, string name, string value, string meaning) =>
        h.Append($"<tr><td>{HtmlEncode(name)}</td><td class=\"num\">{value}</td><td>{HtmlEncode(meaning)}</td></tr>\n");
}
