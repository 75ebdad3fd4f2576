using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// How features and their values are shown to people: display names of columns ("TrafficType" -> "Traffic type") and
/// labels of coded values ("Region" 1 -> "North"), declared in the import mapping (<c>display_names</c>, <c>labels</c>).
/// Presentation only: a label never changes a feature, a row or a model, so labels can change without retraining.
/// Immutable.
/// </summary>
/// <remarks>
/// Keys are column names (after renaming) or feature names. A label applies to the feature named by its key, and to the
/// features derived from that column (<c>{column}_{date part}</c>) for display names. Built-in features get built-in
/// labels: weekday names for <c>created_day_of_week</c> and <c>*_day_of_week</c> (0 = Sunday), month names for
/// <c>*_month</c>; a label declared for them wins.
/// </remarks>
public sealed record FeatureLabels
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> NoValues = new Dictionary<string, IReadOnlyDictionary<string, string>>();
    private static readonly IReadOnlyDictionary<string, string> NoNames = new Dictionary<string, string>();

    /// <summary>Column (or feature) name to (value as written in the data -> label).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Values { get; init; } = NoValues;
    /// <summary>Column (or feature) name to the name people read.</summary>
    public IReadOnlyDictionary<string, string> DisplayNames { get; init; } = NoNames;

    /// <summary>No declared labels: the built-in ones and humanised names only.</summary>
    public static FeatureLabels None { get; } = new();

    /// <summary>The labels a mapping declares, keyed by renamed column name.</summary>
    public static FeatureLabels FromMapping(Ingestion.ImportMapping? mapping)
    {
        if (mapping is null || (mapping.Labels.Count == 0 && mapping.DisplayNames.Count == 0)) return None;
        var values = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (column, labels) in mapping.Labels)
            values[mapping.Canonical(column)] = labels.ToDictionary(kv => kv.Key.Trim(), kv => kv.Value.Trim(), StringComparer.Ordinal);
        return new FeatureLabels
        {
            Values = values,
            DisplayNames = mapping.DisplayNames.ToDictionary(kv => mapping.Canonical(kv.Key), kv => kv.Value.Trim(), StringComparer.Ordinal),
        };
    }

    [JsonIgnore]
    public bool IsEmpty => Values.Count == 0 && DisplayNames.Count == 0;

    private static readonly string[] Weekdays = CultureInfo.InvariantCulture.DateTimeFormat.DayNames; // Sunday first, like DayOfWeek
    private static readonly string[] Months = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames;
    private static readonly string[] DateParts = ["days_before", "month", "day_of_week", "hour"];

    /// <summary>These labels with <paramref name="fallback"/>'s for every key these do not declare (a value's label, a column's name).</summary>
    public FeatureLabels Over(FeatureLabels? fallback)
    {
        if (fallback is null || fallback.IsEmpty) return this;
        if (IsEmpty) return fallback;
        var values = fallback.Values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (column, labels) in Values)
        {
            if (!values.TryGetValue(column, out var old)) { values[column] = labels; continue; }
            var merged = old.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            foreach (var (v, l) in labels) merged[v] = l;
            values[column] = merged;
        }
        var names = fallback.DisplayNames.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (k, v) in DisplayNames) names[k] = v;
        return new FeatureLabels { Values = values, DisplayNames = names };
    }

    /// <summary>The name of a column or feature as people read it: its display name, else humanised (<see cref="Humanize"/>).</summary>
    public string Title(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (DisplayNames.TryGetValue(name, out var shown)) return shown;
        if (DerivedFrom(name) is var (column, part) && DisplayNames.TryGetValue(column, out var col)) return $"{col} {Humanize(part).ToLowerInvariant()}";
        return Humanize(name);
    }

    /// <summary>The label of a feature's value, or null when it has none (the value is then shown as it is).</summary>
    public string? Label(string feature, FeatureValue value)
    {
        ArgumentNullException.ThrowIfNull(feature);
        if (value.IsMissing) return null;
        var text = value.Category ?? ValueText(value.Number);
        return Label(feature, text);
    }

    /// <summary>The label of a value written as text (a group's value, a stored reason's value), or null.</summary>
    public string? Label(string feature, string? text)
    {
        if (text is null) return null;
        if (Values.TryGetValue(feature, out var labels))
        {
            if (labels.TryGetValue(text, out var l)) return l;
            // "1.0" in a file and 1 as a number are the same code.
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && labels.TryGetValue(ValueText(x), out l)) return l;
        }
        return BuiltIn(feature, text);
    }

    /// <summary>
    /// The sentence of a reason for <paramref name="feature"/> with <paramref name="value"/>: "Region: North" when the value
    /// has a label, else the feature's own wording with its display name.
    /// </summary>
    public string Sentence(FeatureInfo feature, FeatureValue value)
    {
        ArgumentNullException.ThrowIfNull(feature);
        return Sentence(Prepare(feature), value);
    }

    /// <summary>
    /// What <see cref="Sentence(FeatureInfo, FeatureValue)"/> works out from the feature alone (its title and its phrase under
    /// the display name), done once per feature: a scoring engine prepares its features at load, so a request's ten reasons
    /// do not humanise names and rewrite phrases again (the labels are immutable, so the result cannot go stale).
    /// </summary>
    public PreparedFeature Prepare(FeatureInfo feature)
    {
        ArgumentNullException.ThrowIfNull(feature);
        return new PreparedFeature(feature.Name, Title(feature.Name), Retitled(feature));
    }

    /// <summary>The sentence of a reason for a feature prepared by <see cref="Prepare"/> of these labels.</summary>
    public string Sentence(PreparedFeature feature, FeatureValue value)
    {
        ArgumentNullException.ThrowIfNull(feature);
        if (Label(feature.Name, value) is { } label) return $"{feature.Title}: {label}";
        return ReasonWording.Sentence(feature.Retitled, feature.Title, value);
    }

    /// <summary>The feature with its phrase starting with its display name instead of its humanised column name.</summary>
    private FeatureInfo Retitled(FeatureInfo feature)
    {
        if (feature.Phrase is not { } phrase || DisplayNames.Count == 0) return feature;
        var column = DisplayNames.ContainsKey(feature.Name) ? feature.Name : DerivedFrom(feature.Name)?.Column;
        if (column is null || !DisplayNames.TryGetValue(column, out var shown)) return feature;
        foreach (var old in new[] { Features.FeatureComputer.PhraseTitle(column), Humanize(column) })
            if (phrase.StartsWith(old, StringComparison.Ordinal)) return feature with { Phrase = shown + phrase[old.Length..] };
        return feature;
    }

    /// <summary>A date column's derived feature (<c>signup_date_month</c> -> (<c>signup_date</c>, <c>month</c>)) whose column has a display name.</summary>
    private (string Column, string Part)? DerivedFrom(string feature)
    {
        foreach (var part in DateParts)
        {
            if (feature.Length <= part.Length + 1 || !feature.EndsWith("_" + part, StringComparison.Ordinal)) continue;
            var column = feature[..^(part.Length + 1)];
            if (DisplayNames.ContainsKey(column)) return (column, part);
        }
        return null;
    }

    private static string? BuiltIn(string feature, string text)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) return null;
        if (feature.EndsWith("day_of_week", StringComparison.Ordinal)) return n is >= 0 and <= 6 ? Weekdays[n] : null;
        if (feature.EndsWith("_month", StringComparison.Ordinal)) return n is >= 1 and <= 12 ? Months[n - 1] : null;
        return null;
    }

    /// <summary>A number as a code is written: integers without decimals ("1", not "1.0").</summary>
    public static string ValueText(double x) => ReasonWording.Format(x, ReasonWording.NumberStyle.Plain);

    /// <summary>A column name as a phrase (<see cref="Ingestion.ColumnNames.Humanize"/>): <c>TrafficType</c> -> "Traffic type".</summary>
    public static string Humanize(string name) => Ingestion.ColumnNames.Humanize(name);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>As stored (the artifact's <c>labels.json</c>, the shared setting): <c>{ "values": {...}, "display_names": {...} }</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Stored(
        Values.ToDictionary(kv => kv.Key, kv => kv.Value.ToDictionary(x => x.Key, x => x.Value, StringComparer.Ordinal), StringComparer.Ordinal),
        DisplayNames.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal)), Json);

    public static FeatureLabels FromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return None;
        var s = JsonSerializer.Deserialize<Stored>(json, Json);
        if (s is null) return None;
        return new FeatureLabels
        {
            Values = (s.Values ?? []).ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, string>)kv.Value, StringComparer.Ordinal),
            DisplayNames = s.DisplayNames ?? [],
        };
    }

    private sealed record Stored(Dictionary<string, Dictionary<string, string>>? Values, Dictionary<string, string>? DisplayNames);
}

/// <summary>A feature's title and its phrase under its display name, as <see cref="FeatureLabels.Prepare"/> worked them out.</summary>
public sealed record PreparedFeature(string Name, string Title, FeatureInfo Retitled);

