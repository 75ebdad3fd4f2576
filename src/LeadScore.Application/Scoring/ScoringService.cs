using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.Engine.Scoring;

namespace LeadScore.Application.Scoring;

/// <summary>
/// Scores leads with the champion of the <see cref="ServingModels"/> set. Models are immutable and the set is
/// swapped atomically on <see cref="ReloadAsync"/>, so scoring never waits on a promotion. Online scoring
/// (<see cref="Score"/>) touches no database: enrichment comes from a snapshot refreshed whenever the shared
/// enrichment version changes (any instance's import bumps it); stored leads (<see cref="RescoreAsync"/>) read fresh data.
/// Every probability handed out or stored is logged here (the one hook of the prediction log, <see cref="PredictionLogger"/>),
/// with the challenger and shadow slots scored beside the champion when they are loaded (logged, never returned).
/// </summary>
public sealed class ScoringService(ILeadStore store, ServingModels serving, TimeProvider time, Governance.ProfilingOptOuts optOuts, PredictionLogger log) : IScoringService
{
    /// <summary>The id an API lead without one is scored under; such predictions are logged without a lead id.</summary>
    public const string AnonymousLeadId = "adhoc";

    private volatile IReadOnlyDictionary<string, IReadOnlyList<Enrichment>> _enrichment = new Dictionary<string, IReadOnlyList<Enrichment>>();
    private long _enrichmentVersion = -1;

    /// <summary>The enrichment snapshot online scoring reads, and the version it holds (tests compare it with the store).</summary>
    internal (IReadOnlyDictionary<string, IReadOnlyList<Enrichment>> Records, long Version) EnrichmentSnapshot => (_enrichment, Interlocked.Read(ref _enrichmentVersion));

    public string? ChampionVersion => serving.Champion?.Version;

    /// <summary>The loaded champion, or null.</summary>
    public ServableModel? Champion => serving.Champion;

    public ServingModels Serving => serving;

    public ServableModel RequireChampion() => serving.RequireChampion();

    /// <summary>Re-reads the serving aliases and the enrichment version; returns whether the serving set changed.</summary>
    public async Task<bool> ReloadAsync(CancellationToken ct = default)
    {
        var changed = await serving.ReloadAsync(ct);
        await optOuts.RefreshIfChangedAsync(ct);
        if (serving.Champion?.Features.UsesHistory == true)
        {
            var version = await store.GetSettingVersionAsync(SettingNames.EnrichmentVersion, ct);
            if (version != Interlocked.Read(ref _enrichmentVersion)) await RefreshEnrichmentAsync(ct);
        }
        return changed;
    }

    /// <summary>Reloads the enrichment snapshot used by online scoring (after enrichment imports, here or on another instance).</summary>
    public async Task RefreshEnrichmentAsync(CancellationToken ct = default)
    {
        var version = await store.GetSettingVersionAsync(SettingNames.EnrichmentVersion, ct);
        var map = new Dictionary<string, List<Enrichment>>(StringComparer.OrdinalIgnoreCase);
        await foreach (var e in store.StreamEnrichmentAsync(ct))
        {
            if (!map.TryGetValue(e.Domain, out var list)) map[e.Domain] = list = [];
            list.Add(e);
        }
        _enrichment = map.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Enrichment>)kv.Value, StringComparer.OrdinalIgnoreCase);
        Interlocked.Exchange(ref _enrichmentVersion, version);
    }

    /// <summary>Most touched domains an import's refresh reads one by one; above it the whole table is read again.</summary>
    public const int DomainRefreshLimit = 2_000;

    /// <summary>
    /// After an enrichment import here: only the touched domains' records are read (by key) when the import's version bump
    /// directly follows the snapshot's, so no import elsewhere is missing from it; otherwise, or for an import of more than
    /// <see cref="DomainRefreshLimit"/> domains, the whole table. A day's import of a few hundred companies then costs as
    /// many key lookups, not a pass over every company's history: in the 137-leads-a-day simulated year, the table grows to
    /// about 250,000 records, and reading it after each daily import was most of the enrichment phase's 622 CPU-s.
    /// </summary>
    public async Task RefreshEnrichmentAsync(IReadOnlyCollection<string> domains, long savedVersion, CancellationToken ct = default)
    {
        var current = Interlocked.Read(ref _enrichmentVersion);
        if (current < 0 || savedVersion != current + 1 || domains.Count > DomainRefreshLimit)
        {
            await RefreshEnrichmentAsync(ct);
            return;
        }
        var map = new Dictionary<string, IReadOnlyList<Enrichment>>(_enrichment, StringComparer.OrdinalIgnoreCase);
        foreach (var domain in domains)
        {
            var records = await store.GetEnrichmentAsync(domain, ct);
            if (records.Count == 0) map.Remove(domain);
            else map[domain] = records;
        }
        _enrichment = map;
        Interlocked.Exchange(ref _enrichmentVersion, savedVersion);
    }

    public LeadScoreResult Score(Lead lead, IReadOnlyList<Activity> activities, bool explain, DateTimeOffset asOf)
    {
        // A stored lead's opt-out counts for a lead sent with its id (POST /score): the set is in memory, no database read.
        if (lead.ProfilingOptOut || optOuts.Contains(lead.Id)) throw new Governance.ProfilingOptOutException(lead.Id);
        var model = RequireChampion();
        var ordered = IsOrdered(activities) ? activities : activities.OrderBy(a => a.Timestamp).ThenBy(a => a.EventId, StringComparer.Ordinal).ToList();
        var set = serving.Current;
        // Split mode: a sticky share of leads is served by the challenger; both are scored (and logged) either way.
        var routed = set.RoutesToChallenger(lead.Id);
        var result = ScoreOnline(model, lead, ordered, asOf, explain && !routed, PredictionSlots.Champion);
        if (set.Challenger is { } challenger)
        {
            var theirs = ScoreOnline(challenger, lead, ordered, asOf, explain && routed, PredictionSlots.Challenger);
            if (routed) result = theirs with { Slot = PredictionSlots.Challenger };
        }
        foreach (var shadow in set.Shadows) ScoreOnline(shadow, lead, ordered, asOf, false, PredictionSlots.Shadow);
        return result;
    }

    private LeadScoreResult ScoreOnline(ServableModel model, Lead lead, IReadOnlyList<Activity> ordered, DateTimeOffset asOf, bool explain, string slot)
    {
        var domain = model.Features.EnrichmentDomain(lead);
        var enrichment = domain is not null && _enrichment.TryGetValue(domain, out var e) ? e : [];
        var row = model.Row(lead, ordered, enrichment, asOf);
        var result = model.Engine.Score(lead.Id, row, explain);
        log.Log(time.GetUtcNow(), lead.Id == AnonymousLeadId ? null : lead.Id, model, slot, result.Probability, result.Grade, PredictionSources.Api, row);
        return result;
    }

    /// <summary>The loaded non-champion slots, for logging their predictions beside the champion's.</summary>
    private IEnumerable<(ServableModel Model, string Slot)> OtherSlots(ServingSet set)
    {
        if (set.Challenger is { } c) yield return (c, PredictionSlots.Challenger);
        foreach (var s in set.Shadows) yield return (s, PredictionSlots.Shadow);
    }

    /// <summary>Scores a stored lead with the other slots' models and logs them (their scores are not stored).</summary>
    private async Task LogOtherSlotsAsync(ServingSet set, Lead lead, IReadOnlyList<Activity> activities, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var (m, slot) in OtherSlots(set))
        {
            var domain = m.Features.EnrichmentDomain(lead);
            var enrichment = domain is null ? [] : await store.GetEnrichmentAsync(domain, ct);
            var row = m.Row(lead, m.Features.UsesHistory ? activities : [], enrichment, now);
            var p = m.Engine.Score(lead.Id, row, explain: false);
            await log.LogBulkAsync(now, lead.Id, m, slot, p.Probability, p.Grade, PredictionSources.Rescore, row, ct);
        }
    }

    /// <summary>A stored lead's score from a split challenger (the lead is in its share), with reasons.</summary>
    private async Task<LeadScoreResult> ScoreStoredAsync(ServableModel m, Lead lead, IReadOnlyList<Activity> activities, DateTimeOffset now, CancellationToken ct)
    {
        var domain = m.Features.EnrichmentDomain(lead);
        var enrichment = domain is null ? [] : await store.GetEnrichmentAsync(domain, ct);
        return m.Engine.Score(lead.Id, m.Row(lead, m.Features.UsesHistory ? activities : [], enrichment, now), explain: true) with { Slot = PredictionSlots.Challenger };
    }

    private static bool IsOrdered(IReadOnlyList<Activity> a)
    {
        for (var i = 1; i < a.Count; i++) if (a[i].Timestamp < a[i - 1].Timestamp) return false;
        return true;
    }

    public async Task<IReadOnlyList<ScoreChange>> RescoreAsync(IReadOnlyList<string> leadIds, ScoreCause cause, CancellationToken ct = default)
    {
        var set = serving.Current;
        var model = set.Champion;
        if (model is null || leadIds.Count == 0) return [];
        var now = time.GetUtcNow();
        var changes = new List<ScoreChange>();
        var toSave = new List<StoredScore>();
        foreach (var id in leadIds.Distinct(StringComparer.Ordinal))
        {
            var lead = await store.GetLeadAsync(id, ct);
            if (lead is null || lead.ProfilingOptOut) continue;
            var others = set.Challenger is not null || set.Shadows.Count > 0;
            var activities = model.Features.UsesHistory || others ? await store.GetActivitiesAsync(id, now, ct) : [];
            var domain = model.Features.EnrichmentDomain(lead);
            var enrichment = domain is null ? [] : await store.GetEnrichmentAsync(domain, ct);
            var row = model.Row(lead, model.Features.UsesHistory ? activities : [], enrichment, now);
            var result = model.Engine.Score(lead.Id, row, explain: true);
            await log.LogBulkAsync(now, lead.Id, model, PredictionSlots.Champion, result.Probability, result.Grade, PredictionSources.Rescore, row, ct);
            if (others) await LogOtherSlotsAsync(set, lead, activities, now, ct);
            if (set.RoutesToChallenger(lead.Id)) result = await ScoreStoredAsync(set.Challenger!, lead, activities, now, ct);
            var previous = await store.GetLatestScoreAsync(id, ct);
            var stored = ToStored(result, now, cause);
            toSave.Add(stored);
            changes.Add(new ScoreChange(previous, stored));
        }
        await store.SaveScoresAsync(toSave, ct);
        return changes;
    }

    /// <summary>
    /// Scores every stored lead in one pass over the store's streams (leads by id, activities by lead then time),
    /// saving in batches. Returns how many leads were scored.
    /// </summary>
    public async Task<int> RescoreAllAsync(ScoreCause cause, IProgress<double>? progress = null, CancellationToken ct = default,
        Func<IReadOnlyList<ScoreChange>, CancellationToken, Task>? onChanges = null, IReadOnlySet<string>? only = null, LeadIdRange? range = null,
        RescoreChunkSink? sink = null)
    {
        var size = sink?.ChunkSize ?? ChunkSize;
        var model = RequireChampion();
        var now = time.GetUtcNow();
        // A range's size is not counted (one more query per range); its job's parent reports progress by ranges done.
        var total = range is null ? Math.Max(1, await store.CountLeadsAsync(ct)) : long.MaxValue;
        // As time passes only open leads change meaning: a won or lost lead's last score is the one made before its
        // outcome, kept for monitoring, and re-scoring it would overwrite that with a grade a seller cannot act on. The store
        // filters them out, so a time-passing round reads only the open leads, their activities before now and their scores:
        // its cost follows the open leads, not everything stored (closed leads pile up day after day).
        var openOnly = cause == ScoreCause.TimePassing;
        var r = range ?? LeadIdRange.All;
        // A set of leads (an import's touched leads) is read by id, not by streaming the whole store past a filter.
        var byIds = only is not null && range is null && !openOnly;
        // Company data: the snapshot online scoring uses, refreshed first when an import (here or elsewhere) changed it, so
        // every re-score round does not read the whole enrichment table again.
        IReadOnlyDictionary<string, IReadOnlyList<Enrichment>> enrichment = new Dictionary<string, IReadOnlyList<Enrichment>>();
        if (model.Features.UsesHistory)
        {
            if (await store.GetSettingVersionAsync(SettingNames.EnrichmentVersion, ct) != Interlocked.Read(ref _enrichmentVersion)) await RefreshEnrichmentAsync(ct);
            enrichment = _enrichment;
        }
        var activityStream = !model.Features.UsesHistory ? EmptyActivities()
            : openOnly ? store.StreamActivitiesOfOpenLeadsAsync(r, now, ct)
            : byIds ? store.StreamActivitiesAsync(only!, now, ct)
            : range is null ? store.StreamActivitiesAsync(ct) : store.StreamActivitiesAsync(range, ct);
        await using var acts = activityStream.GetAsyncEnumerator(ct);
        var hasAct = await acts.MoveNextAsync();
        // Previous scores come from a third stream in the same order, so changes are known without a query per lead.
        var previousStream = onChanges is null && sink is null && !openOnly ? EmptyScores()
            : openOnly ? store.StreamLatestScoresOfOpenLeadsAsync(r, ct)
            : byIds ? store.StreamLatestScoresAsync(only!, ct)
            : range is null ? store.StreamLatestScoresAsync(ct) : store.StreamLatestScoresAsync(range, ct);
        await using var previous = previousStream.GetAsyncEnumerator(ct);
        var hasPrev = await previous.MoveNextAsync();
        // Reading is sequential (one pass over both streams); scoring with reasons runs in parallel per chunk.
        var chunk = new List<(Lead Lead, List<Activity> Activities, IReadOnlyList<Enrichment> Enrichment, StoredScore? Previous)>(size);
        var scored = 0;
        var seen = 0;
        await foreach (var lead in openOnly ? store.StreamOpenLeadsAsync(r, ct) : byIds ? store.StreamLeadsAsync(only!, ct) : range is null ? store.StreamLeadsAsync(ct) : store.StreamLeadsAsync(range, ct))
        {
            seen++;
            var mine = new List<Activity>();
            // Both streams are ordered by lead id.
            while (hasAct && string.CompareOrdinal(acts.Current.LeadId, lead.Id) < 0) hasAct = await acts.MoveNextAsync();
            while (hasAct && acts.Current.LeadId == lead.Id)
            {
                if (acts.Current.Timestamp < now) mine.Add(acts.Current);
                hasAct = await acts.MoveNextAsync();
            }
            while (hasPrev && string.CompareOrdinal(previous.Current.LeadId, lead.Id) < 0) hasPrev = await previous.MoveNextAsync();
            var prev = hasPrev && previous.Current.LeadId == lead.Id ? previous.Current : null;
            if (lead.ProfilingOptOut || (only is not null && !only.Contains(lead.Id))) continue;
            var domain = model.Features.EnrichmentDomain(lead);
            chunk.Add((lead, mine, domain is not null && enrichment.TryGetValue(domain, out var el) ? el : [], prev));
            if (chunk.Count == size)
            {
                scored += await ScoreChunkAsync(model, chunk, now, cause, onChanges, sink, ct);
                progress?.Report((double)seen / total);
            }
        }
        scored += await ScoreChunkAsync(model, chunk, now, cause, onChanges, sink, ct);
        progress?.Report(1);
        return scored;
    }

    private const int ChunkSize = 2000;

    private async Task<int> ScoreChunkAsync(ServableModel model, List<(Lead Lead, List<Activity> Activities, IReadOnlyList<Enrichment> Enrichment, StoredScore? Previous)> chunk,
        DateTimeOffset now, ScoreCause cause, Func<IReadOnlyList<ScoreChange>, CancellationToken, Task>? onChanges, RescoreChunkSink? sink, CancellationToken ct)
    {
        if (chunk.Count == 0) return 0;
        var results = new StoredScore[chunk.Count];
        // The champion's own figures: what it predicted, logged under its slot even where a split challenger serves the lead.
        var championOwn = new StoredScore[chunk.Count];
        var rows = new FeatureValue[chunk.Count][];
        var set = serving.Current;
        var others = OtherSlots(set).Where(o => o.Model != model).ToArray();
        var otherResults = new (double Probability, string Grade, FeatureValue[] Row)[others.Length, chunk.Count];
        // As time passes, a lead's stored score is kept when nothing about it can have changed (see Keep): no reasons are
        // computed and nothing is written for it; the changes list carries it as unchanged (a range's checkpoint still moves).
        var keep = new Keep[chunk.Count];
        var timePassing = cause == ScoreCause.TimePassing;
        Parallel.For(0, chunk.Count, new ParallelOptions { CancellationToken = ct }, i =>
        {
            var (lead, activities, enrichment, prev) = chunk[i];
            // The champion serves the lead and scored it last (not a split challenger, not an older model).
            var sameServer = timePassing && prev is not null && prev.ModelVersion == model.Version && !set.RoutesToChallenger(lead.Id);
            if (sameServer && prev!.ScoredAt >= now)
            {
                // Scored at this very instant already (the day's import re-scored it), with the data as of now: the same row,
                // the same score, and its predictions are in the log.
                keep[i] = Keep.ScoredNow;
                results[i] = prev;
                return;
            }
            rows[i] = model.Row(lead, activities, enrichment, now);
            if (sameServer)
            {
                // Reasons are the costly part: the plain score first, and when its 0-100 score and grade are the stored ones the
                // stored score stands, whole (probability, reasons and time from one scoring): what a person sees, lists and
                // webhooks did not change, and the prediction is still logged with today's exact probability (monitoring reads
                // the lead at its age). Until 2026-12-04 the probability had to be bit-identical: in the 137-a-day year about
                // half the open leads were then re-explained and written each day, three in four with the same score and grade.
                var plain = model.Engine.Score(lead.Id, rows[i], explain: false);
                if (plain.Score == prev!.Score && plain.Grade == prev.Grade)
                {
                    keep[i] = Keep.Unchanged;
                    championOwn[i] = ToStored(plain, now, cause);
                    results[i] = prev;
                }
            }
            if (keep[i] == Keep.No) results[i] = championOwn[i] = ToStored(model.Engine.Score(lead.Id, rows[i], explain: true), now, cause);
            for (var o = 0; o < others.Length; o++)
            {
                // The other slots' models read the champion's streams (activities and enrichment when the champion uses them).
                var m = others[o].Model;
                var domain = m.Features.EnrichmentDomain(lead);
                var row = m.Row(lead, activities, domain is null ? [] : enrichment, now);
                var routed = others[o].Slot == PredictionSlots.Challenger && set.RoutesToChallenger(lead.Id);
                var r = m.Engine.Score(lead.Id, row, explain: routed);
                otherResults[o, i] = (r.Probability, r.Grade, row);
                if (routed) results[i] = ToStored(r, now, cause);
            }
        });
        var changes = onChanges is null && sink is null ? null : chunk.Select((c, i) => new ScoreChange(c.Previous, results[i]) { Unchanged = keep[i] != Keep.No }).ToList();
        // A sink commits the chunk with its own state (a range job's checkpoint and webhooks); the log follows what was saved.
        if (sink is not null) await sink.Save(changes!, ct);
        else await store.SaveScoresAsync(results.Where((_, i) => keep[i] == Keep.No).ToList(), ct);
        for (var i = 0; i < results.Length; i++)
        {
            if (keep[i] == Keep.ScoredNow) continue;
            await log.LogBulkAsync(now, results[i].LeadId, model, PredictionSlots.Champion, championOwn[i].Probability, championOwn[i].Grade, PredictionSources.Rescore, rows[i], ct);
            for (var o = 0; o < others.Length; o++)
                await log.LogBulkAsync(now, results[i].LeadId, others[o].Model, others[o].Slot, otherResults[o, i].Probability, otherResults[o, i].Grade, PredictionSources.Rescore, otherResults[o, i].Row, ct);
        }
        if (sink is null && onChanges is not null) await onChanges(changes!.Where(c => !c.Unchanged).ToList(), ct);
        var n = chunk.Count;
        chunk.Clear();
        return n;
    }

    /// <summary>Whether a time-passing re-score keeps a lead's stored score.</summary>
    private enum Keep : byte
    {
        /// <summary>Scored anew with reasons, saved and logged.</summary>
        No,
        /// <summary>The same model gave the same 0-100 score and grade: logged with its probability, not saved, no reasons.</summary>
        Unchanged,
        /// <summary>Already scored by the same model at this instant: neither scored again nor logged.</summary>
        ScoredNow,
    }

    private static async IAsyncEnumerable<StoredScore> EmptyScores()
    {
        await Task.CompletedTask;
        yield break;
    }

    private static async IAsyncEnumerable<Activity> EmptyActivities()
    {
        await Task.CompletedTask;
        yield break;
    }

    private static StoredScore ToStored(LeadScoreResult r, DateTimeOffset at, ScoreCause cause) => new()
    {
        LeadId = r.LeadId,
        Probability = r.Probability,
        Score = r.Score,
        Grade = r.Grade,
        ModelVersion = r.ModelVersion,
        ScoredAt = at,
        Cause = cause,
        ReasonsJson = StoredReasons.Write(r.Reasons),
    };
}

/// <summary>
/// How a re-score saves its chunks when each must be committed together with the caller's own state: a range job commits
/// every chunk's scores, webhook deliveries and checkpoint in one transaction (<see cref="IJobQueue.CommitJobChunkAsync"/>).
/// <see cref="Save"/> replaces the plain save and the <c>onChanges</c> callback; a chunk holds at most <see cref="ChunkSize"/> leads.
/// </summary>
public sealed record RescoreChunkSink(Func<IReadOnlyList<ScoreChange>, CancellationToken, Task> Save, int ChunkSize);
