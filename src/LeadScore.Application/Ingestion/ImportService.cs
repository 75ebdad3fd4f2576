using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;

namespace LeadScore.Application.Ingestion;

/// <summary>Why one row or API item was rejected: its line (file) or index (API), the field, the reason.</summary>
public sealed record ImportItemError(long Index, string? Field, string Reason);

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
    public long Accepted => Inserted + Updated + Unchanged;
    public long Inserted { get; init; }
    public long Updated { get; init; }
    public long Unchanged { get; init; }
    public long Rejected { get; init; }
    /// <summary>Outcomes written from a leads file's target column (inserted; re-imports add none).</summary>
    public long OutcomesInserted { get; init; }
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
public sealed class ImportService(ILeadStore store, TimeProvider time)
{
    public const int MaxErrorsInSummary = 100;
    public const int MaxApiItems = 10_000;

    private readonly TimeProvider _time = time;

    public static string KindName(ImportKind kind) => kind.ToString().ToLowerInvariant();

    public static ImportKind ParseKind(string kind) => Enum.TryParse<ImportKind>(kind, ignoreCase: true, out var k) && !int.TryParse(kind, out _)
        ? k
        : throw new LeadScoreException($"unknown import kind '{kind}' (leads, activities, enrichment, outcomes)", "kind");

    /// <summary>Reads the header and first rows and settles the schema, without storing anything (for --infer-only and the printed schema).</summary>
    public ImportPlan Plan(ImportKind kind, string path, ImportMapping? mapping) => ImportPipeline.Plan(kind, Path.GetFullPath(path), mapping, _time.GetUtcNow());

    /// <summary>Imports a file. Each batch is written in its own transaction; a killed import is completed by running it again.</summary>
    public async Task<ImportSummary> ImportFileAsync(ImportKind kind, string path, ImportMapping? mapping = null, IProgress<double>? progress = null,
        int batchSize = ImportPipeline.DefaultBatchSize, CancellationToken ct = default)
    {
        path = Path.GetFullPath(path);
        var plan = Plan(kind, path, mapping);
        return await ImportPlannedAsync(plan, path, progress, batchSize, ct);
    }

    /// <summary>Imports a file under a plan already made (e.g. shown to the user first).</summary>
    public async Task<ImportSummary> ImportPlannedAsync(ImportPlan plan, string path, IProgress<double>? progress = null,
        int batchSize = ImportPipeline.DefaultBatchSize, CancellationToken ct = default)
    {
        path = Path.GetFullPath(path);
        var started = _time.GetUtcNow();
        var fileHash = await HashFileAsync(path, ct);
        var import = NewImport(plan.Kind, path, fileHash, started);
        await store.RecordImportAsync(import, ct);
        // A previous run of the same file re-quarantines the same rows now: its records are superseded.
        var earlier = (await store.ListImportsAsync(ct)).Where(i => i.FileHash == fileHash && i.Kind == import.Kind && i.Id != import.Id).Select(i => i.Id).ToList();
        foreach (var id in earlier)
        {
            var stale = await store.ListQuarantineAsync(id, false, ct);
            if (stale.Count > 0) await store.MarkQuarantineResolvedAsync(stale.Select(q => q.Id).ToList(), ct);
        }
        if (plan.Kind == ImportKind.Leads) await LeadSchema.MergeAsync(store, plan.Schema, _time.GetUtcNow(), ct);

        var size = Math.Max(1, new FileInfo(path).Length);
        var now = _time.GetUtcNow();
        // Parsing and writing overlap: one thread converts the next batch while the store writes this one.
        var channel = Channel.CreateBounded<ImportBatch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(async () =>
        {
            try
            {
                foreach (var b in ImportPipeline.Read(plan, path, now, batchSize, stop.Token)) await channel.Writer.WriteAsync(b, stop.Token);
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, CancellationToken.None);
        var totals = new Totals();
        long chars = 0;
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(ct))
            {
                await WriteBatchAsync(import, path, batch, totals, int.MaxValue, ct);
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
        return await FinishAsync(import, totals, plan.Schema, started, ct);
    }

    /// <summary>
    /// Imports items posted to the API (one JSON object each, canonical field names). Rejected items are
    /// quarantined under the "api" source and listed in the summary with their index.
    /// </summary>
    public async Task<ImportSummary> ImportItemsAsync(ImportKind kind, IReadOnlyList<JsonElement> items, CancellationToken ct = default)
    {
        if (items.Count > MaxApiItems) throw new LeadScoreException($"too many items: {items.Count} (at most {MaxApiItems} per request)", "items");
        var started = _time.GetUtcNow();
        var rows = items.Select((e, i) => e.ValueKind == JsonValueKind.Object
            ? new SourceRow(i, SourceReader.FromJsonObject(e), e.GetRawText())
            : new SourceRow(i, new Dictionary<string, string?>(), e.GetRawText(), $"not a JSON object ({e.ValueKind.ToString().ToLowerInvariant()})")).ToList();
        var hash = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(items)));
        var import = NewImport(kind, "api", hash, started);
        await store.RecordImportAsync(import, ct);
        var totals = new Totals();
        // API items are converted without a mapping: canonical names, no inferred kinds.
        foreach (var batch in ImportPipeline.Convert(kind, ImportMapping.Default, [], rows, started, ImportPipeline.DefaultBatchSize, ct))
            await WriteBatchAsync(import, "api", batch, totals, int.MaxValue, ct);
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
        var totals = new Totals();
        var retryId = $"retry-{started:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        foreach (var group in records.GroupBy(r => (r.Kind, r.File)))
        {
            var kind = ParseKind(group.Key.Kind);
            var (rows, schema, m) = RowsForRetry(kind, group.Key.File, group.ToList(), mapping, started);
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

    /// <summary>The rows of a quarantined group as a re-importable source: the original header line, then the raw rows.</summary>
    public async Task<string> ExportQuarantineAsync(string? importId, TextWriter output, CancellationToken ct = default)
    {
        var records = await store.ListQuarantineAsync(importId, false, ct);
        var files = records.Select(r => r.File).Distinct().ToList();
        if (files.Count > 1) throw new LeadScoreException($"quarantined rows come from {files.Count} files; export one import at a time (--import ID)", "import");
        if (records.Count == 0) return "";
        var file = files[0];
        if (file != "api" && File.Exists(file) && SourceReader.Open(file).Format == "csv")
        {
            using var sr = new StreamReader(file);
            await output.WriteLineAsync(await sr.ReadLineAsync(ct));
        }
        foreach (var r in records) await output.WriteLineAsync(r.Raw);
        return file;
    }

    private static (List<SourceRow> Rows, IReadOnlyList<ColumnSchema> Schema, ImportMapping Mapping) RowsForRetry(ImportKind kind, string file,
        List<QuarantineRecord> records, ImportMapping? mapping, DateTimeOffset now)
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
                schema = ImportPipeline.Plan(kind, file, m, now).Schema;
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
        schema ??= m.Columns.Select(c => new ColumnSchema { Name = c.Key, Kind = c.Value.Kind, IsPersonal = c.Value.Personal }).ToList();
        return (rows, schema, m);
    }

    private sealed class Totals
    {
        public long Read, Inserted, Updated, Unchanged, Rejected, Outcomes;
        public List<ImportItemError> Errors { get; } = [];
        public HashSet<string> Leads { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Domains { get; } = new(StringComparer.OrdinalIgnoreCase);

        public void AddError(long index, string? field, string reason, int cap)
        {
            if (Errors.Count < cap) Errors.Add(new ImportItemError(index, field, reason));
        }
    }

    private async Task WriteBatchAsync(ImportRecord import, string file, ImportBatch batch, Totals totals, int errorCap, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await StoreItemsAsync(batch, totals, ct);
        if (batch.Rejected.Count > 0)
        {
            await store.AddQuarantineAsync(batch.Rejected.Select(r => new QuarantineRecord
            {
                ImportId = import.Id, Kind = import.Kind, File = file, Line = r.Line, Column = r.Column, Reason = r.Reason, Raw = Printable(r.Raw),
            }).ToList(), ct);
            foreach (var r in batch.Rejected) totals.AddError(r.Line, r.Column, r.Reason, file == "api" ? errorCap : MaxErrorsInSummary);
        }
        totals.Read += batch.RowsRead;
        totals.Rejected += batch.Rejected.Count;
    }

    private async Task StoreItemsAsync(ImportBatch batch, Totals totals, CancellationToken ct)
    {
        foreach (var l in batch.Leads) totals.Leads.Add(l.Id);
        foreach (var a in batch.Activities) totals.Leads.Add(a.LeadId);
        foreach (var o in batch.Outcomes) totals.Leads.Add(o.LeadId);
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
            totals.Inserted += c.Inserted; totals.Unchanged += c.Unchanged;
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
        var done = import with { RowsRead = t.Read, Inserted = t.Inserted, Updated = t.Updated, Unchanged = t.Unchanged, Rejected = t.Rejected };
        await store.RecordImportAsync(done, ct);
        return new ImportSummary
        {
            ImportId = import.Id, Kind = import.Kind, Source = import.File, RowsRead = t.Read, Inserted = t.Inserted, Updated = t.Updated,
            Unchanged = t.Unchanged, Rejected = t.Rejected, OutcomesInserted = t.Outcomes, Errors = t.Errors, Schema = schema,
            Seconds = (_time.GetUtcNow() - started).TotalSeconds, TouchedLeads = t.Leads, TouchedDomains = t.Domains,
        };
    }

    /// <summary>PostgreSQL text cannot hold NUL: quarantine shows it as the visible symbol U+2400.</summary>
    private static string Printable(string raw) => raw.Contains('\0') ? raw.Replace('\0', '\u2400') : raw;

    private static ImportRecord NewImport(ImportKind kind, string file, string hash, DateTimeOffset started) => new()
    {
        Id = $"imp-{started:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}",
        Kind = KindName(kind), File = file, FileHash = hash, StartedAt = started,
    };

    private static async Task<string> HashFileAsync(string path, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, ct));
    }
}
