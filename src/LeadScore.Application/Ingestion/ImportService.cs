using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;

namespace LeadScore.Application.Ingestion;

/// <summary>Why one row or API item was rejected: its line (file) or index (API), the field, the reason.</summary>
public sealed record ImportItemError(long Index, string? Field, string Reason);

/// <summary>Outcomes stored in all, by kind (what training has to learn from).</summary>
public sealed record OutcomeTotals(long Converted, long Lost);

/// <summary>
/// What an import did. Rows read = accepted + rejected, always; accepted = inserted + updated + unchanged.
/// </summary>
public sealed record ImportSummary
{
    public required string ImportId { get; init; }
    public required string Kind { get; init; }
    /// <summary>The file imported, or "api" for items posted to the API.</summary>
    public required string Source { get; init; }
    public long RowsRead { get; init; }
    /// <summary>Rows skipped because their lead was erased (import --allow-erased brings them back).</summary>
    public long ErasedSkipped { get; init; }
    public long Accepted => Inserted + Updated + Unchanged;
    public long Inserted { get; init; }
    public long Updated { get; init; }
    public long Unchanged { get; init; }
    public long Rejected { get; init; }
    /// <summary>Outcomes written from a leads file's target column (inserted; re-imports add none).</summary>
    public long OutcomesInserted { get; init; }
    /// <summary>
    /// Outcomes accepted for lead ids the store holds no lead for yet. They are kept (outcomes have no foreign key, and CRM
    /// exports arrive out of order) and apply once the lead is imported.
    /// </summary>
    public long PendingOutcomes { get; init; }
    /// <summary>The first <see cref="ImportService.MaxErrorsInSummary"/> lead ids of <see cref="PendingOutcomes"/>, in file order.</summary>
    public IReadOnlyList<string> PendingLeadIds { get; init; } = [];
    /// <summary>The mapping's display names or value labels changed the workspace's: stored reasons are re-worded.</summary>
    public bool LabelsChanged { get; init; }
    /// <summary>
    /// After an outcomes import: how many converted and lost outcomes the store holds in all, so the caller can say what
    /// training still lacks (it needs both). Null for other kinds.
    /// </summary>
    public OutcomeTotals? StoredOutcomes { get; init; }
    /// <summary>Rejected rows (files: the first <see cref="ImportService.MaxErrorsInSummary"/>; API: every item).</summary>
    public IReadOnlyList<ImportItemError> Errors { get; init; } = [];
    /// <summary>The column schema used (given by the mapping or inferred).</summary>
    public IReadOnlyList<ColumnSchema> Schema { get; init; } = [];
    public double Seconds { get; init; }
    /// <summary>Leads the accepted rows belong to (their scores may change).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string> TouchedLeads { get; init; } = new HashSet<string>();
    /// <summary>Company domains of accepted enrichment rows (their leads' scores may change).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string> TouchedDomains { get; init; } = new HashSet<string>();
}

/// <summary>
/// Imports leads, activities, enrichment and outcomes into the store: from files (streamed, in
/// transactional batches) or from in-memory items (the REST API). Rejected rows go to quarantine with
/// file, line, column and reason. Re-running an import is idempotent: leads upsert by id, activities are
/// deduplicated by event id (or content hash), enrichment upserts by (domain, as-of), outcomes skip duplicates.
/// </summary>
public sealed class ImportService(ILeadStore store, TimeProvider time, Governance.PrivacyKeys keys, Governance.AuditLog audit)
{
    public const int MaxErrorsInSummary = 100;
    public const int MaxApiItems = 10_000;

    private readonly TimeProvider _time = time;

    public static string KindName(ImportKind kind) => kind.ToString().ToLowerInvariant();

    public static ImportKind ParseKind(string kind) => Enum.TryParse<ImportKind>(kind, ignoreCase: true, out var k) && !int.TryParse(kind, out _)
        ? k
        : throw new LeadScoreException($"unknown import kind '{kind}' (leads, activities, enrichment, outcomes)", "kind");

    /// <summary>
    /// A Running import whose record has not moved for this long is taken to have died with its process (kill -9, power
    /// loss) and is marked Interrupted by the next import or quarantine listing. Generous, because the record only says
    /// when the import started: a 10-million-row import on a slow disk must not be marked while it still runs elsewhere.
    /// </summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(6);

    /// <summary>
    /// Reads the header and first rows and settles the schema from the file alone, without the store (for --infer-only
    /// without a workspace). Imports use <see cref="PlanAsync"/>, which keeps the stored column types.
    /// </summary>
    public ImportPlan Plan(ImportKind kind, string path, ImportMapping? mapping) => ImportPipeline.Plan(kind, Path.GetFullPath(path), mapping, _time.GetUtcNow());

    /// <summary>
    /// Settles the schema as the import will use it: a lead column already stored keeps its stored kind and personal flag
    /// (values that do not fit are rejected row by row), so a column's type does not depend on where a bad value sits in
    /// one file. A kind named in the mapping still wins.
    /// </summary>
    public async Task<ImportPlan> PlanAsync(ImportKind kind, string path, ImportMapping? mapping, CancellationToken ct = default) =>
        ImportPipeline.Plan(kind, Path.GetFullPath(path), mapping, _time.GetUtcNow(), await KnownSchemaAsync(kind, ct));

    private async Task<IReadOnlyDictionary<string, ColumnSchema>?> KnownSchemaAsync(ImportKind kind, CancellationToken ct)
    {
        // Only leads have a stored schema: activity properties and enrichment attributes are read by name, not typed columns.
        if (kind != ImportKind.Leads) return null;
        var stored = await LeadSchema.GetAsync(store, ct);
        return stored.Count == 0 ? null : stored.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Marks Running imports older than <see cref="StaleAfter"/> as Interrupted (their counts stay those of the last committed
    /// batch). Returns how many were marked.
    /// </summary>
    public async Task<int> SweepInterruptedAsync(CancellationToken ct = default)
    {
        var cutoff = _time.GetUtcNow() - StaleAfter;
        var n = 0;
        foreach (var i in await store.ListImportsAsync(ct))
        {
            if (i.Status != ImportStatus.Running || i.StartedAt >= cutoff) continue;
            await store.RecordImportAsync(i with { Status = ImportStatus.Interrupted }, ct);
            n++;
        }
        return n;
    }

    /// <summary>Deletes quarantined rows stored before <paramref name="before"/> (all when null), resolved or not; returns how many.</summary>
    public Task<long> PurgeQuarantineAsync(DateTimeOffset? before, CancellationToken ct = default) => store.PurgeQuarantineAsync(before, ct);

    /// <summary>Imports a file. Each batch is written in its own transaction; a killed import is completed by running it again.</summary>
    public async Task<ImportSummary> ImportFileAsync(ImportKind kind, string path, ImportMapping? mapping = null, IProgress<double>? progress = null,
        int batchSize = ImportPipeline.DefaultBatchSize, CancellationToken ct = default)
    {
        path = Path.GetFullPath(path);
        var plan = await PlanAsync(kind, path, mapping, ct);
        return await ImportPlannedAsync(plan, path, progress, batchSize, ct);
    }

    /// <summary>Imports a file under a plan already made (e.g. shown to the user first).</summary>
    /// <remarks>
    /// Rows of erased leads (their id's keyed hash is a tombstone) are skipped and counted in <see cref="ImportSummary.ErasedSkipped"/>,
    /// unless <paramref name="allowErased"/>: then they are imported and their tombstones removed.
    /// </remarks>
    public async Task<ImportSummary> ImportPlannedAsync(ImportPlan plan, string path, IProgress<double>? progress = null,
        int batchSize = ImportPipeline.DefaultBatchSize, CancellationToken ct = default, bool allowErased = false)
    {
        path = Path.GetFullPath(path);
        await SweepInterruptedAsync(ct);
        var started = _time.GetUtcNow();
        var fileHash = await HashFileAsync(path, ct);
        var import = NewImport(plan.Kind, path, fileHash, started);
        await store.RecordImportAsync(import, ct);
        var totals = await NewTotalsAsync(ct);
        var labelsChanged = false;
        try
        {
            // A previous run of the same file re-quarantines the same rows now: its records are superseded.
            var earlier = (await store.ListImportsOfFileAsync(import.Kind, fileHash, ct)).Where(i => i.Id != import.Id).Select(i => i.Id).ToList();
            foreach (var id in earlier)
            {
                var stale = await store.ListQuarantineAsync(id, false, ct);
                if (stale.Count > 0) await store.MarkQuarantineResolvedAsync(stale.Select(q => q.Id).ToList(), ct);
            }
            if (plan.Kind == ImportKind.Leads && await LeadSchema.MergeAsync(store, plan.Schema, _time.GetUtcNow(), ct) is { } version)
                await audit.RecordAsync(AuditActions.SettingChange, AuditTargets.Setting, SettingNames.LeadSchema,
                    new Dictionary<string, object?> { ["version"] = version, ["source"] = Path.GetFileName(path) }, ct: ct);
            if (await LabelSettings.MergeAsync(store, Engine.Scoring.FeatureLabels.FromMapping(plan.Mapping), _time.GetUtcNow(), ct) is { } labelsVersion)
            {
                labelsChanged = true;
                await audit.RecordAsync(AuditActions.SettingChange, AuditTargets.Setting, SettingNames.Labels,
                    new Dictionary<string, object?> { ["version"] = labelsVersion, ["source"] = Path.GetFileName(path) }, ct: ct);
            }
            totals.AllowErased = allowErased;
            await ReadAndWriteAsync(import, plan, path, totals, progress, batchSize, ct);
            if (allowErased && totals.ErasedSeen.Count > 0) await store.RemoveErasureTombstonesAsync(totals.ErasedSeen, ct);
        }
        catch (Exception ex)
        {
            await RecordStopAsync(import, totals, ex);
            throw;
        }
        return (await FinishAsync(import, totals, plan.Schema, started, ct)) with { LabelsChanged = labelsChanged };
    }

    private async Task ReadAndWriteAsync(ImportRecord import, ImportPlan plan, string path, Totals totals, IProgress<double>? progress, int batchSize, CancellationToken ct)
    {
        var size = Math.Max(1, new FileInfo(path).Length);
        var now = _time.GetUtcNow();
        var leadIds = new LeadIdTap(plan.Kind, plan.Mapping);
        // Parsing and writing overlap: one thread converts the next batch while the store writes this one.
        var channel = Channel.CreateBounded<(ImportBatch Batch, string?[] LeadIds)>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(async () =>
        {
            try
            {
                var rows = leadIds.Tap(SourceReader.Open(path, plan.Mapping).ReadRows());
                foreach (var b in ImportPipeline.Convert(plan.Kind, plan.Mapping, plan.Schema, rows, now, batchSize, stop.Token))
                    await channel.Writer.WriteAsync((b, leadIds.TakeFor(b.Rejected)), stop.Token);
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, CancellationToken.None);
        long chars = 0;
        try
        {
            await foreach (var (batch, ids) in channel.Reader.ReadAllAsync(ct))
            {
                await WriteBatchAsync(import, path, batch, ids, totals, int.MaxValue, ct);
                // The record follows the commits, so a killed import's record says what it committed.
                await store.RecordImportAsync(Progress(import, totals, ImportStatus.Running), ct);
                chars += batch.SourceChars;
                progress?.Report(Math.Min(1.0, (double)chars / size));
            }
        }
        finally
        {
            // A failed write must not leave the reader blocked on a full channel.
            await stop.CancelAsync();
            try { await producer; } catch (OperationCanceledException) { }
        }
    }

    /// <summary>Records why an import stopped early: Interrupted when cancelled, else Failed, with the counts committed so far.</summary>
    private async Task RecordStopAsync(ImportRecord import, Totals totals, Exception ex)
    {
        var status = ex is OperationCanceledException ? ImportStatus.Interrupted : ImportStatus.Failed;
        try
        {
            // Not the caller's token: it may be the one that was cancelled, and the record is worth writing anyway.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await store.RecordImportAsync(Progress(import, totals, status), timeout.Token);
        }
        catch (Exception)
        {
            // The store may be what failed; the original error is the one to report, and the sweep marks the record later.
        }
    }

    private static ImportRecord Progress(ImportRecord import, Totals t, ImportStatus status) => import with
    {
        RowsRead = t.Read, Inserted = t.Inserted, Updated = t.Updated, Unchanged = t.Unchanged, Rejected = t.Rejected, Status = status,
    };

    /// <summary>
    /// Imports items posted to the API (one JSON object each, canonical field names). Rejected items are
    /// quarantined under the "api" source and listed in the summary with their index.
    /// </summary>
    public async Task<ImportSummary> ImportItemsAsync(ImportKind kind, IReadOnlyList<JsonElement> items, CancellationToken ct = default)
    {
        if (items.Count > MaxApiItems) throw new LeadScoreException($"too many items: {items.Count} (at most {MaxApiItems} per request)", "items");
        var started = _time.GetUtcNow();
        // FromJsonItem never throws: an item that is not an object, or holds a lone surrogate, is that item's error.
        var rows = items.Select((e, i) => SourceReader.FromJsonItem(i, e)).ToList();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", rows.Select(r => r.Raw)))));
        var import = NewImport(kind, "api", hash, started);
        await store.RecordImportAsync(import, ct);
        var totals = await NewTotalsAsync(ct);
        try
        {
            // API items use canonical names; lead attributes already stored keep their stored kind, others are not typed.
            var known = await KnownSchemaAsync(kind, ct);
            IReadOnlyList<ColumnSchema> schema = known is null ? [] : known.Values.ToList();
            var leadIds = new LeadIdTap(kind, ImportMapping.Default);
            foreach (var batch in ImportPipeline.Convert(kind, ImportMapping.Default, schema, leadIds.Tap(rows), started, ImportPipeline.DefaultBatchSize, ct))
            {
                await WriteBatchAsync(import, "api", batch, leadIds.TakeFor(batch.Rejected), totals, int.MaxValue, ct);
                await store.RecordImportAsync(Progress(import, totals, ImportStatus.Running), ct);
            }
        }
        catch (Exception ex)
        {
            await RecordStopAsync(import, totals, ex);
            throw;
        }
        return await FinishAsync(import, totals, [], started, ct);
    }

    /// <summary>
    /// Re-validates unresolved quarantined rows (optionally of one import) under a mapping, e.g. one that now
    /// names the date format that was missing. Rows that pass are stored and their records resolved; the
    /// rest stay in quarantine. CSV rows are re-read with the header of their original file.
    /// </summary>
    public async Task<ImportSummary> RetryQuarantineAsync(string? importId, ImportMapping? mapping, CancellationToken ct = default)
    {
        var started = _time.GetUtcNow();
        var records = await store.ListQuarantineAsync(importId, false, ct);
        var totals = await NewTotalsAsync(ct);
        var retryId = $"retry-{started:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        foreach (var group in records.GroupBy(r => (r.Kind, r.File)))
        {
            var kind = ParseKind(group.Key.Kind);
            var (rows, schema, m) = RowsForRetry(kind, group.Key.File, group.ToList(), mapping, started, await KnownSchemaAsync(kind, ct));
            var converter = new RowConverter(kind, m, schema, started);
            var resolved = new List<long>();
            var batch = new ImportBatch();
            foreach (var (rec, row) in group.Zip(rows))
            {
                var r = converter.Convert(row);
                if (!r.Ok)
                {
                    totals.AddError(rec.Line, r.Errors[0].Column, string.Join("; ", r.Errors.Select(e => e.Reason)), int.MaxValue);
                    continue;
                }
                // The row lost to an earlier row of its file with the same key; the file's author meant that one. Storing this
                // one now would overwrite it, so it stays in quarantine unless nothing with its key was stored after all.
                if (rec.Reason.StartsWith(DuplicateReason, StringComparison.Ordinal) && await KeyStoredAsync(r.Item, ct))
                {
                    totals.AddError(rec.Line, rec.Column, $"{rec.Reason}: the first row is stored; kept in quarantine so as not to overwrite it", int.MaxValue);
                    continue;
                }
                resolved.Add(rec.Id);
                batch.Accept(r);
            }
            totals.Read += group.Count();
            totals.Rejected += group.Count() - resolved.Count;
            await StoreItemsAsync(batch, totals, ct);
            if (resolved.Count > 0) await store.MarkQuarantineResolvedAsync(resolved, ct);
        }
        var import = NewImport(ImportKind.Leads, "quarantine", "", started) with { Id = retryId, Kind = "retry" };
        await store.RecordImportAsync(import, ct);
        return await FinishAsync(import, totals, [], started, ct);
    }

    /// <summary>The start of the reason <see cref="RowConverter"/> gives a row whose key an earlier row of the same file had.</summary>
    private const string DuplicateReason = "duplicate id within the file";

    private async Task<bool> KeyStoredAsync(object? item, CancellationToken ct) => item switch
    {
        Lead l => await store.GetLeadAsync(l.Id, ct) is not null,
        Enrichment e => (await store.GetEnrichmentAsync(e.Domain, ct)).Any(x => x.AsOf == e.AsOf),
        Outcome o => (await store.GetOutcomesAsync(o.LeadId, ct)).Any(x => x.Kind == o.Kind && x.At == o.At),
        _ => false,
    };

    /// <summary>The rows of a quarantined group as a re-importable source: the original header line, then the raw rows.</summary>
    public async Task<string> ExportQuarantineAsync(string? importId, TextWriter output, CancellationToken ct = default)
    {
        // Two streamed passes (which files, then the rows), so an export holds one row at a time, never the whole quarantine.
        var files = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var r in store.StreamQuarantineAsync(importId, false, ct)) files.Add(r.File);
        if (files.Count > 1) throw new LeadScoreException($"quarantined rows come from {files.Count} files; export one import at a time (--import ID)", "import");
        if (files.Count == 0) return "";
        var file = files.Single();
        if (file != "api" && File.Exists(file) && SourceReader.Open(file).Format == "csv")
        {
            using var sr = new StreamReader(file);
            await output.WriteLineAsync(await sr.ReadLineAsync(ct));
        }
        await foreach (var r in store.StreamQuarantineAsync(importId, false, ct))
            if (r.File == file) await output.WriteLineAsync(r.Raw);
        return file;
    }

    private static (List<SourceRow> Rows, IReadOnlyList<ColumnSchema> Schema, ImportMapping Mapping) RowsForRetry(ImportKind kind, string file,
        List<QuarantineRecord> records, ImportMapping? mapping, DateTimeOffset now, IReadOnlyDictionary<string, ColumnSchema>? known)
    {
        var m = mapping ?? ImportMapping.Default;
        SourceReader? source = null;
        IReadOnlyList<ColumnSchema>? schema = null;
        if (file != "api" && File.Exists(file))
        {
            // The original file gives the header and the schema the rows were first checked against.
            try
            {
                source = SourceReader.Open(file, m);
                schema = ImportPipeline.Plan(kind, file, m, now, known).Schema;
            }
            catch (LeadScoreException) { source = null; }
        }
        var rows = new List<SourceRow>();
        foreach (var r in records)
        {
            if (source is null || source.Format == "jsonl")
            {
                rows.Add(SourceReader.ParseJsonLine(r.Line, r.Raw));
                continue;
            }
            using var dr = new DelimitedReader(new StringReader(r.Raw), source.Delimiter);
            var rec = dr.Read();
            if (rec is null || rec.Error is not null || rec.Fields.Length != source.Columns.Count)
            {
                rows.Add(new SourceRow(r.Line, new Dictionary<string, string?>(), r.Raw, rec?.Error ?? $"expected {source.Columns.Count} fields, found {rec?.Fields.Length ?? 0}"));
                continue;
            }
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < rec.Fields.Length; i++) values[source.Columns[i]] = rec.Fields[i];
            rows.Add(new SourceRow(r.Line, values, r.Raw));
        }
        schema ??= m.Columns.Select(c => new ColumnSchema { Name = c.Key, Kind = c.Value.Kind, IsPersonal = c.Value.Personal })
            .Concat(known?.Values.Where(k => !m.Columns.ContainsKey(k.Name)) ?? []).ToList();
        return (rows, schema, m);
    }

    /// <summary>
    /// Remembers each row's lead id as rows stream into the converter, so a rejected row's quarantine record can name its
    /// lead (erasure then finds it without parsing raw text). Holds one batch of rows at a time: the converter yields a
    /// batch before it pulls the next row, and <see cref="TakeFor"/> forgets the batch.
    /// </summary>
    private sealed class LeadIdTap(ImportKind kind, ImportMapping mapping)
    {
        private readonly string? _column = kind is ImportKind.Leads or ImportKind.Activities or ImportKind.Outcomes
            ? mapping.LeadIdSetting(kind) ?? "lead_id"
            : null;
        private readonly Dictionary<long, string> _ids = new();

        public IEnumerable<SourceRow> Tap(IEnumerable<SourceRow> rows)
        {
            foreach (var row in rows)
            {
                if (_column is not null && LeadIdOf(row) is { } id) _ids[row.Line] = id;
                yield return row;
            }
        }

        /// <summary>The lead ids of a batch's rejected rows, in order (null where unknown), and forgets the batch.</summary>
        public string?[] TakeFor(IReadOnlyList<RejectedRow> rejected)
        {
            var ids = new string?[rejected.Count];
            for (var i = 0; i < ids.Length; i++)
                // A row rejected for its lead id has no lead id worth naming.
                ids[i] = rejected[i].Column == _column ? null : _ids.GetValueOrDefault(rejected[i].Line);
            _ids.Clear();
            return ids;
        }

        private string? LeadIdOf(SourceRow row)
        {
            if (!row.Values.TryGetValue(_column!, out var v))
            {
                v = null;
                foreach (var (k, value) in row.Values)
                    if (mapping.Canonical(k) == _column) { v = value; break; }
            }
            v = v?.Trim();
            // Only an id the store could hold as the lead's id: what the converter would store, or nothing.
            return string.IsNullOrEmpty(v) || v.Length > mapping.MaxLength || v.AsSpan().IndexOfAny('\0', '\u2400', '\uFFFD') >= 0 ? null : v;
        }
    }

    /// <summary>Removes rows of erased leads from the batch (counted), or keeps them when the import allows them back (noted).</summary>
    private static void DropErased(ImportBatch batch, Totals t)
    {
        bool Erased(string leadId)
        {
            var h = t.Hash!(leadId);
            if (!t.Tombstones!.Contains(h)) return false;
            if (t.AllowErased) { t.ErasedSeen.Add(h); return false; }
            t.ErasedSkipped++;
            return true;
        }
        batch.Leads.RemoveAll(l => Erased(l.Id));
        batch.Activities.RemoveAll(a => Erased(a.LeadId));
        batch.Outcomes.RemoveAll(o => Erased(o.LeadId));
        batch.DerivedOutcomes.RemoveAll(o => Erased(o.LeadId));
    }

    private sealed class Totals
    {
        public long Read, Inserted, Updated, Unchanged, Rejected, Outcomes, ErasedSkipped;
        public IReadOnlySet<string>? Tombstones { get; init; }
        public Func<string, string>? Hash { get; init; }
        public bool AllowErased { get; set; }
        public HashSet<string> ErasedSeen { get; } = new(StringComparer.Ordinal);
        public List<ImportItemError> Errors { get; } = [];
        public HashSet<string> Leads { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Domains { get; } = new(StringComparer.OrdinalIgnoreCase);
        /// <summary>Accepted outcomes per lead id, in first-seen order (to report those whose lead is not stored).</summary>
        public Dictionary<string, long> OutcomeLeads { get; } = new(StringComparer.Ordinal);
        public List<string> OutcomeLeadOrder { get; } = [];

        public void AddError(long index, string? field, string reason, int cap)
        {
            if (Errors.Count < cap) Errors.Add(new ImportItemError(index, field, reason));
        }
    }

    private async Task WriteBatchAsync(ImportRecord import, string file, ImportBatch batch, string?[] leadIds, Totals totals, int errorCap, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await StoreItemsAsync(batch, totals, ct);
        if (batch.Rejected.Count > 0)
        {
            await store.AddQuarantineAsync(batch.Rejected.Select((r, i) => new QuarantineRecord
            {
                ImportId = import.Id, Kind = import.Kind, File = file, Line = r.Line, Column = r.Column, Reason = r.Reason, Raw = Printable(r.Raw),
                LeadId = leadIds[i],
            }).ToList(), ct);
            foreach (var r in batch.Rejected) totals.AddError(r.Line, r.Column, r.Reason, file == "api" ? errorCap : MaxErrorsInSummary);
        }
        totals.Read += batch.RowsRead;
        totals.Rejected += batch.Rejected.Count;
    }

    /// <summary>An import's counters, with the erasure tombstones to check lead ids against (none: no check at all).</summary>
    private async Task<Totals> NewTotalsAsync(CancellationToken ct)
    {
        var tombstones = await store.GetErasureTombstonesAsync(ct);
        if (tombstones.Count == 0) return new Totals();
        var hash = await keys.LeadIdHasherAsync(ct);
        return new Totals { Tombstones = tombstones, Hash = hash };
    }

    private async Task StoreItemsAsync(ImportBatch batch, Totals totals, CancellationToken ct)
    {
        if (totals.Tombstones is not null) DropErased(batch, totals);
        foreach (var l in batch.Leads) totals.Leads.Add(l.Id);
        foreach (var a in batch.Activities) totals.Leads.Add(a.LeadId);
        foreach (var o in batch.Outcomes)
        {
            totals.Leads.Add(o.LeadId);
            if (totals.OutcomeLeads.TryGetValue(o.LeadId, out var n)) totals.OutcomeLeads[o.LeadId] = n + 1;
            else { totals.OutcomeLeads[o.LeadId] = 1; totals.OutcomeLeadOrder.Add(o.LeadId); }
        }
        foreach (var e in batch.Enrichment) totals.Domains.Add(e.Domain);
        if (batch.Leads.Count > 0)
        {
            var c = await store.UpsertLeadsAsync(batch.Leads, ct);
            totals.Inserted += c.Inserted; totals.Updated += c.Updated; totals.Unchanged += c.Unchanged;
        }
        if (batch.DerivedOutcomes.Count > 0) totals.Outcomes += (await store.InsertOutcomesAsync(batch.DerivedOutcomes, ct)).Inserted;
        if (batch.Activities.Count > 0)
        {
            var c = await store.InsertActivitiesAsync(batch.Activities, ct);
            // A corrected event (same id, other content) replaces the stored one, its old version kept in history.
            totals.Inserted += c.Inserted; totals.Updated += c.Updated; totals.Unchanged += c.Unchanged;
        }
        if (batch.Enrichment.Count > 0)
        {
            var c = await store.UpsertEnrichmentAsync(batch.Enrichment, ct);
            totals.Inserted += c.Inserted; totals.Updated += c.Updated; totals.Unchanged += c.Unchanged;
        }
        if (batch.Outcomes.Count > 0)
        {
            var c = await store.InsertOutcomesAsync(batch.Outcomes, ct);
            totals.Inserted += c.Inserted; totals.Unchanged += c.Unchanged;
        }
    }

    private async Task<ImportSummary> FinishAsync(ImportRecord import, Totals t, IReadOnlyList<ColumnSchema> schema, DateTimeOffset started, CancellationToken ct)
    {
        await store.RecordImportAsync(Progress(import, t, ImportStatus.Completed), ct);
        var (pending, pendingIds) = await PendingOutcomesAsync(t, ct);
        OutcomeTotals? stored = null;
        if (import.Kind == KindName(ImportKind.Outcomes))
        {
            long converted = 0, lost = 0;
            await foreach (var o in store.StreamOutcomesAsync(ct))
                if (o.Kind == OutcomeKind.Converted) converted++;
                else if (o.Kind == OutcomeKind.Lost) lost++;
            stored = new OutcomeTotals(converted, lost);
        }
        return new ImportSummary
        {
            ImportId = import.Id, Kind = import.Kind, Source = import.File, RowsRead = t.Read, Inserted = t.Inserted, Updated = t.Updated,
            Unchanged = t.Unchanged, Rejected = t.Rejected, OutcomesInserted = t.Outcomes, PendingOutcomes = pending, PendingLeadIds = pendingIds,
            StoredOutcomes = stored, Errors = t.Errors, Schema = schema, ErasedSkipped = t.ErasedSkipped,
            Seconds = (_time.GetUtcNow() - started).TotalSeconds, TouchedLeads = t.Leads, TouchedDomains = t.Domains,
        };
    }

    /// <summary>Above this many outcome leads, one pass over the stored leads beats a lookup per lead.</summary>
    private const int PerLeadLookupLimit = 2000;

    /// <summary>The accepted outcomes whose lead is not stored: how many, and the first lead ids (read-only checks).</summary>
    private async Task<(long Count, IReadOnlyList<string> Ids)> PendingOutcomesAsync(Totals t, CancellationToken ct)
    {
        if (t.OutcomeLeads.Count == 0) return (0, []);
        var unknown = new HashSet<string>(t.OutcomeLeads.Keys, StringComparer.Ordinal);
        if (unknown.Count <= PerLeadLookupLimit)
        {
            foreach (var id in t.OutcomeLeads.Keys)
                if (await store.GetLeadAsync(id, ct) is not null) unknown.Remove(id);
        }
        else
        {
            await foreach (var lead in store.StreamLeadsAsync(ct))
                if (unknown.Remove(lead.Id) && unknown.Count == 0) break;
        }
        long count = 0;
        foreach (var id in unknown) count += t.OutcomeLeads[id];
        return (count, t.OutcomeLeadOrder.Where(unknown.Contains).Take(MaxErrorsInSummary).ToList());
    }

    /// <summary>PostgreSQL text cannot hold NUL: quarantine shows it as the visible symbol U+2400.</summary>
    private static string Printable(string raw) => raw.Contains('\0') ? raw.Replace('\0', '\u2400') : raw;

    private static ImportRecord NewImport(ImportKind kind, string file, string hash, DateTimeOffset started) => new()
    {
        Id = $"imp-{started:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}",
        Kind = KindName(kind), File = file, FileHash = hash, StartedAt = started, Status = ImportStatus.Running,
    };

    private static async Task<string> HashFileAsync(string path, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, ct));
    }
}
