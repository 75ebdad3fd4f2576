using System.Collections.Frozen;
using LeadScore.Storage;

namespace LeadScore.Application.Governance;

/// <summary>
/// The ids of the stored leads that opted out of profiling, held in memory so that online scoring (POST /score with an id)
/// refuses them without a database read. Every opt-out or opt-in bumps a shared version; each instance reloads the set
/// when the version changes (checked with the serving aliases, every few seconds), the instance that made the change at once.
/// </summary>
public sealed class ProfilingOptOuts(IPrivacyStore store, ISettingsStore settings, TimeProvider time)
{
    public const string VersionSetting = "privacy:opt-out-version";
    private volatile FrozenSet<string> _ids = FrozenSet<string>.Empty;
    private long _version = -1;

    public bool Contains(string leadId) => _ids.Contains(leadId);

    public IReadOnlySet<string> Snapshot => _ids;

    /// <summary>Reloads when another instance (or the CLI) changed an opt-out since the last load.</summary>
    public async Task RefreshIfChangedAsync(CancellationToken ct = default)
    {
        if (await settings.GetSettingVersionAsync(VersionSetting, ct) != Interlocked.Read(ref _version)) await RefreshAsync(ct);
    }

    public async Task RefreshAsync(CancellationToken ct = default)
    {
        var version = await settings.GetSettingVersionAsync(VersionSetting, ct);
        _ids = (await store.GetOptedOutLeadIdsAsync(ct)).ToFrozenSet(StringComparer.Ordinal);
        Interlocked.Exchange(ref _version, version);
    }

    /// <summary>Tells every instance an opt-out changed, and reloads here.</summary>
    public async Task ChangedAsync(CancellationToken ct = default)
    {
        await settings.SaveSettingAsync(VersionSetting, "{}", time.GetUtcNow(), ct);
        await RefreshAsync(ct);
    }
}

/// <summary>The lead opted out of profiling: it is not scored (the API answers 422 naming the field <c>id</c>, with this message).</summary>
public sealed class ProfilingOptOutException(string leadId)
    : LeadScore.Core.LeadScoreException($"lead '{leadId}' opted out of profiling (GDPR art. 21 / CCPA): it is not scored; './leadscore privacy opt-in {leadId}' reverses it", "id")
{
    public string LeadId { get; } = leadId;
}
