using System.Globalization;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.Engine.Features;

namespace LeadScore.Application.Features;

/// <summary>A built training set with its leakage audit, as stored in the workspace.</summary>
public sealed record FeatureBuildResult
{
    public required TrainingSet Set { get; init; }
    /// <summary>Flagged features that training excludes by default.</summary>
    public required IReadOnlyList<LeakageFinding> Excluded { get; init; }
    /// <summary>Flagged features kept because the definitions say so (keepDespiteLeakage).</summary>
    public required IReadOnlyList<LeakageFinding> Kept { get; init; }
    public string? DefinitionsPath { get; init; }
    /// <summary>What happened to the definitions (written, updated from the file), or null.</summary>
    public string? DefinitionsNote { get; init; }
    public double Seconds { get; init; }
    /// <summary>The decision delay and horizon used and why, when the caller let the data choose (or gave them).</summary>
    public FunnelChoice? Funnel { get; init; }
}

/// <summary>One feature of one lead, with the definition behind it.</summary>
public sealed record FeatureLine(FeatureInfo Feature, FeatureValue Value);

/// <summary>
/// The workspace's features: the definitions file (features.json, created from the imported data when missing),
/// point-in-time training sets built from the store's streams and stored as a feature snapshot, and one lead's vector.
/// </summary>
public sealed class FeatureService(ILeadStore store, FeatureDefinitionsRepository definitions, Modeling.TrainingService training, TimeProvider time)
{
    public const string TrainingSnapshot = "features:training";

    private readonly TimeProvider _time = time;

    /// <summary>Where the editable copy of the definitions is (null on a server).</summary>
    public string? DefinitionsPath => definitions.FilePath;

    /// <summary>The definitions training uses (the database's, updated from an edited features.json), inferred the first time.</summary>
    public Task<(FeatureDefinitions Definitions, string? Note)> LoadOrCreateDefinitionsAsync(CancellationToken ct = default) => definitions.GetAsync(ct);

    /// <summary>Builds the training set from the store in one pass, audits it for leakage and stores it as the training snapshot.</summary>
    public Task<FeatureBuildResult> BuildTrainingSetAsync(TrainingSetOptions? options = null, CancellationToken ct = default) =>
        BuildTrainingSetAsync(options ?? new TrainingSetOptions(), null, ct);

    /// <summary>
    /// As <see cref="BuildTrainingSetAsync(TrainingSetOptions?, CancellationToken)"/>, with the decision delay and horizon
    /// taken from <paramref name="funnel"/> when given (null members chosen from the data, see <see cref="FunnelDefaults"/>).
    /// </summary>
    public async Task<FeatureBuildResult> BuildTrainingSetAsync(TrainingSetOptions options, (TimeSpan? Delay, double? HorizonDays)? funnel, CancellationToken ct = default)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        FeatureDefinitions defs;
        string? note;
        FunnelChoice? choice = null;
        TrainingSet set;
        if (funnel is { } given && options.CutoffBeforeOutcome is null)
        {
            // The path train takes: the same options, stored with what the set was built from, so train reuses it.
            var prepared = await training.PrepareTrainingSetAsync(new Modeling.TrainingSetRequest
            {
                DecisionDelay = given.Delay, HorizonDays = given.HorizonDays, AsOf = options.KnownBefore, DecisionAges = options.DecisionAges,
            }, reuse: false, "features build", ct);
            (set, choice, defs, note) = (prepared.Set, prepared.Funnel, prepared.Definitions, prepared.DefinitionsNote);
        }
        else
        {
            (defs, note) = await LoadOrCreateDefinitionsAsync(ct);
            if (funnel is { } g)
            {
                choice = await training.ChooseFunnelAsync(g.Delay, g.HorizonDays, options.DecisionAges, options.KnownBefore, ct);
                options = options with { DecisionDelay = choice.DecisionDelay, DecisionAges = choice.Ages, HorizonDays = choice.HorizonDays };
            }
            set = await training.BuildTrainingSetAsync(defs, options, ct);
            // Built with options train does not take (--cutoff-days, or no funnel): stored, never reused by train.
            if (set.Frame.Count > 0)
                await training.StoreAsync(set, TrainingSetBuild.Of(await TrainingSetBuilds.KeyAsync(store, null, null, null, null, ct), set,
                    choice ?? new FunnelChoice(options.DecisionDelay, "given", options.HorizonDays ?? 0, "none"), _time.GetUtcNow(), "features build") with { Reusable = false }, ct);
        }
        if (set.Frame.Count == 0)
            throw new LeadScoreException($"no lead has an outcome after its decision time ({set.Describe()}): import outcomes first");
        var findings = set.Converted > 0 && set.Lost > 0 ? LeakageAudit.Run(set.Frame) : [];
        var keep = new HashSet<string>(defs.KeepDespiteLeakage, StringComparer.Ordinal);
        return new FeatureBuildResult
        {
            Set = set,
            Excluded = findings.Where(f => !keep.Contains(f.Feature)).ToList(),
            Kept = findings.Where(f => keep.Contains(f.Feature)).ToList(),
            DefinitionsPath = DefinitionsPath,
            DefinitionsNote = note,
            Seconds = sw.Elapsed.TotalSeconds,
            Funnel = choice,
        };
    }

    /// <summary>The stored training set, or null when none was built.</summary>
    public async Task<(FeatureFrame Frame, FeatureSnapshot Snapshot)?> LoadTrainingSetAsync(CancellationToken ct = default)
    {
        var snap = await store.GetFeatureSnapshotAsync(TrainingSnapshot, ct);
        return snap is null ? null : (FeatureFrameSerializer.Deserialize(snap.Data), snap);
    }

    /// <summary>A lead's feature vector as of a time (default now), computed exactly as online scoring does.</summary>
    public async Task<IReadOnlyList<FeatureLine>> ShowAsync(string leadId, DateTimeOffset? asOf = null, CancellationToken ct = default)
    {
        var lead = await store.GetLeadAsync(leadId, ct) ?? throw new NotFoundException($"lead '{leadId}' not found");
        var (defs, _) = await LoadOrCreateDefinitionsAsync(ct);
        var computer = new FeatureComputer(defs);
        var t = asOf ?? _time.GetUtcNow();
        var activities = await store.GetActivitiesAsync(leadId, t, ct);
        var domain = computer.EnrichmentDomain(lead);
        var enrichment = domain is null ? [] : await store.GetEnrichmentAsync(domain, ct);
        var row = computer.Compute(lead, activities, enrichment, t);
        return computer.Features.Select((f, i) => new FeatureLine(f, row[i])).ToList();
    }

    /// <summary>Parses a CLI date: yyyy-MM-dd (midnight UTC) or an ISO 8601 time.</summary>
    public static DateTimeOffset ParseAsOf(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : throw new LeadScoreException($"'{text}' is not a date (use yyyy-MM-dd or yyyy-MM-ddTHH:mm:ssZ)", "as-of");
}
