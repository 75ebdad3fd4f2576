using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Engine.Lifecycle;
using LeadScore.Storage;

namespace LeadScore.Application.Lifecycle;

/// <summary>
/// The workspace's retraining policy, kept as a shared, versioned setting so every instance (and the CLI) reads the same
/// one; the default applies until someone saves one.
/// </summary>
public sealed class RetrainingPolicyService(ISettingsStore settings, TimeProvider time)
{
    public const string SettingName = "lifecycle:policy";

    /// <summary>The policy in force and its version (0 = the default, never saved).</summary>
    public async Task<(RetrainingPolicy Policy, long Version)> GetAsync(CancellationToken ct = default)
    {
        var stored = await settings.GetSettingAsync(SettingName, ct);
        return stored is null ? (RetrainingPolicy.Default, 0) : (RetrainingPolicy.FromJson(stored.Value, "the stored policy"), stored.Version);
    }

    /// <summary>Saves a whole policy (validated first); returns its new version.</summary>
    public async Task<(RetrainingPolicy Policy, long Version)> SaveAsync(RetrainingPolicy policy, CancellationToken ct = default)
    {
        policy.Validated();
        var v = await settings.SaveSettingAsync(SettingName, policy.ToJson(), time.GetUtcNow(), ct);
        return (policy, v);
    }

    /// <summary>Sets fields by dotted path ("schedule.every_days=10"), all or none; returns the new policy and version.</summary>
    public async Task<(RetrainingPolicy Policy, long Version)> SetAsync(IReadOnlyList<(string Path, string Value)> changes, CancellationToken ct = default)
    {
        var (policy, _) = await GetAsync(ct);
        foreach (var (path, value) in changes) policy = policy.With(path, value);
        return await SaveAsync(policy, ct);
    }
}

/// <summary>Where the loop stands: the last policy training, the challenge under way, the promotion being watched.</summary>
public sealed record LifecycleState
{
    /// <summary>When the policy last started a training (queued it).</summary>
    public DateTimeOffset? LastTrainingAt { get; init; }
    /// <summary>The newest monitoring alert the triggers have used, so one alert retrains once.</summary>
    public long LastAlertSeen { get; init; }
    public ChallengeState? Challenge { get; init; }
    public WatchState? Watch { get; init; }
    /// <summary>The change in the process the champion's last answered performance alert found (the policy window follows it).</summary>
    public ChangeState? Change { get; init; }
}

/// <summary>
/// A change a performance alert found: leads first decided from <see cref="Since"/> (the end of the first alerted window)
/// show the new process, so retrainings learn from those leads while the change is in force (see <c>window.follow_change</c>).
/// </summary>
public sealed record ChangeState
{
    public required DateTimeOffset Since { get; init; }
    public required DateTimeOffset FoundAt { get; init; }
    /// <summary>The model whose alert found it, and the alert's sentence.</summary>
    public required string ModelVersion { get; init; }
    public required string Alert { get; init; }
}

/// <summary>A challenger on live leads: since when, in which mode, and the alpha its sequential test has spent.</summary>
public sealed record ChallengeState
{
    public required string Version { get; init; }
    public required string Champion { get; init; }
    public required string Mode { get; init; }
    public double SplitPercent { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required double DecisionDelayDays { get; init; }
    public required double HorizonDays { get; init; }
    public double AlphaSpent { get; init; }
    public double LastInformation { get; init; }
    public int Looks { get; init; }
    /// <summary>The information fraction of each look so far (the exact sequential boundaries need them; a state saved before they were kept has none).</summary>
    public IReadOnlyList<double> LookFractions { get; init; } = [];
}

/// <summary>A promoted model watched against the champion before it, on matured outcomes of leads decided since the promotion.</summary>
public sealed record WatchState
{
    public required string Version { get; init; }
    public required string Previous { get; init; }
    public required DateTimeOffset PromotedAt { get; init; }
    /// <summary>The decision point and horizon the comparison uses; chosen at the first look (from the model's card and the data).</summary>
    public double? DecisionDelayDays { get; init; }
    public double? HorizonDays { get; init; }
    public double AlphaSpent { get; init; }
    public double LastInformation { get; init; }
    public int Looks { get; init; }
    /// <summary>The information fraction of each look so far (the exact sequential boundaries need them; a state saved before they were kept has none).</summary>
    public IReadOnlyList<double> LookFractions { get; init; } = [];
}

/// <summary>The loop's state, a shared setting written by the leader and by policy training jobs.</summary>
public sealed class LifecycleStateStore(ISettingsStore settings, TimeProvider time)
{
    public const string SettingName = "lifecycle:state";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<LifecycleState> GetAsync(CancellationToken ct = default) =>
        await settings.GetSettingAsync(SettingName, ct) is { } s ? JsonSerializer.Deserialize<LifecycleState>(s.Value, Json) ?? new() : new();

    /// <summary>How many times an update is retried when another writer changed the state in between.</summary>
    public const int MaxAttempts = 20;

    /// <summary>
    /// Applies <paramref name="change"/> to the state as stored and saves it with a compare-and-set on the setting's version:
    /// when another instance (the leader, a policy training job) saved in between, the change is applied again to what it
    /// saved, so neither write is lost and two instances cannot both move the challenger from the same state.
    /// </summary>
    public async Task<LifecycleState> UpdateAsync(Func<LifecycleState, LifecycleState> change, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var stored = await settings.GetSettingAsync(SettingName, ct);
            var current = stored is null ? new LifecycleState() : JsonSerializer.Deserialize<LifecycleState>(stored.Value, Json) ?? new();
            var next = change(current);
            if (await settings.TrySaveSettingAsync(SettingName, JsonSerializer.Serialize(next, Json), stored?.Version ?? 0, time.GetUtcNow(), ct) is not null)
                return next;
            if (attempt >= MaxAttempts)
                throw new Core.ConflictException($"the continuous-learning state kept changing under this update ({MaxAttempts} attempts); try again");
            // Jittered backoff, so writers that keep colliding spread out instead of retrying in lockstep. It waits on real
            // time on purpose: the other writer is a real process, whatever clock the loop itself runs on.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 1 << Math.Min(attempt, 7))), ct);
        }
    }
}
