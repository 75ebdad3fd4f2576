using LeadScore.Core;

namespace LeadScore.Engine.Fairness;

/// <summary>
/// The attributes a workspace declares for fairness (a shared setting): sensitive ones, ones watched as possible proxies,
/// the minimum group size, and the attribute whose group-aware grade thresholds are applied (null = mitigation off).
/// </summary>
public sealed record FairnessSettings
{
    public IReadOnlyList<string> Sensitive { get; init; } = [];
    public IReadOnlyList<string> Watch { get; init; } = [];
    public int MinGroupSize { get; init; } = FairnessOptions.Default.MinGroupSize;
    /// <summary>Apply group-aware grade thresholds for this sensitive attribute in models trained from now on; null = off (the default).</summary>
    public string? Mitigate { get; init; }
    /// <summary>The 80% rule's ratio: a group whose A/B share is below this ratio of the best group's is below the rule (monitoring alerts, the gate).</summary>
    public double RatioThreshold { get; init; } = FairnessOptions.Default.RatioLimit;
    /// <summary>A TPR or FPR gap to the best group above this is an equalized-odds alert in monitoring.</summary>
    public double GapThreshold { get; init; } = FairnessOptions.Default.OddsGapLimit;

    /// <summary>The longest attribute name accepted (column names are short; a longer one is a mistake or an attack on the settings row).</summary>
    public const int MaxNameLength = 100;

    public FairnessOptions Options => FairnessOptions.Default with { MinGroupSize = MinGroupSize, RatioLimit = RatioThreshold, OddsGapLimit = GapThreshold };

    /// <summary>What is wrong with these settings, or null: contradictions, names too long, thresholds out of range.</summary>
    public string? Problem()
    {
        if (MinGroupSize < 1) return "the minimum group size must be at least 1";
        if (!(RatioThreshold > 0 && RatioThreshold <= 1)) return "the ratio threshold must be above 0 and at most 1";
        if (!(GapThreshold > 0 && GapThreshold <= 1)) return "the gap threshold must be above 0 and at most 1";
        var tooLong = Sensitive.Concat(Watch).Concat(Mitigate is null ? [] : [Mitigate]).FirstOrDefault(n => n.Length > MaxNameLength);
        if (tooLong is not null) return $"attribute name '{tooLong[..20]}...' is {tooLong.Length} characters long; at most {MaxNameLength}";
        var both = Sensitive.Intersect(Watch, StringComparer.Ordinal).FirstOrDefault();
        if (both is not null) return $"'{both}' cannot be both sensitive and watched";
        if (Mitigate is not null && !Sensitive.Contains(Mitigate, StringComparer.Ordinal)) return $"mitigation needs a sensitive attribute; '{Mitigate}' is not declared sensitive";
        return null;
    }

    /// <summary>
    /// The first declared attribute that is not one of <paramref name="columns"/> (the current lead schema), with the valid
    /// names and the nearest one; null when every name is a column.
    /// </summary>
    public string? UnknownAttribute(IReadOnlyCollection<string> columns, out string field)
    {
        field = "sensitive";
        foreach (var (list, name) in new[] { (Sensitive, "sensitive"), (Watch, "watch") })
        {
            foreach (var a in list)
            {
                if (columns.Contains(a)) continue;
                field = name;
                var nearest = columns.OrderBy(c => Distance(a.ToLowerInvariant(), c.ToLowerInvariant())).ThenBy(c => c, StringComparer.Ordinal).FirstOrDefault();
                var hint = nearest is not null && Distance(a.ToLowerInvariant(), nearest.ToLowerInvariant()) <= Math.Max(2, a.Length / 3) ? $"did you mean '{nearest}'? " : "";
                return $"'{a}' is not a column of the imported lead schema; {hint}valid: {string.Join(", ", columns.OrderBy(c => c, StringComparer.Ordinal))}";
            }
        }
        return null;
    }

    /// <summary>Levenshtein distance (names are short: the quadratic table is fine).</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}

/// <summary>Suggests fairness attributes from a lead schema by name: the usual sensitive attributes and the usual proxies.</summary>
public static class FairnessDefaults
{
    /// <summary>Column names read as sensitive (after lower-casing and removing spaces, dashes and underscores).</summary>
    public static readonly IReadOnlyList<string> SensitiveNames =
        ["country", "region", "state", "language", "locale", "ageband", "agegroup", "agerange", "age", "gender", "sex", "ethnicity", "race", "religion", "nationality"];

    /// <summary>Column names watched as possible proxies.</summary>
    public static readonly IReadOnlyList<string> WatchNames = ["companysize", "employees", "postcode", "postalcode", "zip", "zipcode", "city"];

    /// <summary>The suggestion for a schema: personal and identifier columns are never suggested.</summary>
    public static FairnessSettings Suggest(IReadOnlyList<ColumnSchema> schema)
    {
        var candidates = schema.Where(c => !c.IsPersonal && c.Kind is ColumnKind.Categorical or ColumnKind.Text or ColumnKind.Numeric).ToArray();
        string Key(string name) => new(name.ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray());
        return new FairnessSettings
        {
            Sensitive = candidates.Where(c => SensitiveNames.Contains(Key(c.Name))).Select(c => c.Name).ToArray(),
            Watch = candidates.Where(c => WatchNames.Contains(Key(c.Name))).Select(c => c.Name).ToArray(),
        };
    }
}
