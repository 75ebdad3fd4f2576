using System.Security.Cryptography;
using System.Text;
using LeadScore.Storage;

namespace LeadScore.Application.Governance;

/// <summary>
/// The workspace's secret for keyed hashes (HMAC-SHA256): erasure tombstones and audit targets (a lead's id is never
/// written there), and pseudonyms in exports. Kept in the shared settings, generated on first use by whichever instance
/// gets there first (insert-if-absent, so two instances cannot end up with two keys), never printed or exported.
/// Each use hashes under its own purpose prefix, so a pseudonym in an export cannot be matched to a tombstone.
/// </summary>
public sealed class PrivacyKeys(IPrivacyStore store, TimeProvider time)
{
    public const string SettingName = "privacy:hmac-key";
    private byte[]? _key;

    private async ValueTask<byte[]> KeyAsync(CancellationToken ct)
    {
        if (_key is { } k) return k;
        var fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var stored = await store.GetOrAddSettingAsync(SettingName, fresh, time.GetUtcNow(), ct);
        return _key = Convert.FromBase64String(stored);
    }

    /// <summary>The tombstone and audit target of a lead id (64 hex characters).</summary>
    public async ValueTask<string> LeadIdHashAsync(string leadId, CancellationToken ct = default) => Hex(await KeyAsync(ct), "lead-id\n" + leadId, 32);

    /// <summary>A hasher for lead ids, for checking many ids (an import) with one key read.</summary>
    public async ValueTask<Func<string, string>> LeadIdHasherAsync(CancellationToken ct = default)
    {
        var key = await KeyAsync(ct);
        return id => Hex(key, "lead-id\n" + id, 32);
    }

    /// <summary>A pseudonymiser for exports: equal values give equal pseudonyms (32 hex characters), so exports still join.</summary>
    public async ValueTask<Func<string, string>> PseudonymiserAsync(CancellationToken ct = default)
    {
        var key = await KeyAsync(ct);
        return value => Hex(key, "pseudonym\n" + value, 16);
    }

    private static string Hex(byte[] key, string text, int bytes) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)).AsSpan(0, bytes));
}
