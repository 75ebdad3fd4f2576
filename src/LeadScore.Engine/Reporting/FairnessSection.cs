using System.Globalization;
using System.Text;
using LeadScore.Engine.Fairness;
using static System.Net.WebUtility;

namespace LeadScore.Engine.Reporting;

/// <summary>The report's "Fair across groups?" section: the flags in one sentence each, then one table per attribute.</summary>
internal static class FairnessSection
{
    public static void Append(StringBuilder h, FairnessReport? f, Scoring.FeatureLabels? labels = null)
    {
        if (f is null) return;
        labels ??= Scoring.FeatureLabels.None;
        string Group(string attribute, string group) => labels.Label(attribute, group) is { } l ? $"{HtmlEncode(l)} <span class=\"note\">{HtmlEncode(group)}</span>" : HtmlEncode(group);
        var inv = CultureInfo.InvariantCulture;
        string P(double? v) => v is { } x ? (x * 100).ToString("0.0", inv) + "%" : "too few";
        string N(double? v) => v is { } x ? x.ToString("0.00", inv) : "&ndash;";
        h.Append("<h2 id=\"fairness\">Fair across groups?</h2>\n");
        h.Append(inv, $"<p>For each attribute below ({HtmlEncode(f.AttributesFrom)}), how often leads of each group were <b>graded A or B</b> (the leads a seller calls), " +
                      $"and how that matches what happened. Groups with fewer than {f.MinGroupSize} leads behind a figure are shown as <i>too few</i>. " +
                      $"A group is flagged when its A/B share is under {f.RatioLimit:0.##} of the best group's (the 80% rule) and the gap is beyond chance for its size.</p>\n");
        if (f.Flags.Count == 0) h.Append("<p id=\"fairness-flags\">Nothing flagged.</p>\n");
        else
        {
            h.Append("<ul id=\"fairness-flags\">\n");
            foreach (var flag in f.Flags) h.Append($"<li>{HtmlEncode(flag)}</li>\n");
            h.Append("</ul>\n");
        }
        if (f.DirectUse.Count > 0)
            h.Append($"<p class=\"note\">The model uses {HtmlEncode(string.Join(", ", f.DirectUse))} directly as a feature.</p>\n");
        foreach (var a in f.Attributes)
        {
            var shown = labels.Title(a.Attribute);
            h.Append(inv, $"<h3>{HtmlEncode(shown)}{(shown == a.Attribute ? "" : $" ({HtmlEncode(a.Attribute)})")} <span class=\"note\">({(a.Role == FairnessRole.Sensitive ? "sensitive" : "watched as a possible proxy")}; lowest ratio {N(a.LowestRatio)}, equalized-odds difference {N(a.EqualizedOddsDifference)})</span></h3>\n");
            h.Append($"<table class=\"fairness\" id=\"fairness-{HtmlEncode(a.Attribute)}\"><tr><th>Group</th><th>Leads</th><th>Graded A or B</th><th>Ratio to best</th><th>True positive rate</th><th>False positive rate</th><th>Average prediction</th><th>Actual rate</th><th>ECE</th><th></th></tr>\n");
            foreach (var g in a.Groups)
            {
                var mark = g.Flagged ? "flagged" : g.BelowRatio ? "below 0.8, within chance" : g.Group == a.BestGroup ? "best" : "";
                h.Append(inv, $"<tr><td>{Group(a.Attribute, g.Group)}</td><td class=\"num\">{g.Rows:N0}</td><td class=\"num\">{P(g.AbShare)}</td><td class=\"num\">{N(g.AbRatio)}</td><td class=\"num\">{P(g.Tpr)}</td><td class=\"num\">{P(g.Fpr)}</td><td class=\"num\">{P(g.MeanPredicted)}</td><td class=\"num\">{P(g.ObservedRate)}</td><td class=\"num\">{(g.Ece is { } e ? e.ToString("0.000", inv) : "&ndash;")}</td><td>{mark}</td></tr>\n");
            }
            h.Append("</table>\n");
        }
        if (f.Proxies.Count > 0)
        {
            h.Append(inv, $"<h3>Possible proxies</h3><p>How strongly each feature goes with a sensitive attribute (Cramér's V, bias-corrected, for categories; the correlation ratio for numbers); above {f.ProxyLimit:0.0#} the feature is named.</p>\n");
            h.Append("<table id=\"fairness-proxies\"><tr><th>Feature</th><th>Attribute</th><th>Measure</th><th>Value</th></tr>\n");
            foreach (var p in f.Proxies)
                h.Append(inv, $"<tr><td>{HtmlEncode(p.Feature)}</td><td>{HtmlEncode(p.Attribute)}</td><td>{(p.Measure == ProxyAssociation.CramersV ? "Cramér's V" : "correlation ratio")}</td><td class=\"num\">{p.Value:0.00}{(p.Alert ? " (alert)" : "")}</td></tr>\n");
            h.Append("</table>\n");
        }
        foreach (var m in f.Mitigation)
        {
            h.Append(inv, $"<p class=\"note\" id=\"mitigation-{HtmlEncode(m.Attribute)}\">Group-aware grade thresholds for {HtmlEncode(m.Attribute)} ({(m.Applied ? "<b>applied by this model</b>" : "not applied; turn on with <code>leadscore fairness set --mitigate " + HtmlEncode(m.Attribute) + "</code> and retrain")}): " +
                          $"lowest 80%-rule ratio {N(m.LowestRatioBefore)} &rarr; {N(m.LowestRatioAfter)}; AUC of the grades {N(m.GradeAucBefore)} &rarr; {N(m.GradeAucAfter)} (the probabilities' AUC, {N(m.ProbabilityAuc)}, does not change).</p>\n");
        }
    }
}
