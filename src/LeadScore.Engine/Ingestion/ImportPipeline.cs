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

    /// <summary>Which column plays each role and how it was found (named, canonical or guessed); one entry per role.</summary>
    public IReadOnlyList<RoleGuess> Roles { get; init; } = [];

    /// <summary>
    /// Columns that look coded (a few small whole numbers in the sampled rows, such as Region 1-9), with their values in
    /// order: --infer-only writes a label placeholder for each. By renamed name.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> CodedColumns { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The most distinct values a column may have to count as coded.</summary>
    public const int MaxCodes = 30;

    /// <summary>The mapping with every column's kind and personal flag written out, for --infer-only.</summary>
    public ImportMapping ToMapping() => Mapping with
    {
        Format = Format,
        Delimiter = Format == "csv" ? (Delimiter == '\t' ? "\\t" : Delimiter.ToString()) : null,
        Columns = Schema.ToDictionary(s => s.Name, s => new ColumnMapping { Kind = s.Kind, Personal = s.IsPersonal, PersonalReason = s.PersonalReason }),
    };
}

/// <summary>Writes a plan as the complete mapping --infer-only saves: every setting that applies to the kind, with the value the import would use.</summary>
public static class CompleteMapping
{
    private static readonly System.Text.Json.JsonSerializerOptions WithNulls = new(ImportMapping.JsonOptions)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
        // A file for people to edit: quotes and apostrophes in the note stay readable, not \u0022.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly string[] General = ["format", "delimiter", "default_timestamp", "date_formats", "missing", "true_values", "false_values", "ignore", "rename", "columns", "counts", "max_length", "future_tolerance_hours",
        "display_names", "labels"];


    /// <summary>The role settings of a kind, in the order a user reads them.</summary>
    public static IReadOnlyList<string> RoleSettings(ImportKind kind) => kind switch
    {
        ImportKind.Leads => ["lead_id", "timestamp", "id_template", "target"],
        ImportKind.Activities => ["lead_id", "event_id", "type", "timestamp", "url", "value"],
        ImportKind.Enrichment => ["domain", "timestamp"],
        _ => ["lead_id", "timestamp", "outcome", "outcome_value"],
    };

    /// <summary>
    /// The JSON text. A role that could not be found gets a placeholder naming what to put there and a <c>_note</c> saying so
    /// (keys starting with <c>_</c> are comments), so the file is always complete and the next step is in it.
    /// </summary>
    public static string ToJson(ImportPlan plan, out IReadOnlyList<string> missing)
    {
        var mapping = plan.ToMapping() with
        {
            Missing = plan.Mapping.Missing ?? ImportMapping.DefaultMissing,
            TrueValues = plan.Mapping.TrueValues ?? ValueRules.DefaultTrueValues,
            FalseValues = plan.Mapping.FalseValues ?? ValueRules.DefaultFalseValues,
        };
        var full = System.Text.Json.JsonSerializer.SerializeToNode(mapping, WithNulls)!.AsObject();
        var columns = new HashSet<string>(plan.SourceColumns.Select(plan.Mapping.Canonical), StringComparer.Ordinal);
        string? IfPresent(string? named, string canonical) => named ?? (columns.Contains(canonical) ? canonical : null);
        var roles = new Dictionary<string, System.Text.Json.Nodes.JsonNode?>(StringComparer.Ordinal);
        var notes = new List<string>();
        foreach (var r in plan.Roles)
        {
            if (r.Found) { roles[r.Setting] = r.Column ?? r.Constant; continue; }
            var choices = string.Join(", ", plan.SourceColumns);
            roles[r.Setting] = $"?? the column holding the {r.Role} (one of: {choices})";
            notes.Add($"no {r.Role} column could be guessed: replace the \"??\" value of \"{r.Setting}\" with the column's name before importing");
        }
        if (plan.Kind == ImportKind.Activities)
        {
            roles.TryAdd("event_id", IfPresent(plan.Mapping.EventIdSetting(plan.Kind), "event_id"));
            roles.TryAdd("url", IfPresent(plan.Mapping.Url, "url"));
            roles.TryAdd("value", IfPresent(plan.Mapping.Value, "value"));
        }
        // Presentation: every feature column's display name as reasons would show it (edit to taste), and a commented
        // placeholder per coded column to fill in with what each code means.
        var roleColumns = new HashSet<string>(plan.RoleColumns, StringComparer.Ordinal);
        var display = new System.Text.Json.Nodes.JsonObject();
        foreach (var s in plan.Schema)
            if (!roleColumns.Contains(s.Name) && !s.IsPersonal && s.Kind is not (ColumnKind.Identifier or ColumnKind.Text))
                display[s.Name] = plan.Mapping.DisplayNames.TryGetValue(s.Name, out var named) ? named : ColumnNames.Humanize(s.Name);
        roles["display_names"] = display;
        var labelled = System.Text.Json.JsonSerializer.SerializeToNode(plan.Mapping.Labels, WithNulls);
        roles["labels"] = labelled;
        var placeholders = new System.Text.Json.Nodes.JsonObject();
        foreach (var (column, codes) in plan.CodedColumns)
        {
            if (plan.Mapping.Labels.ContainsKey(column)) continue;
            var each = new System.Text.Json.Nodes.JsonObject();
            foreach (var c in codes) each[c] = "";
            placeholders[column] = each;
        }
        var o = new System.Text.Json.Nodes.JsonObject();
        if (notes.Count > 0) o["_note"] = string.Join("; ", notes);
        foreach (var key in RoleSettings(plan.Kind).Concat(General))
            o[key] = roles.TryGetValue(key, out var v) ? v?.DeepClone() : full[key]?.DeepClone();
        if (placeholders.Count > 0)
        {
            o["_labels_note"] = "these columns look coded: write what each code means and move them into \"labels\" (e.g. \"labels\": { \"Region\": { \"1\": \"North\" } }); " +
                "labels and display_names only change how reasons, the report and the dashboard read, never the model";
            o["_labels"] = placeholders;
        }
        missing = notes;
        return o.ToJsonString(WithNulls);
    }
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
    /// <param name="requireRoles">False for --infer-only: a role that cannot be found is reported in <see cref="ImportPlan.Roles"/> instead of failing.</param>
    public static ImportPlan Plan(ImportKind kind, string path, ImportMapping? mapping, DateTimeOffset now, IReadOnlyDictionary<string, ColumnSchema>? known = null,
        bool requireRoles = true)
    {
        mapping ??= ImportMapping.Default;
        var source = SourceReader.Open(path, mapping);
        var columns = source.Columns;
        mapping.CheckLabels(columns, path);
        var sample = source.ReadRows().Where(r => r.Error is null).Take(SampleRows).ToList();
        var rules = ValueRules.FromMapping(mapping);
        // Roles the mapping leaves out and the file does not hold under their canonical names are guessed (mql_id, won_date).
        (mapping, var roles) = RoleInference.Complete(kind, columns, sample, mapping, rules);
        var converter = new RowConverter(kind, mapping, [], now);
        // JSON lines name their keys per row: a missing key is that row's problem, not the file's.
        if (requireRoles && source.Format == "csv") converter.RequireColumns(columns, path);
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
        var roleSet = new HashSet<string>(converter.RoleColumns, StringComparer.Ordinal);
        var coded = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var col in columns)
        {
            var name = mapping.Canonical(col);
            if (roleSet.Contains(name) || schema.FirstOrDefault(s => s.Name == name) is not { IsPersonal: false, Kind: ColumnKind.Numeric or ColumnKind.Categorical }) continue;
            if (Codes(sample.Select(r => r.Values.GetValueOrDefault(col)), rules) is { } codes) coded[name] = codes;
        }
        return new ImportPlan
        {
            Kind = kind, Mapping = mapping, Schema = schema, SourceColumns = columns, RoleColumns = converter.RoleColumns,
            Format = source.Format, Delimiter = source.Delimiter, Inferred = mapping.Columns.Count == 0, Roles = roles, CodedColumns = coded,
        };
    }

    /// <summary>
    /// The codes of a column that looks coded: every present value a whole number of at most 3 digits, 2 to
    /// <see cref="ImportPlan.MaxCodes"/> distinct ones, in numeric order; else null.
    /// </summary>
    private static List<string>? Codes(IEnumerable<string?> values, ValueRules rules)
    {
        var seen = new SortedSet<int>();
        foreach (var raw in values)
        {
            if (raw is null || rules.IsMissing(raw)) continue;
            var v = raw.Trim();
            if (v.Length is 0 or > 3 || !v.All(char.IsAsciiDigit)) return null;
            seen.Add(int.Parse(v, System.Globalization.CultureInfo.InvariantCulture));
            if (seen.Count > ImportPlan.MaxCodes) return null;
        }
        return seen.Count >= 2 ? seen.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList() : null;
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
