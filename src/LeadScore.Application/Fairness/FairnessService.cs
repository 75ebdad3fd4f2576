using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Application.Governance;
using LeadScore.Application.Ingestion;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Storage;

namespace LeadScore.Application.Fairness;

/// <summary>
/// The workspace's fairness attributes: what is declared, what the schema suggests, and what training uses.
/// </summary>
/// <param name="Effective">What training uses: the declaration, or the suggestion while nothing is declared.</param>
/// <param name="Declared">True once someone has set the attributes (even to none).</param>
/// <param name="Suggested">What the imported lead schema suggests by column name.</param>
/// <param name="Version">The setting's version (0 = never saved).</param>
public sealed record FairnessConfiguration(FairnessSettings Effective, bool Declared, FairnessSettings Suggested, long Version)
{
    /// <summary>Where the effective attributes come from, as the model card says it.</summary>
    public string Source => Declared ? "declared in settings" : "suggested from the schema (not confirmed: run 'leadscore fairness set' to confirm or change)";
}

/// <summary>
/// Reads and changes the fairness settings (a shared, versioned setting, so every instance trains with the same ones).
/// Until something is declared, the suggestion from the schema is used: every model then gets fairness figures from its
/// first training, marked as coming from a suggestion; mitigation is never switched on by a suggestion.
/// </summary>
public sealed class FairnessService(ISettingsStore settings, TimeProvider time, AuditLog? audit = null)
{
    /// <summary>The setting's name in the shared settings table.</summary>
    public const string SettingName = "fairness:settings";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public async Task<FairnessConfiguration> GetAsync(CancellationToken ct = default)
    {
        var suggested = FairnessDefaults.Suggest(await LeadSchema.GetAsync(settings, ct));
        var stored = await settings.GetSettingAsync(SettingName, ct);
        if (stored is null) return new FairnessConfiguration(suggested with { Mitigate = null }, false, suggested, 0);
        var declared = JsonSerializer.Deserialize<FairnessSettings>(stored.Value, Json) ?? new FairnessSettings();
        return new FairnessConfiguration(declared, true, suggested, stored.Version);
    }

    /// <summary>
    /// Declares the attributes; refuses contradictions (an attribute both sensitive and watched, mitigation on a non-sensitive
    /// one), names longer than <see cref="FairnessSettings.MaxNameLength"/>, and, once a lead schema has been imported, names
    /// that are not its columns (the error lists the valid ones and the nearest match). Before any import there is nothing
    /// to check names against, so they are kept as given.
    /// </summary>
    public async Task<FairnessConfiguration> SetAsync(FairnessSettings value, CancellationToken ct = default)
    {
        var clean = value with
        {
            Sensitive = Clean(value.Sensitive),
            Watch = Clean(value.Watch),
            Mitigate = string.IsNullOrWhiteSpace(value.Mitigate) ? null : value.Mitigate.Trim(),
        };
        if (clean.Problem() is { } problem) throw new LeadScoreException(problem, FieldOf(problem, clean));
        var columns = (await LeadSchema.GetAsync(settings, ct)).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        if (columns.Count > 0 && clean.UnknownAttribute(columns, out var field) is { } unknown) throw new LeadScoreException(unknown, field);
        await settings.SaveSettingAsync(SettingName, JsonSerializer.Serialize(clean, Json), time.GetUtcNow(), ct);
        var saved = await GetAsync(ct);
        if (audit is not null)
            await audit.RecordAsync(AuditActions.SettingChange, AuditTargets.Setting, SettingName, new Dictionary<string, object?>
            {
                ["sensitive"] = clean.Sensitive, ["watch"] = clean.Watch, ["min_group_size"] = clean.MinGroupSize, ["mitigate"] = clean.Mitigate,
                ["ratio_threshold"] = clean.RatioThreshold, ["gap_threshold"] = clean.GapThreshold,
            }, ct: ct);
        return saved;
    }

    /// <summary>The request field a problem is about (the API's ProblemDetails and the CLI's option name it).</summary>
    private static string FieldOf(string problem, FairnessSettings s)
    {
        if (problem.Contains("group size", StringComparison.Ordinal)) return "min_group_size";
        if (problem.Contains("ratio threshold", StringComparison.Ordinal)) return "ratio_threshold";
        if (problem.Contains("gap threshold", StringComparison.Ordinal)) return "gap_threshold";
        if (problem.Contains("mitigation", StringComparison.Ordinal)) return "mitigate";
        if (problem.StartsWith("attribute name", StringComparison.Ordinal))
            return s.Sensitive.Any(n => n.Length > FairnessSettings.MaxNameLength) ? "sensitive" : s.Watch.Any(n => n.Length > FairnessSettings.MaxNameLength) ? "watch" : "mitigate";
        return "watch";
    }

    private static string[] Clean(IReadOnlyList<string> names) =>
        names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
}
