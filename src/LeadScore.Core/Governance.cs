using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LeadScore.Core;

/// <summary>
/// Who did something, as the audit log records it: an API key (<c>api:NAME</c>), a dashboard user (<c>dashboard:NAME</c>),
/// the CLI's operating-system user (<c>cli:USER</c>) or LeadScore itself (<c>system:JOB</c>).
/// </summary>
public sealed record Actor(string Kind, string Name)
{
    public const string ApiKind = "api";
    public const string DashboardKind = "dashboard";
    public const string CliKind = "cli";
    public const string SystemKind = "system";

    public static Actor ApiKey(string keyName) => new(ApiKind, keyName);
    public static Actor DashboardUser(string user) => new(DashboardKind, user);
    public static Actor Cli(string osUser) => new(CliKind, osUser);
    public static Actor System(string job) => new(SystemKind, job);

    /// <summary>The CLI user running this process (<see cref="Environment.UserName"/>).</summary>
    public static Actor CurrentOsUser() => Cli(Environment.UserName is { Length: > 0 } u ? u : "unknown");

    public override string ToString() => $"{Kind}:{Name}";

    public static Actor Parse(string text)
    {
        var i = text.IndexOf(':');
        return i <= 0 ? new Actor(SystemKind, text) : new Actor(text[..i], text[(i + 1)..]);
    }
}

/// <summary>What an audit entry is about.</summary>
public static class AuditTargets
{
    /// <summary>A lead. Its id is recorded as a keyed hash (<c>AuditEntry.TargetId</c>), never as the id: the log is never erased.</summary>
    public const string Lead = "lead";
    public const string Model = "model";
    public const string Key = "key";
    public const string Webhook = "webhook";
    public const string Setting = "setting";
    /// <summary>Many leads at once (exports, retention).</summary>
    public const string Leads = "leads";
}

/// <summary>The audited actions (dotted lower case, stable: they are filters and appear in the chain's hashes).</summary>
public static class AuditActions
{
    public const string PersonalRead = "lead.personal_read";
    public const string Export = "leads.export";
    public const string PrivacyExport = "privacy.export";
    public const string Erase = "privacy.erase";
    public const string OptOut = "privacy.opt_out";
    public const string OptIn = "privacy.opt_in";
    public const string Promote = "model.promote";
    public const string Rollback = "model.rollback";
    public const string KeyCreate = "key.create";
    public const string KeyRevoke = "key.revoke";
    public const string WebhookCreate = "webhook.create";
    public const string WebhookDelete = "webhook.delete";
    public const string SettingChange = "setting.change";
    public const string Retention = "retention.run";
    public const string FeaturesExport = "features.export";
    /// <summary>Monitoring raised a fairness alert on a model (the actor is the monitoring run's: the CLI user, or the server's job).</summary>
    public const string FairnessAlert = "monitoring.fairness_alert";
}

/// <summary>
/// One entry of the append-only audit log. <see cref="Hash"/> is SHA-256 over the canonical entry and the previous
/// entry's hash (<see cref="AuditChain"/>), so removing, reordering or editing an entry breaks every later link.
/// </summary>
public sealed record AuditEntry
{
    /// <summary>1, 2, 3, ... without gaps: a deleted entry shows as a gap even at the end of the chain's start.</summary>
    public required long Sequence { get; init; }
    public required DateTimeOffset At { get; init; }
    /// <summary><see cref="Actor.ToString"/>.</summary>
    public required string Actor { get; init; }
    public required string Action { get; init; }
    public required string TargetKind { get; init; }
    public required string TargetId { get; init; }
    /// <summary>A JSON object with what else is worth knowing (never personal data).</summary>
    public string Details { get; init; } = "{}";
    public required string PrevHash { get; init; }
    public required string Hash { get; init; }
}

/// <summary>The hash chain of the audit log: one canonical form, used by the store when appending and by <c>audit verify</c>.</summary>
public static class AuditChain
{
    /// <summary>The previous hash of the first entry.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// SHA-256 (hex) over the entry's fields in a fixed order, each length-prefixed (so no separator inside a field can
    /// make two entries look alike), times as Unix milliseconds, then <paramref name="prevHash"/>.
    /// </summary>
    public static string Compute(long sequence, DateTimeOffset at, string actor, string action, string targetKind, string targetId, string details, string prevHash)
    {
        var sb = new StringBuilder(256);
        foreach (var field in new[]
                 {
                     sequence.ToString(CultureInfo.InvariantCulture), at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                     actor, action, targetKind, targetId, details, prevHash,
                 })
            sb.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    public static string Compute(AuditEntry e) => Compute(e.Sequence, e.At, e.Actor, e.Action, e.TargetKind, e.TargetId, e.Details, e.PrevHash);

    /// <summary>The first entry that breaks the chain (and why), or null when every entry links to the one before.</summary>
    public static (long Sequence, string Reason)? FirstBreak(IEnumerable<AuditEntry> ordered)
    {
        var prev = Genesis;
        var expected = 1L;
        foreach (var e in ordered)
        {
            if (Broken(e, expected, prev) is { } why) return (Math.Min(expected, e.Sequence), why);
            prev = e.Hash;
            expected++;
        }
        return null;
    }

    /// <summary>Why <paramref name="e"/> does not follow an entry of sequence <paramref name="expected"/> - 1 and hash <paramref name="prevHash"/>; null when it does.</summary>
    public static string? Broken(AuditEntry e, long expected, string prevHash)
    {
        if (e.Sequence > expected) return $"entry {expected} is missing (the next entry is {e.Sequence}): an entry was deleted";
        if (e.Sequence < expected) return $"entry {e.Sequence} appears out of order or twice";
        if (e.PrevHash != prevHash) return $"entry {e.Sequence}'s previous-hash does not match entry {expected - 1}'s hash: an entry before it was removed or replaced";
        if (Compute(e) != e.Hash) return $"entry {e.Sequence}'s content does not match its hash: the entry was edited";
        return null;
    }

    /// <summary>A details object as canonical JSON (keys in ordinal order).</summary>
    public static string Details(IReadOnlyDictionary<string, object?>? details)
    {
        if (details is null || details.Count == 0) return "{}";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var k in details.Keys.Order(StringComparer.Ordinal))
            {
                w.WritePropertyName(k);
                JsonSerializer.Serialize(w, details[k]);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
