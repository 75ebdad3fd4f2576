using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Storage;

namespace LeadScore.Application.Features;

/// <summary>
/// What a training set was built from: the data version (bumped by every import that stored something and every retention
/// run that deleted something), the number of leads, the opt-out version, the feature definitions' version and the options
/// as the user gave them (null = chosen from the data, which is then the same choice on the same data). Two equal keys
/// build the same rows, so <c>train</c> reuses the set <c>features build</c> stored instead of building it again.
/// </summary>
public sealed record TrainingSetKey
{
    public required long DataVersion { get; init; }
    public required long Leads { get; init; }
    public required long OptOutVersion { get; init; }
    public required long DefinitionsVersion { get; init; }
    public double? DecisionDelayDays { get; init; }
    public double? HorizonDays { get; init; }
    public DateTimeOffset? AsOf { get; init; }
    public IReadOnlyList<double>? DecisionAgesDays { get; init; }
    /// <summary>
    /// The version of the rules that choose what was not given (<see cref="CurrentDefaults"/>); a set stored under older
    /// rules (0: before several ages became the default) is built again, since the same data now gives other rows.
    /// </summary>
    public int Defaults { get; init; }
    public const int CurrentDefaults = 1;

    /// <summary>Why a set built under <paramref name="stored"/> cannot serve this key, or null when it can.</summary>
    public string? DiffersFrom(TrainingSetKey stored)
    {
        var inv = CultureInfo.InvariantCulture;
        static string Opt(double? d) => d is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : "from the data";
        if (stored.DataVersion != DataVersion || stored.Leads != Leads) return "the data changed since (an import or retention run)";
        if (stored.OptOutVersion != OptOutVersion) return "profiling opt-outs changed since";
        if (stored.DefinitionsVersion != DefinitionsVersion) return "the feature definitions changed since";
        if (stored.DecisionDelayDays != DecisionDelayDays) return $"--decision-delay differs ({Opt(stored.DecisionDelayDays)} then, {Opt(DecisionDelayDays)} now)";
        if (stored.HorizonDays != HorizonDays) return $"--horizon-days differs ({Opt(stored.HorizonDays)} then, {Opt(HorizonDays)} now)";
        if (stored.AsOf != AsOf) return string.Create(inv, $"--as-of differs ({stored.AsOf?.ToString("yyyy-MM-dd", inv) ?? "none"} then, {AsOf?.ToString("yyyy-MM-dd", inv) ?? "none"} now)");
        if (!(stored.DecisionAgesDays ?? []).SequenceEqual(DecisionAgesDays ?? [])) return "--decision-ages differs";
        if (stored.Defaults != Defaults) return "it was built under older defaults (one lead age only; the ages are now chosen from the data)";
        return null;
    }
}

/// <summary>The stored build: its key, when it was made, the set's counts (its frame is the feature snapshot) and the funnel choice.</summary>
public sealed record TrainingSetBuild
{
    public required TrainingSetKey Key { get; init; }
    public required DateTimeOffset BuiltAt { get; init; }
    /// <summary>"features build" or "train".</summary>
    public required string BuiltBy { get; init; }
    /// <summary>False for sets built with options a key does not describe (--cutoff-days): never reused.</summary>
    public bool Reusable { get; init; } = true;
    public required string Rule { get; init; }
    public int LeadsSeen { get; init; }
    public int Converted { get; init; }
    public int Lost { get; init; }
    public int WithoutOutcome { get; init; }
    public int OutcomeBeforeDecision { get; init; }
    public long ActivitiesRead { get; init; }
    public double? HorizonDays { get; init; }
    public DateTimeOffset? AsOf { get; init; }
    public int Censored { get; init; }
    public int NotMatured { get; init; }
    public int Wins { get; init; }
    public int WinsBeforeDecision { get; init; }
    public bool GroupRowsById { get; init; }
    public required double FunnelDelayDays { get; init; }
    public required string FunnelDelayWhy { get; init; }
    public required double FunnelHorizonDays { get; init; }
    public required string FunnelHorizonWhy { get; init; }

    public static TrainingSetBuild Of(TrainingSetKey key, TrainingSet set, FunnelChoice funnel, DateTimeOffset at, string builtBy) => new()
    {
        Key = key, BuiltAt = at, BuiltBy = builtBy, Rule = set.Rule, LeadsSeen = set.LeadsSeen, Converted = set.Converted, Lost = set.Lost,
        WithoutOutcome = set.WithoutOutcome, OutcomeBeforeDecision = set.OutcomeBeforeDecision, ActivitiesRead = set.ActivitiesRead,
        HorizonDays = set.HorizonDays, AsOf = set.AsOf, Censored = set.Censored, NotMatured = set.NotMatured, Wins = set.Wins,
        WinsBeforeDecision = set.WinsBeforeDecision, GroupRowsById = set.Frame.GroupRowsById,
        FunnelDelayDays = funnel.DecisionDelay.TotalDays, FunnelDelayWhy = funnel.DelayWhy, FunnelHorizonDays = funnel.HorizonDays, FunnelHorizonWhy = funnel.HorizonWhy,
    };

    /// <summary>The set again, around its stored frame (whose horizon, as-of time and grouping the snapshot does not hold).</summary>
    public (TrainingSet Set, FunnelChoice Funnel) Restore(FeatureFrame frame)
    {
        frame.GroupRowsById = GroupRowsById;
        frame.Horizon = HorizonDays is { } h ? TimeSpan.FromDays(h) : null;
        frame.AsOf = AsOf;
        return (new TrainingSet
        {
            Frame = frame, Rule = Rule, LeadsSeen = LeadsSeen, Converted = Converted, Lost = Lost, WithoutOutcome = WithoutOutcome,
            OutcomeBeforeDecision = OutcomeBeforeDecision, ActivitiesRead = ActivitiesRead, HorizonDays = HorizonDays, AsOf = AsOf,
            Censored = Censored, NotMatured = NotMatured, Wins = Wins, WinsBeforeDecision = WinsBeforeDecision,
        }, new FunnelChoice(TimeSpan.FromDays(FunnelDelayDays), FunnelDelayWhy, FunnelHorizonDays, FunnelHorizonWhy));
    }
}

/// <summary>Reads and writes the stored build record and computes the current key.</summary>
public static class TrainingSetBuilds
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<TrainingSetKey> KeyAsync(ILeadStore store, TimeSpan? delay, double? horizonDays, DateTimeOffset? asOf, IReadOnlyList<TimeSpan>? ages, CancellationToken ct) => new()
    {
        DataVersion = await store.GetSettingVersionAsync(SettingNames.DataVersion, ct),
        Leads = await store.CountLeadsAsync(ct),
        OptOutVersion = await store.GetSettingVersionAsync(ProfilingOptOuts.VersionSetting, ct),
        DefinitionsVersion = await store.GetSettingVersionAsync(SettingNames.FeatureDefinitions, ct),
        DecisionDelayDays = delay?.TotalDays,
        HorizonDays = horizonDays,
        AsOf = asOf,
        DecisionAgesDays = ages?.Select(a => a.TotalDays).ToList(),
        Defaults = TrainingSetKey.CurrentDefaults,
    };

    public static async Task<TrainingSetBuild?> ReadAsync(ISettingsStore settings, CancellationToken ct)
    {
        var s = await settings.GetSettingAsync(SettingNames.TrainingSetBuild, ct);
        if (s is null) return null;
        try { return JsonSerializer.Deserialize<TrainingSetBuild>(s.Value, Json); }
        catch (JsonException) { return null; }
    }

    public static Task SaveAsync(ISettingsStore settings, TrainingSetBuild build, CancellationToken ct) =>
        settings.SaveSettingAsync(SettingNames.TrainingSetBuild, JsonSerializer.Serialize(build, Json), build.BuiltAt, ct);
}
