using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Security;

/// <summary>API keys as a use case: create (the key is returned once, only its hash is stored), list, revoke.</summary>
public sealed class ApiKeyService(IApiKeyStore store, TimeProvider time, Governance.AuditLog audit)
{
    public async Task<(string Key, ApiKey Record)> CreateAsync(string name, IReadOnlyList<string> scopes, CancellationToken ct = default)
    {
        var (key, record) = ApiKeys.Create(name, scopes, time.GetUtcNow());
        await store.SaveApiKeyAsync(record, ct);
        await audit.RecordAsync(AuditActions.KeyCreate, AuditTargets.Key, record.Id, new Dictionary<string, object?> { ["name"] = record.Name, ["scopes"] = record.Scopes }, ct: ct);
        return (key, record);
    }

    public Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken ct = default) => store.ListApiKeysAsync(ct);

    /// <summary>Revokes a key by name or id; throws when no active key matches.</summary>
    public async Task RevokeAsync(string idOrName, CancellationToken ct = default)
    {
        if (!await store.RevokeApiKeyAsync(idOrName, ct)) throw new NotFoundException($"no active API key named or with id '{idOrName}'");
        await audit.RecordAsync(AuditActions.KeyRevoke, AuditTargets.Key, idOrName, ct: ct);
    }
}
