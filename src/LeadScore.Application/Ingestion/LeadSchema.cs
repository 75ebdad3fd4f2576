using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Ingestion;

/// <summary>
/// The union of every imported lead column's schema (kind, personal flag), a shared setting: features leave personal
/// columns out whichever instance imported them.
/// </summary>
public static class LeadSchema
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public static async Task<IReadOnlyList<ColumnSchema>> GetAsync(ISettingsStore settings, CancellationToken ct = default)
    {
        var s = await settings.GetSettingAsync(SettingNames.LeadSchema, ct);
        return s is null ? [] : JsonSerializer.Deserialize<List<ColumnSchema>>(s.Value, Json) ?? [];
    }

    /// <summary>Adds or replaces columns; a column once marked personal stays personal. Returns the new version, or null when nothing changed.</summary>
    public static async Task<long?> MergeAsync(ISettingsStore settings, IReadOnlyList<ColumnSchema> schema, DateTimeOffset now, CancellationToken ct = default)
    {
        var merged = (await GetAsync(settings, ct)).ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var s in schema)
            merged[s.Name] = merged.TryGetValue(s.Name, out var old) && old.IsPersonal && !s.IsPersonal ? s with { IsPersonal = true, PersonalReason = old.PersonalReason } : s;
        var list = merged.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var json = JsonSerializer.Serialize(list, Json);
        if ((await settings.GetSettingAsync(SettingNames.LeadSchema, ct))?.Value == json) return null;
        return await settings.SaveSettingAsync(SettingNames.LeadSchema, json, now, ct);
    }
}
