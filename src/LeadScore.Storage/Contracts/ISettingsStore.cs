namespace LeadScore.Storage;

/// <summary>
/// Settings every instance must share, versioned: feature definitions, the imported lead schema,
/// the enrichment data version. Each save increments the setting's version, so instances notice a change
/// by polling <see cref="GetSettingVersionAsync"/>.
/// </summary>
public interface ISettingsStore
{
    /// <summary>The setting, or null when never saved.</summary>
    Task<StoredSetting?> GetSettingAsync(string name, CancellationToken ct = default);

    /// <summary>Saves a new value and returns the new version (1 for the first save).</summary>
    Task<long> SaveSettingAsync(string name, string value, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>
    /// Compare-and-set: saves <paramref name="value"/> only if the setting's version is still <paramref name="expectedVersion"/>
    /// (0 = never saved). Returns the new version, or null when another writer saved in between (nothing is written then).
    /// </summary>
    Task<long?> TrySaveSettingAsync(string name, string value, long expectedVersion, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>The setting's version, 0 when never saved. Cheap: instances poll it.</summary>
    Task<long> GetSettingVersionAsync(string name, CancellationToken ct = default);
}

/// <summary>One shared setting: its value (JSON text), version and when it was last saved.</summary>
public sealed record StoredSetting(string Name, string Value, long Version, DateTimeOffset UpdatedAt);

/// <summary>Names of the shared settings.</summary>
public static class SettingNames
{
    /// <summary>The workspace's feature definitions (JSON, the format of features.json).</summary>
    public const string FeatureDefinitions = "features:definitions";
    /// <summary>The union of imported lead column schemas (JSON array of ColumnSchema).</summary>
    public const string LeadSchema = "ingestion:lead-schema";
    /// <summary>Bumped on every enrichment import, so instances refresh their enrichment snapshot.</summary>
    public const string EnrichmentVersion = "enrichment:version";
    /// <summary>The grade-band override for every served model (JSON), or "null" once removed; absent = each model's own bands.</summary>
    public const string GradeBands = "scoring:grade-bands";
    /// <summary>Bumped by every import that stored something and every retention run that deleted something: training sets built before are stale.</summary>
    public const string DataVersion = "data:version";
    /// <summary>What the stored training set (feature snapshot features:training) was built from, and its counts (JSON).</summary>
    public const string TrainingSetBuild = "features:training-build";
    /// <summary>Display names and value labels from the import mappings (JSON: values, display_names); presentation only.</summary>
    public const string Labels = "presentation:labels";
}
