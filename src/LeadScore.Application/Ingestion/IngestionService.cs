using System.Text.Json;
using LeadScore.Application.Scoring;
using LeadScore.Application.Webhooks;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;

namespace LeadScore.Application.Ingestion;

/// <summary>An import and what it caused: the leads re-scored and the webhook deliveries queued for their changes.</summary>
public sealed record IngestResult(ImportSummary Summary, int Rescored, int WebhooksQueued)
{
    /// <summary>Stored leads re-scored because the mapping changed the labels (same scores, reasons worded anew).</summary>
    public int Reworded { get; init; }
}

/// <summary>
/// The one owner of "new data arrived", from a file (CLI) or the API: store it (<see cref="ImportService"/>), then
/// re-score the leads it touched with the champion (cause new data) and queue webhooks for the changes. Enrichment
/// bumps the shared enrichment version, so every instance refreshes the company data online scoring uses, and
/// re-scores the leads of those domains (matched by the champion's own domain rule, the one scoring uses).
/// </summary>
public sealed class IngestionService(ImportService import, IScoringService scoring, WebhookNotifier notifier, ILeadStore store, TimeProvider time)
{
    /// <summary>
    /// Above this many touched leads, the leads are read by id in batches (three queries per 500 leads, company data from the
    /// snapshot, reasons computed in parallel) rather than four queries per lead one after the other: an API call's few
    /// leads take the direct path, a file's hundreds the batched one.
    /// </summary>
    private const int PerLeadRescoreLimit = 16;

    public ImportService Importer => import;

    /// <param name="allowErased">Import rows of erased leads too (and remove their tombstones); by default they are skipped and counted.</param>
    public async Task<IngestResult> ImportFileAsync(ImportPlan plan, string path, IProgress<double>? progress = null,
        int batchSize = ImportPipeline.DefaultBatchSize, CancellationToken ct = default, bool allowErased = false) =>
        await AfterImportAsync(await import.ImportPlannedAsync(plan, path, progress, batchSize, ct, allowErased), ct);

    public async Task<IngestResult> ImportItemsAsync(ImportKind kind, IReadOnlyList<JsonElement> items, CancellationToken ct = default) =>
        await AfterImportAsync(await import.ImportItemsAsync(kind, items, ct), ct);

    public async Task<IngestResult> RetryQuarantineAsync(string? importId, ImportMapping? mapping, CancellationToken ct = default) =>
        await AfterImportAsync(await import.RetryQuarantineAsync(importId, mapping, ct), ct);

    private async Task<IngestResult> AfterImportAsync(ImportSummary summary, CancellationToken ct)
    {
        var result = await AfterDataAsync(summary, ct);
        if (!summary.LabelsChanged) return result;
        // Labels are presentation only: same scores, reasons worded anew, so every stored lead's reasons follow them.
        await scoring.ReloadAsync(ct);
        if (scoring.ChampionVersion is null) return result;
        var queued = 0;
        var all = await scoring.RescoreAllAsync(ScoreCause.Labels, null, ct, async (changes, c) => queued += await notifier.NotifyAsync(changes, c));
        return result with { WebhooksQueued = result.WebhooksQueued + queued, Reworded = all };
    }

    private async Task<IngestResult> AfterDataAsync(ImportSummary summary, CancellationToken ct)
    {
        if (summary.Accepted == 0) return new IngestResult(summary, 0, 0);
        // Training sets built before this import are stale (train rebuilds instead of reusing the stored one).
        await store.SaveSettingAsync(SettingNames.DataVersion, "{}", time.GetUtcNow(), ct);
        if (summary.TouchedDomains.Count > 0)
        {
            var saved = await store.SaveSettingAsync(SettingNames.EnrichmentVersion, "{}", time.GetUtcNow(), ct);
            await scoring.RefreshEnrichmentAsync(summary.TouchedDomains, saved, ct);
        }
        await scoring.ReloadAsync(ct);
        if (scoring.ChampionVersion is null) return new IngestResult(summary, 0, 0);
        var ids = new HashSet<string>(summary.TouchedLeads, StringComparer.Ordinal);
        if (summary.TouchedDomains.Count > 0) await AddLeadsOfDomainsAsync(ids, summary.TouchedDomains, ct);
        await RemoveClosedAsync(ids, ct);
        if (ids.Count == 0) return new IngestResult(summary, 0, 0);
        if (ids.Count <= PerLeadRescoreLimit)
        {
            var changes = await scoring.RescoreAsync(ids.ToList(), ScoreCause.NewData, ct);
            return new IngestResult(summary, changes.Count, await notifier.NotifyAsync(changes, ct));
        }
        var queued = 0;
        var n = await scoring.RescoreAllAsync(ScoreCause.NewData, null, ct, async (changes, c) => queued += await notifier.NotifyAsync(changes, c), ids);
        return new IngestResult(summary, n, queued);
    }

    /// <summary>
    /// Leaves out the leads that are won or lost now (their latest outcome, <see cref="Scoring.LeadStatusRule"/>): a closed lead
    /// keeps its last score before the outcome, for monitoring and for what the seller saw, as time passing leaves it too. So
    /// the outcome an import brings does not overwrite that score, nor do the activities or company data arriving after it
    /// (a customer's onboarding); a lead reopened is open again and re-scored.
    /// </summary>
    private async Task RemoveClosedAsync(HashSet<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        var ofLead = new List<Outcome>();
        string? current = null;
        void Decide()
        {
            if (current is not null && LeadStatusRule.KindOf(ofLead) != LeadStatus.Open) ids.Remove(current);
            ofLead.Clear();
        }
        // Ordered by lead id, so one lead's outcomes come together.
        await foreach (var o in store.StreamOutcomesAsync(ids.ToList(), ct))
        {
            if (o.LeadId != current) { Decide(); current = o.LeadId; }
            ofLead.Add(o);
        }
        Decide();
    }

    private async Task AddLeadsOfDomainsAsync(HashSet<string> ids, IReadOnlySet<string> domains, CancellationToken ct)
    {
        var champion = scoring.Champion;
        if (champion is null || !champion.Features.UsesHistory) return;
        // Only the open leads: a won or lost lead keeps its last score before the outcome (RemoveClosedAsync), so closed leads,
        // which pile up day after day, are not read at all.
        await foreach (var lead in store.StreamOpenLeadsAsync(LeadIdRange.All, ct))
            if (champion.Features.EnrichmentDomain(lead) is { } d && domains.Contains(d)) ids.Add(lead.Id);
    }
}
