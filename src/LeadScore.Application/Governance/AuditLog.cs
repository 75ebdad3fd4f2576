using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Governance;

/// <summary>What <c>audit verify</c> found: how many entries were checked, and the first broken one.</summary>
public sealed record AuditVerification(long Entries, long? BrokenAt, string? Reason)
{
    /// <summary>"sequence:hash" of the newest entry: note it elsewhere to detect a rewrite of the whole chain.</summary>
    public string? Head { get; init; }

    public bool Ok => BrokenAt is null;
}

/// <summary>
/// The audit log use case: every audited action goes through <see cref="RecordAsync"/> (or <see cref="RecordLeadAsync"/>,
/// which writes a lead as its keyed hash, never its id). The actor is the one given, else the <see cref="ActorContext"/>'s.
/// </summary>
public sealed class AuditLog(IAuditLogStore store, ISettingsStore settings, ActorContext actors, PrivacyKeys keys)
{
    public Actor CurrentActor => actors.Current;

    public Task<AuditEntry> RecordAsync(string action, string targetKind, string targetId, IReadOnlyDictionary<string, object?>? details = null,
        Actor? actor = null, CancellationToken ct = default) =>
        store.AppendAuditAsync(new NewAuditEntry((actor ?? actors.Current).ToString(), action, targetKind, targetId, AuditChain.Details(details)), ct);

    /// <summary>An action on one lead: the target is the lead's keyed hash, so the log (never erased) never holds the id.</summary>
    public async Task<AuditEntry> RecordLeadAsync(string action, string leadId, IReadOnlyDictionary<string, object?>? details = null,
        Actor? actor = null, CancellationToken ct = default) =>
        await RecordAsync(action, AuditTargets.Lead, await keys.LeadIdHashAsync(leadId, ct), details, actor, ct);

    /// <summary>Entries, newest first; <paramref name="leadId"/> is turned into its keyed hash to match lead targets.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset? since = null, string? action = null, string? leadId = null, int limit = 100, CancellationToken ct = default) =>
        await store.ListAuditAsync(new AuditQuery
        {
            Since = since,
            Action = action,
            TargetKind = leadId is null ? null : AuditTargets.Lead,
            TargetId = leadId is null ? null : await keys.LeadIdHashAsync(leadId, ct),
            Limit = limit,
        }, ct);

    /// <summary>Walks the whole chain in order: sequence without gaps, each previous-hash equal to the hash before, each hash recomputed.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken ct = default)
    {
        long n = 0;
        var prev = AuditChain.Genesis;
        await foreach (var e in store.StreamAuditAsync(ct))
        {
            n++;
            if (AuditChain.Broken(e, n, prev) is { } why) return new AuditVerification(n, Math.Min(n, e.Sequence), why);
            prev = e.Hash;
        }
        // The chain cannot show its own newest entries removed; the head recorded with each append can.
        var head = (await settings.GetSettingAsync(SqlLeadStore.AuditHeadSetting, ct))?.Value;
        var last = n == 0 ? null : $"{n}:{prev}";
        if (head != last)
            return new AuditVerification(n, n + 1, head is null
                ? "the log has entries but no recorded head: the head was removed"
                : $"the recorded head is entry {head.Split(':')[0]} but the log ends at entry {n}: the newest entries were deleted or the head edited");
        return new AuditVerification(n, null, null) { Head = last };
    }
}
