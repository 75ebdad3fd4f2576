using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.Application.Fairness;
using LeadScore.Application.Features;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Features;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Reporting;
using LeadScore.Engine.Scoring;

namespace LeadScore.Application.Modeling;

/// <summary>What to train on the workspace's data, beyond <see cref="TrainingOptions"/>.</summary>
public sealed record WorkspaceTrainingRequest
{
    public required TrainingOptions Options { get; init; }
    /// <summary>Training rows are built as of creation + this delay (see <see cref="TrainingSetOptions"/>); null = chosen from the data (<see cref="FunnelDefaults"/>).</summary>
    public TimeSpan? DecisionDelay { get; init; }
    /// <summary>The horizon H in days (labels: converted within H days of the decision time); null = chosen from the data.</summary>
    public double? HorizonDays { get; init; }
    /// <summary>Only outcomes recorded before this time count, and labels are judged as of it; null = the data's end.</summary>
    public DateTimeOffset? AsOf { get; init; }
    /// <summary>One row per lead per age while it was open (see <see cref="TrainingSetOptions.DecisionAges"/>); null = the one delay.</summary>
    public IReadOnlyList<TimeSpan>? DecisionAges { get; init; }
    /// <summary>Features the user leaves out.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];
    /// <summary>Features the leakage audit flagged that the user keeps anyway.</summary>
    public IReadOnlyList<string> KeepFlagged { get; init; } = [];
    /// <summary>Write the HTML evaluation report here.</summary>
    public string? ReportDirectory { get; init; }
    /// <summary>The retraining policy's window (which rows to train on), recorded in the card; null = every row.</summary>
    public Engine.Lifecycle.RetrainingPolicy.WindowSettings? Window { get; init; }
    /// <summary>Why the policy trains (recorded in the card); set for policy retrainings, which register as candidates for the gate.</summary>
    public string? Trigger { get; init; }
    /// <summary>A change in the process in force (see <see cref="Engine.Lifecycle.TrainingWindow.ChangeInForce"/>): only leads first decided since it train, when they are enough.</summary>
    public DateTimeOffset? ChangeSince { get; init; }
}

/// <summary>How to build a workspace training set; null members are chosen from the data.</summary>
public sealed record TrainingSetRequest
{
    public TimeSpan? DecisionDelay { get; init; }
    public double? HorizonDays { get; init; }
    /// <summary>Only outcomes recorded before this time count; labels are judged as of it.</summary>
    public DateTimeOffset? AsOf { get; init; }
    public IReadOnlyList<TimeSpan>? DecisionAges { get; init; }
}

/// <summary>A training set ready to train on: built now, or the stored one reused, and why.</summary>
public sealed record PreparedTrainingSet(TrainingSet Set, FunnelChoice Funnel, FeatureDefinitions Definitions, string? DefinitionsNote, bool Reused, string Why);

/// <summary>A finished training run: the result, how it was registered, and what was left out.</summary>
public sealed record TrainingRun
{
    public required TrainingResult Result { get; init; }
    public required RegistrationResult Registration { get; init; }
    public required ModelCard Card { get; init; }
    public IReadOnlyList<LeakageFinding> Leakage { get; init; } = [];
    /// <summary>How the training rows were built (workspace runs).</summary>
    public string? TrainingSetDescription { get; init; }
    /// <summary>The decision delay and horizon used, and why (workspace runs).</summary>
    public FunnelChoice? Funnel { get; init; }
    /// <summary>The training set's counts (workspace runs): censored, wins dropped by the decision point; without its rows (<see cref="TrainingSet.WithoutRows"/>; <see cref="TrainingSetDescription"/> describes them).</summary>
    public TrainingSet? Set { get; init; }
    /// <summary>Whether the stored training set was reused, and why it was or was not (workspace runs).</summary>
    public string? TrainingSetSource { get; init; }
    public string? ReportPath { get; init; }
}

/// <summary>
/// Trains models from the workspace (point-in-time features) or from a flat table, runs the leakage audit,
/// compiles the model for fast scoring and registers it. Used by the CLI and by the server's training jobs.
/// </summary>
public sealed class TrainingService(ILeadStore store, FeatureDefinitionsRepository definitions, ModelRegistry registry, FairnessService fairness, TimeProvider clock)
{
    /// <summary>Builds the point-in-time training set from the store.</summary>
    public Task<TrainingSet> BuildTrainingSetAsync(FeatureDefinitions featureDefinitions, TimeSpan decisionDelay, IReadOnlyList<TimeSpan>? decisionAges = null, CancellationToken ct = default) =>
        BuildTrainingSetAsync(featureDefinitions, new TrainingSetOptions { DecisionDelay = decisionDelay, DecisionAges = decisionAges }, ct);

    /// <summary>
    /// Builds the point-in-time training set from the store with attributes as known at each decision time; the one
    /// builder behind both <c>features build</c> and <c>train</c>, so the two see the same rows.
    /// </summary>
    public async Task<TrainingSet> BuildTrainingSetAsync(FeatureDefinitions featureDefinitions, TrainingSetOptions options, CancellationToken ct = default)
    {
        // Attribute values as known at each decision time: a lead's replaced versions, oldest first.
        var history = new Dictionary<string, List<LeadHistoryEntry>>(StringComparer.Ordinal);
        await foreach (var h in store.StreamLeadHistoryAsync(ct))
        {
            if (!history.TryGetValue(h.Previous.Id, out var list)) history[h.Previous.Id] = list = [];
            list.Add(h);
        }
        var builder = new TrainingSetBuilder(new FeatureComputer(featureDefinitions), options with
        {
            AttributesAsOf = history.Count == 0 ? null : (lead, t) => AttributesAsOf(history, lead, t),
        });
        // Leads that opted out of profiling are not trained on (their activities and outcomes find no lead and are skipped).
        return await builder.BuildAsync(ProfiledLeads(store.StreamLeadsAsync(ct)), store.StreamActivitiesAsync(ct), store.StreamEnrichmentAsync(ct), store.StreamOutcomesAsync(ct), ct);
    }

    private static async IAsyncEnumerable<Lead> ProfiledLeads(IAsyncEnumerable<Lead> leads)
    {
        await foreach (var lead in leads)
            if (!lead.ProfilingOptOut) yield return lead;
    }

    /// <summary>
    /// The decision delay and horizon for a workspace: the given ones, or chosen from its wins (creation and the time of
    /// the last outcome of every lead that ended converted, recorded before <paramref name="knownBefore"/>).
    /// </summary>
    public async Task<FunnelChoice> ChooseFunnelAsync(TimeSpan? delay, double? horizonDays, IReadOnlyList<TimeSpan>? ages, DateTimeOffset? knownBefore, CancellationToken ct = default)
    {
        var first = ages is { Count: > 0 } a ? a.Min() : delay;
        if (ages is { Count: > 0 } given && horizonDays is not null)
            return FunnelDefaults.Choose([], first, horizonDays) with { DelayWhy = $"ages {FunnelDefaults.ListDays(given.Distinct().Order())} (given)", Ages = [.. given.Distinct().Order()] };
        var rules = new TrainingSetBuilder(new FeatureComputer(new FeatureDefinitions()), new TrainingSetOptions { KnownBefore = knownBefore });
        var outcomes = new Dictionary<string, List<Outcome>>(StringComparer.Ordinal);
        await foreach (var o in store.StreamOutcomesAsync(ct))
        {
            if (!outcomes.TryGetValue(o.LeadId, out var list)) outcomes[o.LeadId] = list = [];
            list.Add(o);
        }
        var wins = new List<(DateTimeOffset, DateTimeOffset)>();
        var closes = new List<(DateTimeOffset Created, DateTimeOffset? Closed)>();
        var dataEnd = DateTimeOffset.MinValue;
        foreach (var list in outcomes.Values)
            foreach (var o in list)
                if ((knownBefore is not { } k || o.At < k) && o.At > dataEnd) dataEnd = o.At;
        await foreach (var lead in store.StreamLeadsAsync(ct))
        {
            if (lead.CreatedAt > dataEnd && (knownBefore is not { } k || lead.CreatedAt < k)) dataEnd = lead.CreatedAt;
            var last = outcomes.TryGetValue(lead.Id, out var os) ? rules.LabelOutcome(os) : null;
            if (last is { Kind: OutcomeKind.Converted } won) wins.Add((lead.CreatedAt, won.At));
            closes.Add((lead.CreatedAt, last?.At));
        }
        var choice = FunnelDefaults.Choose(wins, first, horizonDays);
        if (ages is { Count: > 0 })
            return choice with { DelayWhy = $"ages {FunnelDefaults.ListDays(ages.Order())} (given)", Ages = [.. ages.Distinct().Order()] };
        // Ages from how long the leads open at the decision point stay open (to their close, or the data's end).
        var d = choice.DecisionDelay;
        var openFor = closes.Where(c => (c.Closed ?? dataEnd) > c.Created + d).Select(c => (c.Closed ?? dataEnd) - c.Created).ToArray();
        if (FunnelDefaults.ChooseAges(d, openFor, fromCreation: delay is null) is not { } chosen) return choice;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var median = openFor.Order().ElementAt(openFor.Length / 2).TotalDays;
        return choice with
        {
            Ages = chosen,
            DelayWhy = string.Create(inv, $"{choice.DelayWhy}; rows at ages {FunnelDefaults.ListDays(chosen)} while the lead is open (default from the data: leads open at the decision point stay open a median of {median:0} days; {FunnelDefaults.AgesRule}; one age only: --decision-ages {d.TotalDays:0.##})"),
        };
    }

    /// <summary>The version in effect at <paramref name="t"/>: the oldest replaced version still current then, else the record now.</summary>
    internal static Lead AttributesAsOf(Dictionary<string, List<LeadHistoryEntry>> history, Lead lead, DateTimeOffset t)
    {
        if (!history.TryGetValue(lead.Id, out var versions)) return lead;
        foreach (var v in versions)
            if (v.ReplacedAt > t) return v.Previous with { ProfilingOptOut = lead.ProfilingOptOut };
        return lead;
    }

    /// <summary>
    /// The one path from features to training: the stored training set (built by <c>features build</c> or an earlier
    /// <c>train</c>) when <paramref name="reuse"/> and nothing it was built from changed (data, opt-outs, feature
    /// definitions, options: <see cref="TrainingSetKey"/>); otherwise a new build, stored as the training snapshot with
    /// what it was built from.
    /// </summary>
    public async Task<PreparedTrainingSet> PrepareTrainingSetAsync(TrainingSetRequest request, bool reuse, string builtBy, CancellationToken ct = default)
    {
        var (defs, note) = await definitions.GetAsync(ct);
        var key = await TrainingSetBuilds.KeyAsync(store, request.DecisionDelay, request.HorizonDays, request.AsOf, request.DecisionAges, ct);
        var stored = await TrainingSetBuilds.ReadAsync(store, ct);
        string why;
        if (stored is null) why = "no training set stored yet: building one";
        else if (!stored.Reusable) why = $"the stored training set was built with --cutoff-days: building one";
        else if (key.DiffersFrom(stored.Key) is { } diff) why = $"rebuilding the training set: {diff}";
        else if (!reuse) why = "building the training set";
        else if (await store.GetFeatureSnapshotAsync(FeatureService.TrainingSnapshot, ct) is not { } snap) why = "the stored training set was removed (an erasure drops it): building one";
        else
        {
            var (set, funnel) = stored.Restore(FeatureFrameSerializer.Deserialize(snap.Data));
            return new PreparedTrainingSet(set, funnel, defs, note, true, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"reusing the training set '{stored.BuiltBy}' stored at {stored.BuiltAt:yyyy-MM-dd HH:mm}Z: same data, feature definitions and options"));
        }
        var choice = await ChooseFunnelAsync(request.DecisionDelay, request.HorizonDays, request.DecisionAges, request.AsOf, ct);
        var built = await BuildTrainingSetAsync(defs, new TrainingSetOptions
        {
            DecisionDelay = choice.DecisionDelay, DecisionAges = choice.Ages, HorizonDays = choice.HorizonDays, KnownBefore = request.AsOf,
        }, ct);
        if (built.Frame.Count > 0) await StoreAsync(built, TrainingSetBuild.Of(key, built, choice, clock.GetUtcNow(), builtBy), ct);
        return new PreparedTrainingSet(built, choice, defs, note, false, why);
    }

    /// <summary>Stores a set as the training snapshot, with the record of what it was built from.</summary>
    internal async Task StoreAsync(TrainingSet set, TrainingSetBuild build, CancellationToken ct)
    {
        await store.SaveFeatureSnapshotAsync(new FeatureSnapshot
        {
            Name = FeatureService.TrainingSnapshot,
            CreatedAt = build.BuiltAt,
            AsOfRule = set.Rule,
            Rows = set.Frame.Count,
            Data = FeatureFrameSerializer.Serialize(set.Frame),
        }, ct);
        await TrainingSetBuilds.SaveAsync(store, build, ct);
    }

    /// <summary>Trains on the workspace's leads with point-in-time features, registers and reports.</summary>
    public async Task<TrainingRun> TrainWorkspaceAsync(WorkspaceTrainingRequest request, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        // The whole training set lives only inside WorkspaceRowsAsync: what trains is its selected rows (matured, within the
        // row budget), so at 1M leads the 5.4 M-row set (about 3 GB) can be collected before the model trains on 1 M of them.
        var input = await WorkspaceRowsAsync(request, progress, ct);
        var result = await Task.Run(() => new ModelingContext().Train(input.Rows, input.Options, null, progress, ct), ct);
        if (input.Window is not null || request.Trigger is not null)
            result = result with { Model = result.Model.WithCard(result.Model.Card with { TrainingWindow = input.Window, TrainedBecause = request.Trigger }) };
        var config = await fairness.GetAsync(ct);
        var (withFairness, groupGrades) = TrainingFairness.Apply(result, config, await GroupValuesAsync(config, result, ct));
        var run = await RegisterAsync(withFairness, input.Definitions, null, groupGrades, input.Findings, input.SetDescription, request.ReportDirectory, ct, championRule: request.Trigger is null,
            createdAt: await CreatedAtAsync(result.Train?.Ids, ct));
        // Which leads this version learned from: a person's export says so, and an erasure names the version.
        await store.RecordTrainingLeadsAsync(run.Registration.Version, input.LeadIds, ct);
        return run with { Funnel = input.Funnel, Set = input.Counts, TrainingSetSource = input.Why };
    }

    /// <summary>What a workspace training needs from its training set, without holding the set's rows.</summary>
    private sealed record WorkspaceRows(TrainingRows Rows, TrainingOptions Options, TrainingSet Counts, FunnelChoice Funnel, FeatureDefinitions Definitions,
        IReadOnlyList<LeakageFinding> Findings, string? Window, string SetDescription, string Why, IReadOnlyList<string> LeadIds);

    /// <summary>The stored (or a new) training set, audited, windowed and cut to the rows a training uses.</summary>
    private async Task<WorkspaceRows> WorkspaceRowsAsync(WorkspaceTrainingRequest request, IProgress<string>? progress, CancellationToken ct)
    {
        var prepared = await PrepareTrainingSetAsync(new TrainingSetRequest
        {
            DecisionDelay = request.DecisionDelay, HorizonDays = request.HorizonDays, AsOf = request.AsOf, DecisionAges = request.DecisionAges,
        }, reuse: true, "train", ct);
        var (set, funnel, defs) = (prepared.Set, prepared.Funnel, prepared.Definitions);
        if (prepared.DefinitionsNote is { } note) progress?.Report(note);
        progress?.Report(prepared.Why);
        progress?.Report($"decision point: {funnel.DelayWhy}; horizon: {funnel.HorizonWhy}");
        var description = set.Describe();
        progress?.Report($"training set: {description}");

        // The excluded columns are dropped by the training itself, after it has cut the matured rows and the row budget's
        // sample: dropping them here would copy every row of the set (3.1 GB at 1M leads) before the budget applies.
        var (frame, excluded, findings) = Audit(set.Frame, request.Exclude, [.. request.KeepFlagged, .. defs.KeepDespiteLeakage], progress, drop: false);
        string? window = null;
        var testFraction = request.Options.TestFraction;
        if (request.Window is { } w)
        {
            var asOf = set.Frame.AsOf ?? request.AsOf ?? request.Options.Clock.GetUtcNow();
            var before = frame.Count;
            frame = Engine.Lifecycle.TrainingWindow.Apply(frame, w, asOf, request.Options.Seed);
            window = Engine.Lifecycle.TrainingWindow.Describe(w);
            if (request.ChangeSince is { } since)
            {
                var day = since.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                // A tree model learns the change from a marked window (an indicator it can split on, missing when it serves);
                // a linear model would only shift its intercept by it, so it learns from the new leads alone.
                var algorithm = request.Options.Trainer?.Algorithm ?? request.Options.Algorithm;
                var byIndicator = w.FollowChangeBy == Engine.Lifecycle.TrainingWindow.ByIndicator && algorithm is not (null or ModelAlgorithm.Logistic);
                if (byIndicator && Engine.Lifecycle.TrainingWindow.WithChangeIndicator(frame, since) is { } marked)
                {
                    // The hold-out is the latest share of the new leads' rows, as new_only holds out: a share of the whole window
                    // would hold out nearly all of them (in the 137-a-day year, 4,105 of about 4,900), and the model would learn
                    // the new process from the few left.
                    var column = marked.IndexOf(FeatureInfo.ChangeIndicatorName);
                    var newRows = 0;
                    for (var r = 0; r < marked.Count; r++) if (double.IsNaN(marked.Number(r, column))) newRows++;
                    testFraction = request.Options.TestFraction * newRows / marked.Count;
                    frame = marked;
                    window += $", the leads first decided before {day} (the change a performance alert found) marked by a change indicator that is missing on the leads since and on every lead served";
                }
                else if (Engine.Lifecycle.TrainingWindow.SinceChange(frame, since) is { } changed)
                {
                    frame = changed;
                    window += $", only leads first decided since {day} (the change a performance alert found)";
                }
                else progress?.Report($"training window: too few matured leads since the change of {day} (fewer than {Engine.Lifecycle.TrainingWindow.MinChangeRows} rows, or than {Engine.Lifecycle.TrainingWindow.MinChangeRows / 10} of a class); the window alone");
            }
            progress?.Report($"training window: {window}: {frame.Count} of {before} rows");
        }
        var options = request.Options with
        {
            TestFraction = testFraction,
            ExcludedFeatures = [.. request.Options.ExcludedFeatures, .. excluded],
            DataSource = $"workspace ({store.Describe()})",
            Horizon = $"{ModelCard.HorizonPrefix}{funnel.HorizonDays:0.##} days of the decision time: rows built {set.Rule})",
            CensoredRows = set.Censored,
        };
        var rows = ModelingContext.SelectRows(frame, options, progress);
        return new WorkspaceRows(rows, options, set.WithoutRows(), funnel, defs, findings, window, description, prepared.Why,
            set.Frame.Ids.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Trains on a flat table (one row per lead), with the same audit, compilation and registration.</summary>
    public async Task<TrainingRun> TrainFlatAsync(FlatTable table, FeatureFrame? test, TrainingOptions options, IReadOnlyList<string> keepFlagged,
        ImportMapping valueMapping, string? reportDirectory, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var (frame, excluded, findings) = Audit(table.Frame, [], keepFlagged, progress);
        var used = frame.Features.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var testFrame = test?.Without(test.Features.Select(f => f.Name).Where(n => !used.Contains(n)).ToHashSet(StringComparer.Ordinal));
        options = options with { ExcludedFeatures = [.. options.ExcludedFeatures, .. excluded] };
        var result = await Task.Run(() => new ModelingContext().Train(frame, options, testFrame, progress, ct), ct);
        var input = FlatModelInput.From(table.Schema, valueMapping);
        // A flat table's group values are its columns, where they are features (a column left out of the features is not read here).
        var (withFairness, groupGrades) = TrainingFairness.Apply(result, await fairness.GetAsync(ct), static (f, row, attribute) =>
            f.IndexOf(attribute) is >= 0 and var col ? (f[row, col] is { IsMissing: false } v ? v.ToString() : null) : null);
        return await RegisterAsync(withFairness, null, input, groupGrades, findings, null, reportDirectory, ct, labelMapping: valueMapping);
    }

    /// <summary>
    /// The declared attributes of the training and held-out leads as known at each row's decision time (the same point-in-time
    /// rule training uses): sensitive attributes are often not features, so they are read from the leads themselves.
    /// </summary>
    private Task<TrainingFairness.ValueAt> GroupValuesAsync(FairnessConfiguration config, TrainingResult result, CancellationToken ct) =>
        GroupValuesAsync(config, result.Test.Ids.Concat(result.Train?.Ids ?? []), ct);

    /// <summary>
    /// The fairness settings in effect and the hold-out rows as the fairness tests count them (<see cref="TrainingFairness.HoldOut"/>:
    /// each lead once, its groups as known at the row's decision time, its company as cluster), the rule the model card uses:
    /// what the promotion gate compares two models on.
    /// </summary>
    internal async Task<(FairnessConfiguration Config, TrainingFairness.FairnessRows Rows)> FairnessRowsAsync(FeatureFrame frame, CancellationToken ct = default)
    {
        var config = await fairness.GetAsync(ct);
        var valueAt = await GroupValuesAsync(config, frame.Ids, ct);
        return (config, TrainingFairness.HoldOut(frame, config, valueAt));
    }

    private async Task<TrainingFairness.ValueAt> GroupValuesAsync(FairnessConfiguration config, IEnumerable<string> rowIds, CancellationToken ct)
    {
        var wanted = config.Effective.Sensitive.Concat(config.Effective.Watch).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0) return static (_, _, _) => null;
        var ids = rowIds.ToHashSet(StringComparer.Ordinal);
        // Only the wanted attributes are kept, so the lookup stays small beside the training frames.
        Lead Trim(Lead l) => l with { Attributes = l.Attributes.Where(a => wanted.Contains(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal) };
        var leads = new Dictionary<string, Lead>(StringComparer.Ordinal);
        await foreach (var lead in store.StreamLeadsAsync(ct))
            if (ids.Contains(lead.Id)) leads[lead.Id] = Trim(lead);
        var history = new Dictionary<string, List<LeadHistoryEntry>>(StringComparer.Ordinal);
        await foreach (var h in store.StreamLeadHistoryAsync(ct))
        {
            if (!ids.Contains(h.Previous.Id)) continue;
            if (!history.TryGetValue(h.Previous.Id, out var list)) history[h.Previous.Id] = list = [];
            list.Add(h with { Previous = Trim(h.Previous) });
        }
        return (frame, row, attribute) =>
        {
            if (!leads.TryGetValue(frame.Ids[row], out var lead)) return null;
            var asOf = frame.Times.Count == frame.Count ? AttributesAsOf(history, lead, frame.Times[row]) : lead;
            return asOf.Get(attribute);
        };
    }

    /// <summary>
    /// The leakage audit and the requested exclusions: the columns to leave out, and the frame without them (or, with
    /// <paramref name="drop"/> false, the frame as it is: the training drops <see cref="TrainingOptions.ExcludedFeatures"/> itself).
    /// </summary>
    private static (FeatureFrame Frame, List<ExcludedFeature> Excluded, IReadOnlyList<LeakageFinding> Findings) Audit(
        FeatureFrame frame, IReadOnlyList<string> exclude, IReadOnlyList<string> keep, IProgress<string>? progress, bool drop = true)
    {
        var excluded = new List<ExcludedFeature>();
        foreach (var name in exclude)
        {
            if (frame.IndexOf(name) < 0) throw new LeadScoreException($"--exclude: no feature named '{name}'", "exclude");
            excluded.Add(new ExcludedFeature(name, "excluded by request"));
        }
        var findings = LeakageAudit.Run(frame);
        foreach (var f in findings)
        {
            if (keep.Contains(f.Feature, StringComparer.Ordinal))
            {
                progress?.Report($"leakage audit flagged {f.Feature} ({f.Reason}); kept as requested");
                continue;
            }
            progress?.Report($"leakage audit: excluding {f.Feature}: {f.Reason} (keep it with --keep {f.Feature})");
            excluded.Add(new ExcludedFeature(f.Feature, $"leakage audit: {f.Reason}"));
        }
        var names = excluded.Select(e => e.Feature).ToHashSet(StringComparer.Ordinal);
        return (drop && names.Count > 0 ? frame.Without(names) : frame, excluded, findings);
    }

    /// <summary>Each training lead's creation time (the reference rows' lead ages: decision time minus creation), or null without rows.</summary>
    private async Task<Func<string, DateTimeOffset?>?> CreatedAtAsync(IReadOnlyList<string>? ids, CancellationToken ct)
    {
        if (ids is null || ids.Count == 0) return null;
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var created = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var lead in store.StreamLeadsAsync(ct))
            if (wanted.Contains(lead.Id)) created[lead.Id] = lead.CreatedAt;
        return id => created.TryGetValue(id, out var c) ? c : null;
    }

    private async Task<TrainingRun> RegisterAsync(TrainingResult result, FeatureDefinitions? definitions, FlatModelInput? flat, GroupGrades? groupGrades,
        IReadOnlyList<LeakageFinding> findings, string? setDescription, string? reportDirectory, CancellationToken ct, bool championRule = true, ImportMapping? labelMapping = null,
        Func<string, DateTimeOffset?>? createdAt = null)
    {
        // The compiled scorer is what serves (and what the report explains).
        var compiled = ModelArtifact.Compile(result.Model);
        // The reference travels with the model, so monitoring compares live leads with what this version learned from.
        // The labels in effect now travel with the model (a flat table's mapping's over the workspace's).
        var labels = FeatureLabels.FromMapping(labelMapping).Over(await Ingestion.LabelSettings.GetAsync(store, ct));
        var registration = await registry.RegisterAsync(result, _ => ModelArtifact.ServingEntries(compiled, definitions, flat, groupGrades, labels)
            .Concat(ModelArtifact.ReferenceEntries(result, createdAt: createdAt)).ToDictionary(kv => kv.Key, kv => kv.Value), ct, championRule);
        var card = result.Model.Card with { Version = registration.Version };
        string? report = null;
        if (reportDirectory is not null)
            report = HtmlReport.Write(Path.GetFullPath(reportDirectory), result with { Model = result.Model.WithCard(card) }, compiled, labels);
        return new TrainingRun { Result = result, Registration = registration, Card = card, Leakage = findings, TrainingSetDescription = setDescription, ReportPath = report };
    }
}
