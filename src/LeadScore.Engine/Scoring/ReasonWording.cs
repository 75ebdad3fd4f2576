using System.Globalization;
using LeadScore.Core;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// Turns a feature and its value into the sentence a seller reads: days as whole days ("today",
/// "yesterday", "6 days ago"), counts as integers with singular nouns ("1 meeting"), scores with one
/// decimal, rates as percentages, booleans as yes/no. The feature's phrase gives the sentence; its
/// name and description say what kind of number it holds.
/// </summary>
public static class ReasonWording
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Value = "{value}";

    // Plural nouns that follow a count in the phrases of FeatureComputer, with their singular.
    private static readonly Dictionary<string, string> Singular = new(StringComparer.Ordinal)
    {
        ["times"] = "time", ["pages"] = "page", ["emails"] = "email", ["interactions"] = "interaction", ["forms"] = "form",
        ["meetings"] = "meeting", ["resources"] = "resource", ["seconds"] = "second", ["minutes"] = "minute", ["days"] = "day",
        ["employees"] = "employee", ["links"] = "link", ["calls"] = "call", ["events"] = "event", ["technologies"] = "technology",
        ["visits"] = "visit", ["points"] = "point", ["units"] = "unit",
    };

    /// <summary>How a feature's number reads.</summary>
    public enum NumberStyle { Plain, Count, Days, Score, Rate, Change, YesNo }

    /// <summary>The style of a numeric feature, from its name and description.</summary>
    public static NumberStyle StyleOf(FeatureInfo feature)
    {
        ArgumentNullException.ThrowIfNull(feature);
        var n = feature.Name;
        if (n.StartsWith("days_since", StringComparison.Ordinal) || n.EndsWith("_days", StringComparison.Ordinal) || n.EndsWith("_days_before", StringComparison.Ordinal)) return NumberStyle.Days;
        if (n.EndsWith("_rate", StringComparison.Ordinal)) return NumberStyle.Rate;
        if (n.StartsWith("tech_", StringComparison.Ordinal) || feature.Description.EndsWith("(boolean)", StringComparison.Ordinal)
            || feature.Description.Contains("(yes = 1, no = 0)", StringComparison.Ordinal) || feature.Description.StartsWith("1 when ", StringComparison.Ordinal)) return NumberStyle.YesNo;
        if (n.EndsWith("_change", StringComparison.Ordinal)) return NumberStyle.Change;
        if (n.StartsWith("count_", StringComparison.Ordinal) || n.StartsWith("visits_", StringComparison.Ordinal) || n is "activity_count" or "active_days_30d"
            or "technology_count" or "company_employees") return NumberStyle.Count;
        // Time spent ("1,234 seconds of page view") reads as whole units; other sums keep one decimal.
        if (n.StartsWith("sum_", StringComparison.Ordinal)
            && (feature.Description.Contains("(seconds)", StringComparison.Ordinal) || feature.Description.Contains("(minutes)", StringComparison.Ordinal)))
            return NumberStyle.Count;
        if (n.EndsWith("_score", StringComparison.Ordinal) || n is "events_per_week" or "pages_per_session" || n.StartsWith("sum_", StringComparison.Ordinal)) return NumberStyle.Score;
        return NumberStyle.Plain;
    }

    /// <summary>The sentence for one feature value. <paramref name="title"/> names the feature when it has no phrase.</summary>
    public static string Sentence(FeatureInfo feature, string title, FeatureValue value)
    {
        ArgumentNullException.ThrowIfNull(feature);
        var phrase = feature.Phrase;
        if (value.IsMissing) return Missing(feature, title);
        if (value.Category is not null) return phrase is null ? $"{title}: {value}" : phrase.Replace(Value, value.ToString(), StringComparison.Ordinal);
        var x = value.Number;
        var style = StyleOf(feature);
        // "{value} seconds of Page view in the last 7 days": the activity type is mid-sentence.
        if (feature.Name.StartsWith("sum_", StringComparison.Ordinal) && phrase is not null && phrase.IndexOf(" of ", StringComparison.Ordinal) is var of and > 0)
            phrase = phrase[..(of + 4)] + Lower(phrase[(of + 4)..]);
        if (phrase is null)
        {
            return style switch
            {
                NumberStyle.YesNo => $"{title}: {(x != 0 ? "yes" : "no")}",
                NumberStyle.Days => $"{title}: {Format(x, style)} {(Math.Floor(x) == 1 ? "day" : "days")}",
                _ => $"{title}: {Format(x, style)}",
            };
        }
        switch (style)
        {
            case NumberStyle.Days when phrase.Contains(Value + " days ago", StringComparison.Ordinal):
                // "Last Social share ..." reads as "Last social share ...".
                var days = phrase.StartsWith("Last ", StringComparison.Ordinal) ? "Last " + Lower(phrase[5..]) : phrase;
                return days.Replace(Value + " days ago", Days(x), StringComparison.Ordinal);
            case NumberStyle.YesNo when phrase.EndsWith(": " + Value, StringComparison.Ordinal):
                // "Company uses HubSpot: {value}" reads as a statement either way; other flags as "Budget: yes".
                var statement = phrase[..^(Value.Length + 2)];
                if (Negate(statement) is { } negated) return x != 0 ? statement : negated;
                return $"{statement}: {(x != 0 ? "yes" : "no")}";
            case NumberStyle.Count:
                var count = Math.Round(x, MidpointRounding.AwayFromZero);
                var text = phrase.Replace(Value, count.ToString("#,0", Inv), StringComparison.Ordinal);
                return count == 1 ? Singularize(text, phrase) : text;
            default:
                return phrase.Replace(Value, Format(x, style), StringComparison.Ordinal);
        }
    }

    /// <summary>Whole days: "today", "yesterday", "6 days ago" (days since an event, rounded down like a calendar).</summary>
    public static string Days(double days)
    {
        if (days < 0) return "in the future";
        var d = Math.Floor(days);
        return d switch
        {
            0 => "today",
            1 => "yesterday",
            _ => $"{d.ToString("#,0", Inv)} days ago",
        };
    }

    /// <summary>A number in a style: counts as integers, scores with one decimal, rates as percentages, changes with a sign.</summary>
    public static string Format(double x, NumberStyle style) => style switch
    {
        NumberStyle.Count => Math.Round(x, MidpointRounding.AwayFromZero).ToString("#,0", Inv),
        NumberStyle.Score => x.ToString("#,0.#", Inv),
        NumberStyle.Rate => (x <= 1.0 ? x * 100 : x).ToString("0", Inv) + "%",
        NumberStyle.Change => (x > 0 ? "+" : "") + x.ToString("#,0.#", Inv),
        NumberStyle.YesNo => x != 0 ? "yes" : "no",
        NumberStyle.Days => Math.Floor(x).ToString("#,0", Inv),
        // Raw attributes (a flat table's columns): integers stay integers, others get up to 2 decimals. No
        // digit grouping: such a column may hold a year or a code ("2024", not "2,024").
        _ => x == Math.Floor(x) && Math.Abs(x) < 1e15 ? x.ToString("0", Inv) : x.ToString(Math.Abs(x) >= 100 ? "0.#" : "0.##", Inv),
    };

    private static string Missing(FeatureInfo feature, string title)
    {
        var phrase = feature.Phrase;
        // "Last meeting {value} days ago" with no meeting yet: "No meeting yet"; "Last visited pricing {value} days ago": "Never visited pricing".
        if (phrase is not null && phrase.EndsWith(" " + Value + " days ago", StringComparison.Ordinal))
        {
            var what = phrase[..^(Value.Length + 10)];
            if (what.StartsWith("Last visited ", StringComparison.Ordinal)) return "Never visited " + what["Last visited ".Length..];
            if (what.StartsWith("Last ", StringComparison.Ordinal)) return $"No {Lower(what["Last ".Length..])} yet";
        }
        return feature.Name switch
        {
            "email_open_rate" or "email_click_rate" => "No emails sent yet",
            _ => $"{title} not known",
        };
    }

    private static string? Negate(string statement)
    {
        if (statement.StartsWith("Uses ", StringComparison.Ordinal)) return "Does not use " + statement[5..];
        var i = statement.IndexOf(" uses ", StringComparison.Ordinal);
        return i >= 0 ? statement[..i] + " does not use " + statement[(i + 6)..] : null;
    }

    // Singularizes the first known plural noun within two words after the number: "1 sales calls" -> "1 sales call".
    private static string Singularize(string text, string phrase)
    {
        var at = phrase.IndexOf(Value, StringComparison.Ordinal);
        var start = at + 1 + 1; // "1" takes one character in text at the same position.
        if (at < 0 || start > text.Length) return text;
        var words = text[start..].Split(' ');
        for (var w = 0; w < Math.Min(2, words.Length); w++)
        {
            if (!Singular.TryGetValue(words[w], out var one)) continue;
            words[w] = one;
            return text[..start] + string.Join(' ', words);
        }
        return text;
    }

    private static string Lower(string s) => s.Length > 1 && char.IsUpper(s[0]) && !char.IsUpper(s[1]) ? char.ToLowerInvariant(s[0]) + s[1..] : s;
}
