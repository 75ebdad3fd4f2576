using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>API keys (hashed).</summary>
public interface IApiKeyStore
{
    Task SaveApiKeyAsync(ApiKey key, CancellationToken ct = default);
    Task<ApiKey?> FindApiKeyByHashAsync(string hash, CancellationToken ct = default);
    Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken ct = default);
    Task<bool> RevokeApiKeyAsync(string idOrName, CancellationToken ct = default);
}
