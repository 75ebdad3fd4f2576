using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>One batch of converted rows: what to store, and what to quarantine. Rows read = items + rejected.</summary>
public sealed class ImportBatch
{
    public List<Lead> Leads { get; } = [];
    public List<Activity> Activities { get; } = [];
    public List<Enrichment> Enrichment { get; } = [];
    public List<Outcome> Outcomes { get; } = [];
    /// <summary>Outcomes derived from a leads file's target column (not counted as rows).</summary>
    public List<Outcome> DerivedOutcomes { get; } = [];
    public List<RejectedRow> Rejected { get; } = [];

    /// <summary>Adds an accepted row's item (and the outcome derived from it, if any) to its list.</summary>
    public void Accept(ConvertedRow row)
    {
        switch (row.Item)
        {
            case Lead l: Leads.Add(l); break;
            case Activity a: Activities.Add(a); break;
            case Enrichment e: Enrichment.Add(e); break;
            case Outcome o: Outcomes.Add(o); break;
        }
        if (row.DerivedOutcome is { } d) DerivedOutcomes.Add(d);
    }
    public long RowsRead { get; internal set; }
    /// <summary>Characters of source text in this batch (for progress against the file size).</summary>
    public long SourceChars { get; internal set; }
    /// <summary>Items accepted in this batch (one per accepted row).</summary>
    public int Accepted => Leads.Count + Activities.Count + Enrichment.Count + Outcomes.Count;
}

/// <summary>
/// What an import will do with a source: the mapping, the schema (given or inferred from the first
/// rows) and which columns play which role. Built before any row is stored, so a wrong file fails fast.
/// </summary>
public sealed record ImportPlan
{
    public required ImportKind Kind { get; init; }
    public required ImportMapping Mapping { get; init; }
    /// <summary>Schema by renamed column name (roles included).</summary>
    public required IReadOnlyList<ColumnSchema> Schema { get; init; }
    public required IReadOnlyList<string> SourceColumns { get; init; }
    public required IReadOnlyList<string> RoleColumns { get; init; }
    public required string Format { get; init; }
    public required char Delimiter { get; init; }
    /// <summary>True when no mapping named the column kinds (the schema was inferred and should be shown).</summary>
    public bool Inferred { get; init; }

    /// <summary>The mapping with every column's kind and personal flag written out, for --infer-only.</summary>
    public ImportMapping ToMapping() => Mapping with
    {
        Format = Format,
        Delimiter = Format == "csv" ? (Delimiter == '\t' ? "\\t" : Delimiter.ToString()) : null,
        Columns = Schema.ToDictionary(s => s.Name, s => new ColumnMapping { Kind = s.Kind, Personal = s.IsPersonal, PersonalReason = s.PersonalReason }),
    };
}

/// <summary>
/// The ingestion pipeline without storage: plans an import, then streams a source as batches of
/// domain objects and rejected rows. Storage writes each batch in one transaction.
/// </summary>
public static class ImportPipeline
{
    public const int DefaultBatchSize = 20_000;
    private const int SampleRows = 1000;

    /// <summary>Reads the header and the first rows to settle the schema; fails with one clear line when a needed column is missing.</summary>
    /// <param name="kind">What the file holds.</param>
    /// <param name="path">The source file.</param>
    /// <param name="mapping">The mapping file, or null for canonical names and default spellings.</param>
    /// <param name="now">The import's time (for the future-timestamp check).</param>
    /// <param name="known">
    /// The schema already stored for this kind, by (renamed) column name, or null. A column found there keeps its stored
    /// kind and personal flag instead of being inferred again, so a column does not change type between imports; values
    /// that do not fit it are rejected row by row. A kind named in the mapping's <c>columns</c> still wins (the user
    /// changing it on purpose), and role columns (ids, times) are always read by their role.
    /// </param>
    public static ImportPlan Plan(ImportKind kind, string path, ImportMapping? mapping, DateTimeOffset now, IReadOnlyDictionary<string, ColumnSchema>? known = null)
    {
        mapping ??= ImportMapping.Default;
        var source = SourceReader.Open(path, mapping);
        var columns = source.Columns;
        var converter = new RowConverter(kind, mapping, [], now);
        // JSON lines name their keys per row: a missing key is that row's problem, not the file's.
        if (source.Format == "csv") converter.RequireColumns(columns, path);
        var sample = source.ReadRows().Where(r => r.Error is null).Take(SampleRows).ToList();
        var rules = ValueRules.FromMapping(mapping);
        var ignore = new HashSet<string>(mapping.Ignore, StringComparer.Ordinal);
        var schema = new List<ColumnSchema>();
        foreach (var col in columns)
        {
            if (ignore.Contains(col)) continue;
            var name = mapping.Canonical(col);
            if (ignore.Contains(name)) continue;
            if (mapping.Columns.TryGetValue(name, out var cm) || mapping.Columns.TryGetValue(col, out cm))
            {
                schema.Add(new ColumnSchema
                {
                    Name = name, Kind = cm.Kind, IsPersonal = cm.Personal || PersonalData.ReasonFromName(name) is not null,
                    PersonalReason = cm.PersonalReason ?? (cm.Personal ? "marked personal in the mapping" : PersonalData.ReasonFromName(name)),
                });
                continue;
            }
            if (known is not null && (known.TryGetValue(name, out var stored) || known.TryGetValue(col, out stored)))
            {
                schema.Add(stored with { Name = name, Kind = converter.RoleKind(name) ?? stored.Kind });
                continue;
            }
            var inferred = SchemaInference.InferColumn(name, sample.Select(r => r.Values.GetValueOrDefault(col)), rules);
            // Role columns are read by their role, not by an inferred kind.
            if (converter.RoleKind(name) is { } rk) inferred = inferred with { Kind = rk };
            schema.Add(inferred);
        }
        return new ImportPlan
        {
            Kind = kind, Mapping = mapping, Schema = schema, SourceColumns = columns, RoleColumns = converter.RoleColumns,
            Format = source.Format, Delimiter = source.Delimiter, Inferred = mapping.Columns.Count == 0,
        };
    }

    /// <summary>Streams the source as batches of at most <paramref name="batchSize"/> rows.</summary>
    public static IEnumerable<ImportBatch> Read(ImportPlan plan, string path, DateTimeOffset now, int batchSize = DefaultBatchSize, CancellationToken ct = default) =>
        Convert(plan.Kind, plan.Mapping, plan.Schema, SourceReader.Open(path, plan.Mapping).ReadRows(), now, batchSize, ct);

    /// <summary>Converts any stream of rows (a file, API items, quarantined rows retried) into batches.</summary>
    public static IEnumerable<ImportBatch> Convert(ImportKind kind, ImportMapping mapping, IReadOnlyList<ColumnSchema> schema, IEnumerable<SourceRow> rows,
        DateTimeOffset now, int batchSize = DefaultBatchSize, CancellationToken ct = default)
    {
        var converter = new RowConverter(kind, mapping, schema, now);
        var batch = new ImportBatch();
        foreach (var row in rows)
        {
            batch.RowsRead++;
            batch.SourceChars += row.Raw.Length + 1;
            var r = converter.Convert(row);
            if (!r.Ok)
            {
                var first = r.Errors[0];
                var reason = string.Join("; ", r.Errors.Select(e => e.Column is null || e == first ? e.Reason : $"{e.Column}: {e.Reason}"));
                batch.Rejected.Add(new RejectedRow(row.Line, first.Column, reason, row.Raw));
            }
            else
            {
                batch.Accept(r);
            }
            if (batch.RowsRead >= batchSize)
            {
                ct.ThrowIfCancellationRequested();
                yield return batch;
                batch = new ImportBatch();
            }
        }
        if (batch.RowsRead > 0) yield return batch;
    }
}
