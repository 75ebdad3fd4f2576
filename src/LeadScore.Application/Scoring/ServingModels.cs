using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.Engine.Scoring;

namespace LeadScore.Application.Scoring;

/// <summary>
/// The models serving at one moment, by slot. Immutable: a reload builds a new set and swaps it in one step.
/// <paramref name="SplitPercent"/>: the challenger serves this share of leads (a sticky hash of the lead id, see
/// <see cref="Engine.Lifecycle.ChallengerSplit"/>); null = shadow, the challenger scores every lead and serves none.
/// </summary>
public sealed record ServingSet(ServableModel? Champion, ServableModel? Challenger, IReadOnlyList<ServableModel> Shadows, double? SplitPercent = null)
{
    public static readonly ServingSet Empty = new(null, null, []);

    /// <summary>The versions by slot, for logs and health ("champion=v3 challenger=v4 (split 10%)").</summary>
    public string Describe() => $"champion={Champion?.Version ?? "none"}" +
        (Challenger is { } c ? $" challenger={c.Version}" + (SplitPercent is { } p ? $" (split {p:0.##}%)" : " (shadow)") : "") +
        string.Concat(Shadows.Select(s => $" shadow={s.Version}"));

    /// <summary>Whether the challenger serves this lead (split mode, the lead's hash in the challenger's share).</summary>
    public bool RoutesToChallenger(string leadId) =>
        Challenger is not null && SplitPercent is { } p && Engine.Lifecycle.ChallengerSplit.ServedByChallenger(leadId, p);
}

/// <summary>
/// The named set of models this instance serves (champion now; challenger and shadow slots ready for live
/// comparison), read from the registry's aliases. Like ML.NET's PredictionEnginePool with named models, but
/// over compiled scorers: a reload loads only versions not loaded yet and swaps the whole set atomically, so a
/// request sees either the old set or the new one, never a mix.
/// </summary>
/// <remarks>
/// A grade-band override (<see cref="GradeBandSettings"/>, one shared setting for every model) is applied to each
/// loaded model as it joins the set; its version is polled with the aliases, so a change made through any instance grades
/// here from the next reload on, without retraining. The workspace's display names and value labels
/// (<see cref="Ingestion.LabelSettings"/>) are applied the same way, over each model's own.
/// </remarks>
public sealed class ServingModels(IModelStore models, ISettingsStore settings, Lifecycle.LifecycleStateStore lifecycle)
{
    /// <summary>Aliases that name serving slots.</summary>
    public const string ChallengerAlias = "challenger";
    public const string ShadowAlias = "shadow";

    private volatile ServingSet _set = ServingSet.Empty;
    // Guarded by _reload.
    private long _gradesVersion = -1;
    private GradeBandOverride? _grades;
    private long _labelsVersion = -1;
    private Engine.Scoring.FeatureLabels _labels = Engine.Scoring.FeatureLabels.None;
    private readonly SemaphoreSlim _reload = new(1, 1);

    public ServingSet Current => _set;

    public ServableModel? Champion => _set.Champion;

    public ServableModel RequireChampion() => _set.Champion
        ?? throw new LeadScoreException("no champion model yet: train one first (./leadscore train, or POST /api/v1/train)", "model");

    /// <summary>Re-reads the aliases and swaps in the new set; returns whether anything changed.</summary>
    public async Task<bool> ReloadAsync(CancellationToken ct = default)
    {
        await _reload.WaitAsync(ct);
        try
        {
            var old = _set;
            var gradesVersion = await settings.GetSettingVersionAsync(SettingNames.GradeBands, ct);
            if (gradesVersion != _gradesVersion) _grades = await GradeBandSettings.ReadAsync(settings, ct);
            _gradesVersion = gradesVersion;
            var labelsVersion = await settings.GetSettingVersionAsync(SettingNames.Labels, ct);
            var labelsChanged = labelsVersion != _labelsVersion;
            if (labelsChanged) _labels = await Ingestion.LabelSettings.GetAsync(settings, ct);
            _labelsVersion = labelsVersion;
            var loaded = new Dictionary<string, ServableModel>(StringComparer.Ordinal);
            // WithGrades returns the same model when its bands do not change, so an unchanged set stays reference-equal.
            foreach (var m in new[] { old.Champion, old.Challenger }.Concat(old.Shadows)) if (m is not null) loaded[m.Version] = labelsChanged ? m.WithGrades(_grades?.Bands).WithLabels(_labels) : m.WithGrades(_grades?.Bands);
            var champion = await LoadAliasAsync(ModelAliases.Champion, loaded, ct);
            var challenger = await LoadAliasAsync(ChallengerAlias, loaded, ct);
            var shadow = await LoadAliasAsync(ShadowAlias, loaded, ct);
            // Split mode is a property of the challenge under way (the loop's state), not of the alias.
            var challenge = challenger is null ? null : (await lifecycle.GetAsync(ct)).Challenge;
            double? split = challenge is { Mode: Engine.Lifecycle.ChallengerModes.Split } ch && ch.Version == challenger!.Version ? ch.SplitPercent : null;
            var next = new ServingSet(champion, challenger, shadow is null ? [] : [shadow], split);
            if (!ChangedModels(old, next)) return false;
            _set = next;
            return true;
        }
        finally
        {
            _reload.Release();
        }
    }

    private static bool ChangedModels(ServingSet a, ServingSet b) =>
        !ReferenceEquals(a.Champion, b.Champion) || !ReferenceEquals(a.Challenger, b.Challenger) || !a.Shadows.SequenceEqual(b.Shadows) ||
        a.SplitPercent != b.SplitPercent;

    private async Task<ServableModel?> LoadAliasAsync(string alias, Dictionary<string, ServableModel> loaded, CancellationToken ct)
    {
        var version = await models.GetAliasAsync(alias, ct);
        if (version is null) return null;
        if (loaded.TryGetValue(version, out var m)) return m;
        var bytes = await models.GetModelArtifactAsync(version, ct) ?? throw new NotFoundException($"model version '{version}' has no artifact");
        return loaded[version] = ServableModel.Load(version, bytes).WithGrades(_grades?.Bands).WithLabels(_labels);
    }
}
