using LeadScore.Engine.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Ingestion;

/// <summary>
/// The workspace's display names and value labels (from the import mappings' <c>display_names</c> and <c>labels</c>), a
/// shared setting: every instance words reasons with them, each trained model keeps a copy in its artifact, and the ones
/// here win over the model's, so a label changes without retraining.
/// </summary>
public static class LabelSettings
{
    public static async Task<FeatureLabels> GetAsync(ISettingsStore settings, CancellationToken ct = default) =>
        FeatureLabels.FromJson((await settings.GetSettingAsync(SettingNames.Labels, ct))?.Value);

    /// <summary>Adds the labels (a key both declare takes the new one). Returns the new version, or null when nothing changed.</summary>
    public static async Task<long?> MergeAsync(ISettingsStore settings, FeatureLabels labels, DateTimeOffset now, CancellationToken ct = default)
    {
        if (labels.IsEmpty) return null;
        var old = await settings.GetSettingAsync(SettingNames.Labels, ct);
        var json = labels.Over(FeatureLabels.FromJson(old?.Value)).ToJson();
        if (old?.Value == json) return null;
        return await settings.SaveSettingAsync(SettingNames.Labels, json, now, ct);
    }
}
