using System.Text.Json;
using LeadScore.Storage;

namespace LeadScore.Application.Security;

/// <summary>
/// The key ring that protects dashboard sessions and anti-forgery tokens, kept in the database (the shared <c>settings</c>
/// table: PostgreSQL for a cluster, the workspace's SQLite file otherwise), so a session signed in through one instance
/// is read by every other instance behind the load balancer, and survives restarts and redeployments.
/// </summary>
/// <remarks>
/// The keys are one JSON array of XML documents under one setting. Two instances may create a key at the same moment:
/// each save is checked by reading the ring back, and a key lost to the other instance's save is written again, so both
/// keys end up in the ring. Keys are stored as ASP.NET Data Protection writes them (not encrypted at rest): whoever can
/// read the database can already read every lead, but should not be able to forge a session either, so keep database
/// credentials as secret as the keys.
/// </remarks>
public sealed class SharedKeyRing(ISettingsStore settings, TimeProvider time)
{
    public const string SettingName = "security:data-protection-keys";
    private const int Attempts = 8;

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken ct = default) =>
        await settings.GetSettingAsync(SettingName, ct) is { } s ? JsonSerializer.Deserialize<List<string>>(s.Value) ?? [] : [];

    /// <summary>Adds one key's XML to the ring (once), and returns when it is stored.</summary>
    public async Task AddAsync(string keyXml, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyXml);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var keys = (await ListAsync(ct)).ToList();
            if (keys.Contains(keyXml, StringComparer.Ordinal)) return;
            keys.Add(keyXml);
            await settings.SaveSettingAsync(SettingName, JsonSerializer.Serialize(keys), time.GetUtcNow(), ct);
            if ((await ListAsync(ct)).Contains(keyXml, StringComparer.Ordinal)) return;
        }
        throw new InvalidOperationException($"the data protection key could not be stored in the '{SettingName}' setting after {Attempts} attempts");
    }
}
