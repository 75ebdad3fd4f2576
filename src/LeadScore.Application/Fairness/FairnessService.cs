using System.Text.Json;
using System.Text.Json.Serialization;
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
public sealed class FairnessService(ISettingsStore settings, TimeProvider time)
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

    /// <summary>Declares the attributes; refuses contradictions (an attribute both sensitive and watched, mitigation on a non-sensitive one).</summary>
    public async Task<FairnessConfiguration> SetAsync(FairnessSettings value, CancellationToken ct = default)
    {
        var clean = value with
        {
            Sensitive = Clean(value.Sensitive),
            Watch = Clean(value.Watch),
            Mitigate = string.IsNullOrWhiteSpace(value.Mitigate) ? null : value.Mitigate.Trim(),
        };
        if (clean.Problem() is { } problem)
            throw new LeadScoreException(problem, problem.Contains("group size", StringComparison.Ordinal) ? "min_group_size" : problem.Contains("mitigation", StringComparison.Ordinal) ? "mitigate" : "watch");
        await settings.SaveSettingAsync(SettingName, JsonSerializer.Serialize(clean, Json), time.GetUtcNow(), ct);
        return await GetAsync(ct);
    }

    private static string[] Clean(IReadOnlyList<string> names) =>
        names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
}
