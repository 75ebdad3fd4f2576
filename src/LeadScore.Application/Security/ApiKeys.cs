using System.Security.Cryptography;
using System.Text;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Security;

/// <summary>Creating API keys: the key is shown once; only its SHA-256 is stored.</summary>
public static class ApiKeys
{
    /// <summary>Keys start with this, so a leaked key is recognisable (secret scanners, logs).</summary>
    public const string KeyPrefix = "lsk_";

    /// <summary>A new random key (256 bits) and the record to store for it.</summary>
    public static (string Key, ApiKey Record) Create(string name, IReadOnlyList<string> scopes, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new LeadScoreException("the key needs a name", "name");
        if (scopes.Count == 0) throw new LeadScoreException($"the key needs at least one scope ({string.Join(", ", ApiScopes.All)})", "scopes");
        foreach (var s in scopes)
            if (!ApiScopes.All.Contains(s)) throw new LeadScoreException($"unknown scope '{s}' (known: {string.Join(", ", ApiScopes.All)})", "scopes");
        var key = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var record = new ApiKey
        {
            Id = Guid.CreateVersion7(now).ToString("N")[..16],
            Name = name.Trim(),
            Prefix = key[..12],
            Hash = Hash(key),
            Scopes = scopes.Distinct().ToArray(),
            CreatedAt = now,
        };
        return (key, record);
    }

    public static string Hash(string key)
    {
        Span<byte> utf8 = key.Length <= 256 ? stackalloc byte[key.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var n = Encoding.UTF8.GetBytes(key, utf8);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..n], hash);
        return Convert.ToHexStringLower(hash);
    }
}
