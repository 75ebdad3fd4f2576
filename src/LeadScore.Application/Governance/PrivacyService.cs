using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Application.Features;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Governance;

/// <summary>What an erasure did.</summary>
public sealed record ErasureResult
{
    public required string LeadId { get; init; }
    /// <summary>False when nothing about the lead was stored (nothing was changed, no tombstone written).</summary>
    public required bool Erased { get; init; }
    /// <summary>Model versions trained with the lead: their parameters cannot be edited; the next training leaves the lead out.</summary>
    public required IReadOnlyList<string> ModelsTrainedWith { get; init; }
    /// <summary>Files under the workspace rewritten without the lead's lines.</summary>
    public IReadOnlyList<string> FilesEdited { get; init; } = [];
    /// <summary>Files under the workspace naming the lead that could not be edited, so were deleted.</summary>
    public IReadOnlyList<string> FilesDeleted { get; init; } = [];
    /// <summary>What cannot be edited and what happens instead.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>
/// The rights of the person (GDPR art. 15, 17, 20, 21; CCPA delete and opt-out), one owner for the CLI
/// (<c>./leadscore privacy</c>) and the API (<c>/api/v1/privacy</c>): erase, export, opt out of and back into profiling.
/// Each action leaves one audit entry.
/// </summary>
public sealed class PrivacyService(ILeadStore store, PrivacyKeys keys, AuditLog audit, ProfilingOptOuts optOuts, WorkspaceFiles files, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// Removes every row about the lead (one transaction, schema-driven) and records a tombstone (a keyed hash of the id);
    /// then the files under the workspace that name it. Lists the models trained with it.
    /// </summary>
    /// <exception cref="NotFoundException">Nothing about the lead is stored (and it was never erased).</exception>
    public async Task<ErasureResult> EraseAsync(string leadId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leadId);
        var tombstone = await keys.LeadIdHashAsync(leadId, ct);
        var lead = await store.GetLeadAsync(leadId, ct);
        var models = await store.GetModelsTrainedWithAsync(leadId, ct);
        var erased = await store.EraseLeadAsync(leadId, tombstone, ct);
        if (!erased)
        {
            if ((await store.GetErasureTombstonesAsync(ct)).Contains(tombstone))
                return new ErasureResult { LeadId = leadId, Erased = false, ModelsTrainedWith = [], Notes = ["the lead was already erased"] };
            throw new NotFoundException($"nothing is stored about lead '{leadId}'");
        }
        var values = lead is null ? [] : new[] { lead.Get(LeadFields.Email), lead.Get(LeadFields.Phone) }.OfType<string>().ToList();
        var fileResult = await WorkspaceFileEraser.EraseAsync(files.Directory, leadId, values, ct);
        await optOuts.ChangedAsync(ct);
        var notes = new List<string>
        {
            "built training sets (feature snapshots) were dropped: they hold every lead's row; the next 'features build' or training rebuilds them without this lead",
            "a tombstone (a keyed hash of the id, not the id) stops a re-import of the same file from bringing the lead back (import --allow-erased to override)",
        };
        if (models.Count > 0)
            notes.Add($"model versions trained with the lead keep their learned parameters (they cannot be edited): {string.Join(", ", models)}; train again to replace them");
        if (store.Backend == "postgresql")
            notes.Add("PostgreSQL keeps the deleted row versions in its files until vacuum reuses them, and in WAL archives and backups until they rotate");
        if (files.Directory is null) notes.Add("this process has no workspace folder: files written elsewhere (score outputs, exports) are not searched");
        await audit.RecordLeadAsync(AuditActions.Erase, leadId, new Dictionary<string, object?>
        {
            ["models_trained_with"] = models, ["files_edited"] = fileResult.Edited.Count, ["files_deleted"] = fileResult.Deleted.Count,
        }, ct: ct);
        return new ErasureResult
        {
            LeadId = leadId, Erased = true, ModelsTrainedWith = models, FilesEdited = fileResult.Edited, FilesDeleted = fileResult.Deleted, Notes = notes,
        };
    }

    /// <summary>Everything held about the lead as one JSON document (GDPR art. 15 and 20).</summary>
    /// <exception cref="NotFoundException">No such lead.</exception>
    public async Task<string> ExportAsync(string leadId, CancellationToken ct = default)
    {
        var lead = await store.GetLeadAsync(leadId, ct) ?? throw new NotFoundException($"lead '{leadId}' not found");
        var history = await store.GetLeadHistoryAsync(leadId, ct);
        var activities = await store.GetActivitiesAsync(leadId, null, ct);
        var outcomes = await store.GetOutcomesAsync(leadId, ct);
        var latest = await store.GetLatestScoreAsync(leadId, ct);
        var scores = await store.GetScoreHistoryAsync(leadId, ct);
        var trainedWith = await store.GetModelsTrainedWithAsync(leadId, ct);
        var quarantined = new List<object>();
        await foreach (var q in store.StreamQuarantineAsync(null, includeResolved: true, ct))
            if (q.LeadId == leadId)
                quarantined.Add(new { q.File, q.Line, q.Column, q.Reason, q.Raw, q.CreatedAt, q.Resolved });
        var document = new
        {
            Kind = "leadscore.privacy_export",
            ExportedAt = time.GetUtcNow(),
            Lead = new { lead.Id, lead.CreatedAt, lead.UpdatedAt, lead.ProfilingOptOut, lead.Attributes },
            AttributeHistory = history.Select(h => new { h.ReplacedAt, h.Previous.CreatedAt, h.Previous.Attributes }),
            Activities = activities.Select(a => new { a.EventId, a.Type, a.Timestamp, a.Url, a.Value, a.Properties }),
            Outcomes = outcomes.Select(o => new { o.Kind, o.At }),
            LatestScore = latest is null ? null : ScoreView.From(latest),
            ScoreHistory = scores.Select(s => ScoreView.From(s)),
            ScoredByModels = scores.Select(s => s.ModelVersion).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal),
            InTrainingSetOf = trainedWith,
            Quarantined = quarantined,
        };
        await audit.RecordLeadAsync(AuditActions.PrivacyExport, leadId, ct: ct);
        return JsonSerializer.Serialize(document, Json);
    }

    /// <summary>The reason a cancelled webhook delivery records.</summary>
    public const string OptedOutReason = "cancelled: the lead opted out of profiling after this was queued";

    /// <summary>Opts the lead out of profiling (art. 21): not scored, re-scored, trained on or sent to webhooks; or back in.</summary>
    /// <exception cref="NotFoundException">No such lead.</exception>
    public async Task SetOptOutAsync(string leadId, bool optOut, CancellationToken ct = default)
    {
        await store.SetProfilingOptOutAsync(leadId, optOut, ct);
        await optOuts.ChangedAsync(ct);
        // What was queued for the lead before it opted out is not sent either: cancelled, with the reason kept on the delivery.
        var cancelled = optOut ? await store.CancelPendingDeliveriesOfLeadAsync(leadId, OptedOutReason, time.GetUtcNow(), ct) : 0;
        await audit.RecordLeadAsync(optOut ? AuditActions.OptOut : AuditActions.OptIn, leadId,
            optOut ? new Dictionary<string, object?> { ["webhook_deliveries_cancelled"] = cancelled } : null, ct: ct);
    }
}
