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

    public FairnessOptions Options => FairnessOptions.Default with { MinGroupSize = MinGroupSize };

    /// <summary>What is wrong with these settings, or null: unknown names are allowed (the data may come later), contradictions are not.</summary>
    public string? Problem()
    {
        if (MinGroupSize < 1) return "the minimum group size must be at least 1";
        var both = Sensitive.Intersect(Watch, StringComparer.Ordinal).FirstOrDefault();
        if (both is not null) return $"'{both}' cannot be both sensitive and watched";
        if (Mitigate is not null && !Sensitive.Contains(Mitigate, StringComparer.Ordinal)) return $"mitigation needs a sensitive attribute; '{Mitigate}' is not declared sensitive";
        return null;
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
