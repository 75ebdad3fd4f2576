using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Immutable model versions, their artifacts and aliases.</summary>
public interface IModelStore
{
    /// <summary>Stores an immutable model version; fails if the version exists.</summary>
    Task SaveModelAsync(ModelVersion model, byte[] artifact, CancellationToken ct = default);
    Task<ModelVersion?> GetModelAsync(string version, CancellationToken ct = default);
    Task<byte[]?> GetModelArtifactAsync(string version, CancellationToken ct = default);
    /// <summary>All versions, newest first, with their aliases.</summary>
    Task<IReadOnlyList<ModelVersion>> ListModelsAsync(CancellationToken ct = default);
    /// <summary>Points an alias at a version, recording the change so it can be rolled back.</summary>
    Task SetAliasAsync(string alias, string version, CancellationToken ct = default);
    /// <summary>Removes an alias (a challenger that lost or won); its history stays. False when it was not set.</summary>
    Task<bool> RemoveAliasAsync(string alias, CancellationToken ct = default);
    Task<string?> GetAliasAsync(string alias, CancellationToken ct = default);
    /// <summary>Versions the alias pointed at, newest first.</summary>
    Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string alias, CancellationToken ct = default);
    /// <summary>Next free version number (1, 2, ...), taken atomically.</summary>
    Task<long> NextModelNumberAsync(CancellationToken ct = default);
}
