using LeadScore.Core;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Modeling;
using LeadScore.Storage;

namespace LeadScore.Application.Modeling;

/// <summary>What happened when a model was registered: its version, and whether it became champion and why.</summary>
public sealed record RegistrationResult(string Version, bool Promoted, string Decision, double NewAuc, double? ChampionAuc, string? PreviousChampion);

/// <summary>
/// The model registry over <see cref="ILeadStore"/>: every trained model is an immutable version with its
/// card; aliases (champion, challenger, any name) point at versions and can be rolled back.
/// </summary>
public sealed class ModelRegistry(ILeadStore store)
{
    /// <summary>The champion rule, printed whenever a model is registered.</summary>
    public const string ChampionRule =
        "A new model becomes champion automatically only if the workspace has none, or if its AUC on its own held-out " +
        "data is at least the champion's AUC on the same rows; otherwise it stays a candidate (promote it with 'models promote').";

    /// <summary>
    /// Stores a trained model as the next version ("v1", "v2", ...) and applies <see cref="ChampionRule"/>.
    /// <paramref name="extraEntries"/> lets the caller add artifact entries (e.g. the compiled scorer).
    /// </summary>
    /// <param name="championRule">false: register as a candidate only (the continuous-learning gate decides), unless the workspace has no champion.</param>
    public async Task<RegistrationResult> RegisterAsync(TrainingResult result, Func<TrainedModel, IReadOnlyDictionary<string, byte[]>>? extraEntries = null, CancellationToken ct = default,
        bool championRule = true)
    {
        var number = await store.NextModelNumberAsync(ct);
        var version = $"v{number}";
        var model = result.Model.WithCard(result.Model.Card with { Version = version });
        var bytes = model.ToBytes(extraEntries?.Invoke(model));
        await store.SaveModelAsync(new ModelVersion
        {
            Version = version,
            CreatedAt = model.Card.CreatedAt,
            Algorithm = model.Card.Algorithm,
            CardJson = model.Card.ToJson(),
            Auc = result.Metrics.Auc,
        }, bytes, ct);

        var champion = await store.GetAliasAsync(ModelAliases.Champion, ct);
        if (champion is null)
        {
            await store.SetAliasAsync(ModelAliases.Champion, version, ct);
            return new RegistrationResult(version, true, "the workspace had no champion", result.Metrics.Auc, null, null);
        }

        if (!championRule)
            return new RegistrationResult(version, false, $"registered as a candidate; the promotion gate compares it with champion {champion}", result.Metrics.Auc, null, champion);

        var championModel = await LoadAsync(champion, ct);
        var missing = championModel.MissingFeatures(result.Test);
        if (missing.Count > 0)
            return new RegistrationResult(version, false,
                $"the champion {champion} uses features the new held-out data lacks ({string.Join(", ", missing.Take(5))}), so the two cannot be compared on the same rows",
                result.Metrics.Auc, null, champion);

        var championAuc = Ranking.Auc(championModel.Predict(result.Test), result.Test.Labels);
        if (result.Metrics.Auc >= championAuc)
        {
            await store.SetAliasAsync(ModelAliases.Champion, version, ct);
            return new RegistrationResult(version, true, $"AUC {result.Metrics.Auc:F4} >= champion {champion}'s {championAuc:F4} on the same held-out rows", result.Metrics.Auc, championAuc, champion);
        }
        return new RegistrationResult(version, false, $"AUC {result.Metrics.Auc:F4} < champion {champion}'s {championAuc:F4} on the same held-out rows", result.Metrics.Auc, championAuc, champion);
    }

    /// <summary>All versions, newest first, with their aliases.</summary>
    public Task<IReadOnlyList<ModelVersion>> ListAsync(CancellationToken ct = default) => store.ListModelsAsync(ct);

    /// <summary>A version by number ("v3" or "3") or by alias ("champion").</summary>
    public async Task<(ModelVersion Version, ModelCard Card)> ShowAsync(string versionOrAlias, CancellationToken ct = default)
    {
        var v = await ResolveAsync(versionOrAlias, ct);
        var mv = await store.GetModelAsync(v, ct) ?? throw new NotFoundException($"no model version '{versionOrAlias}'");
        return (mv, ModelCard.FromJson(mv.CardJson));
    }

    public async Task<TrainedModel> LoadAsync(string versionOrAlias, CancellationToken ct = default)
    {
        var v = await ResolveAsync(versionOrAlias, ct);
        var bytes = await store.GetModelArtifactAsync(v, ct) ?? throw new NotFoundException($"no model version '{versionOrAlias}'");
        return TrainedModel.FromBytes(bytes);
    }

    /// <summary>The version an alias points at now, or null.</summary>
    public Task<string?> CurrentAsync(string alias = ModelAliases.Champion, CancellationToken ct = default) => store.GetAliasAsync(alias, ct);

    /// <summary>Points <paramref name="alias"/> (default champion) at a version.</summary>
    public async Task<string> PromoteAsync(string versionOrAlias, string alias = ModelAliases.Champion, CancellationToken ct = default)
    {
        var v = await ResolveAsync(versionOrAlias, ct);
        if (await store.GetModelAsync(v, ct) is null) throw new NotFoundException($"no model version '{versionOrAlias}'");
        await store.SetAliasAsync(alias, v, ct);
        return v;
    }

    /// <summary>Points <paramref name="alias"/> back at the version it pointed at before its current one; returns (from, to).</summary>
    public async Task<(string From, string To)> RollbackAsync(string alias = ModelAliases.Champion, CancellationToken ct = default)
    {
        var current = await store.GetAliasAsync(alias, ct) ?? throw new ConflictException($"there is no {alias} to roll back", "alias");
        // History is newest first; the first entry is the current version.
        var history = await store.GetAliasHistoryAsync(alias, ct);
        var previous = history.Skip(1).Select(h => h.Version).FirstOrDefault(v => v != current)
            ?? throw new ConflictException($"model '{current}' is the only {alias} there has been; nothing to roll back to", "alias");
        await store.SetAliasAsync(alias, previous, ct);
        return (current, previous);
    }

    /// <summary>The version a name means: an exact stored version, "3" or "v3", or an alias.</summary>
    public async Task<string> ResolveAsync(string versionOrAlias, CancellationToken ct = default)
    {
        var s = versionOrAlias.Trim();
        if (s.Length > 0 && await store.GetModelAsync(s, ct) is not null) return s;
        if (s.Length > 0 && s.All(char.IsAsciiDigit)) return "v" + s;
        if (s.StartsWith('v') && s.Length > 1 && s[1..].All(char.IsAsciiDigit)) return s;
        return await store.GetAliasAsync(s, ct) ?? throw new NotFoundException($"no model version or alias '{versionOrAlias}'");
    }
}
