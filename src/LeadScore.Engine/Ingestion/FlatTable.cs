using System.Globalization;
using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>How to read one flat table (one row per lead, one column per attribute).</summary>
public sealed record FlatTableOptions
{
    /// <summary>Column holding the outcome; null for unlabelled (scoring) tables.</summary>
    public string? Target { get; init; }
    /// <summary>The target value that means "converted"; default: <see cref="ValueRules.DefaultPositiveTargets"/>.</summary>
    public string? Positive { get; init; }
    /// <summary>Field separator; null = sniffed from the header.</summary>
    public char? Separator { get; init; }
    public IReadOnlyList<string> Exclude { get; init; } = [];
    public string? IdColumn { get; init; }
    public string? TimeColumn { get; init; }
    /// <summary>Values that mean missing (compared case-insensitively after trimming); default <see cref="ValueRules.DefaultMissingValues"/>.</summary>
    public IReadOnlyList<string> MissingValues { get; init; } = ValueRules.DefaultMissingValues;
    /// <summary>Schemas to use instead of inferring (e.g. the training schema when scoring).</summary>
    public IReadOnlyList<ColumnSchema>? Schema { get; init; }
    /// <summary>
    /// A mapping file (the same one `import` takes): fills the id, target, positive values, time column,
    /// delimiter, missing placeholders, ignored columns, true/false spellings and column kinds that are not set above.
    /// </summary>
    public ImportMapping? Mapping { get; init; }

    /// <summary>
    /// The value rules this table is read with: the mapping's true/false words and date formats, and <see cref="MissingValues"/>.
    /// A flat model should keep these (see <see cref="ValueRules.ToJson"/>) so serving reads attributes the same way.
    /// </summary>
    public ValueRules Rules() => ValueRules.FromMapping(WithMapping().Mapping) with { MissingValues = WithMapping().MissingValues };

    /// <summary>These options with the mapping's settings filled in where they are not set explicitly.</summary>
    public FlatTableOptions WithMapping()
    {
        if (Mapping is not { } m) return this;
        return this with
        {
            Target = Target ?? m.Target?.Column,
            Positive = Positive ?? (m.Target?.Positive is { Count: 1 } p ? p[0] : null),
            PositiveValues = PositiveValues ?? (Positive is null ? m.Target?.Positive : null),
            Separator = Separator ?? m.DelimiterChar,
            Exclude = [.. Exclude, .. m.Ignore],
            IdColumn = IdColumn ?? m.LeadId ?? m.Id,
            TimeColumn = TimeColumn ?? m.Timestamp,
            MissingValues = m.Missing ?? MissingValues,
        };
    }

    /// <summary>Several values meaning "converted" (from a mapping's target.positive); overrides <see cref="Positive"/>.</summary>
    public IReadOnlyList<string>? PositiveValues { get; init; }
}

/// <summary>A flat table read into features, with the schema used and what was left out.</summary>
public sealed record FlatTable(FeatureFrame Frame, IReadOnlyList<ColumnSchema> Schema, IReadOnlyList<string> Skipped, string File);

/// <summary>
/// Reads a flat CSV into a <see cref="FeatureFrame"/>: numeric and boolean columns become numbers,
/// categorical columns categories; identifiers, free text, personal data and datetimes are not features.
/// </summary>
public static class FlatTableLoader
{

    public static FlatTable Load(string path, FlatTableOptions options)
    {
        options = options.WithMapping();
        var rules = options.Rules();
        if (!File.Exists(path)) throw new LeadScoreException($"{path}: file not found", "file");
        var sep = options.Separator ?? SniffFile(path);

        // Pass 1: infer the schema from a sample (streams; never holds the whole file).
        string[] header;
        var sample = new List<string[]>();
        using (var r = DelimitedReader.Open(path, sep))
        {
            header = r.Read()?.Fields.Select(h => h.Trim()).ToArray() ?? throw new LeadScoreException($"{path}: the file is empty", "file");
            while (sample.Count < 5000 && r.Read() is { } rec)
                if (rec.Error is null && rec.Fields.Length == header.Length) sample.Add(rec.Fields);
        }
        Require(path, header, options.Target);
        Require(path, header, options.IdColumn);
        Require(path, header, options.TimeColumn);
        foreach (var e in options.Exclude) Require(path, header, e);
        options.Mapping?.CheckLabels(header, path);

        var schema = options.Schema ?? header.Select((h, i) => InferWithMapping(options.Mapping, h,
            SchemaInference.InferColumn(h, sample.Select(s => (string?)s[i]), rules))).ToArray();
        var byName = schema.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var excluded = new HashSet<string>(options.Exclude, StringComparer.Ordinal);
        var features = new List<(int Col, FeatureInfo Info, ColumnKind Kind)>();
        var skipped = new List<string>();
        for (var i = 0; i < header.Length; i++)
        {
            var name = header[i];
            if (name == options.Target || name == options.IdColumn || name == options.TimeColumn) continue;
            if (!byName.TryGetValue(name, out var cs)) { skipped.Add($"{name}: not in the model's schema"); continue; }
            if (excluded.Contains(name)) { skipped.Add($"{name}: excluded by request"); continue; }
            if (cs.IsPersonal) { skipped.Add($"{name}: personal data ({cs.PersonalReason})"); continue; }
            switch (cs.Kind)
            {
                case ColumnKind.Numeric or ColumnKind.Boolean:
                    features.Add((i, new FeatureInfo(name, FeatureKind.Numeric, $"column '{name}' ({cs.Kind.ToString().ToLowerInvariant()})"), cs.Kind));
                    break;
                case ColumnKind.Categorical:
                    features.Add((i, new FeatureInfo(name, FeatureKind.Categorical, $"column '{name}' (categorical)") { IsSegment = true }, cs.Kind));
                    break;
                default:
                    skipped.Add($"{name}: {cs.Kind.ToString().ToLowerInvariant()} column, not a feature");
                    break;
            }
        }

        var frame = new FeatureFrame(features.Select(f => f.Info).ToArray());
        var targetIdx = options.Target is null ? -1 : Array.IndexOf(header, options.Target);
        var idIdx = options.IdColumn is null ? -1 : Array.IndexOf(header, options.IdColumn);
        var timeIdx = options.TimeColumn is null ? -1 : Array.IndexOf(header, options.TimeColumn);
        var positive = new HashSet<string>(options.PositiveValues ?? (options.Positive is { } p ? [p] : ValueRules.DefaultPositiveTargets), StringComparer.OrdinalIgnoreCase);
        using (var r = DelimitedReader.Open(path, sep))
        {
            r.Read();
            var n = 0;
            while (r.Read() is { } rec)
            {
                n++;
                if (rec.Error is not null) throw new LeadScoreException($"{path}:{rec.Line}: {rec.Error}");
                if (rec.Fields.Length != header.Length)
                    throw new LeadScoreException($"{path}:{rec.Line}:{Math.Min(rec.Fields.Length, header.Length) + 1}: expected {header.Length} fields, found {rec.Fields.Length}");
                var row = new FeatureValue[features.Count];
                for (var j = 0; j < features.Count; j++)
                {
                    var (col, info, kind) = features[j];
                    row[j] = FlatValue(rec.Fields[col], kind, rules);
                }
                bool? label = null;
                if (targetIdx >= 0)
                {
                    var t = rec.Fields[targetIdx].Trim();
                    label = positive.Contains(t);
                }
                DateTimeOffset? time = null;
                if (timeIdx >= 0)
                {
                    if (!rules.TryDate(rec.Fields[timeIdx], out var dt))
                        throw new LeadScoreException($"{path}:{rec.Line}:{timeIdx + 1}: '{rec.Fields[timeIdx]}' is not a date", options.TimeColumn);
                    time = dt;
                }
                var id = idIdx >= 0 ? rec.Fields[idIdx] : n.ToString(CultureInfo.InvariantCulture);
                frame.Add(id, row, label, time);
            }
        }
        return new FlatTable(frame, schema, skipped, path);
    }

    /// <summary>
    /// One flat-table value as a feature, the same when training reads the table and when serving reads a lead's attribute:
    /// missing placeholders are missing; numbers must be finite and within <see cref="ValueRules.MaxMagnitude"/>; booleans use
    /// the rules' true/false words; anything unreadable is missing.
    /// </summary>
    public static FeatureValue FlatValue(string? raw, ColumnKind kind, ValueRules rules)
    {
        if (rules.IsMissing(raw)) return FeatureValue.Missing;
        var t = raw!.Trim();
        return kind switch
        {
            ColumnKind.Numeric => ValueRules.TryNumber(t, out var d) ? FeatureValue.Of(d) : FeatureValue.Missing,
            ColumnKind.Boolean => rules.TryBool(t, out var b) ? FeatureValue.Of(b ? 1 : 0) : FeatureValue.Missing,
            _ => FeatureValue.Of(t),
        };
    }

    /// <summary>A mapping's column entry (by source or renamed name) overrides the inferred kind and personal flag.</summary>
    private static ColumnSchema InferWithMapping(ImportMapping? m, string name, ColumnSchema inferred)
    {
        if (m is null) return inferred;
        if (!m.Columns.TryGetValue(name, out var cm) && !m.Columns.TryGetValue(m.Canonical(name), out cm)) return inferred;
        return inferred with
        {
            Kind = cm.Kind,
            IsPersonal = cm.Personal || inferred.IsPersonal,
            PersonalReason = cm.Personal ? cm.PersonalReason ?? "marked personal in the mapping" : inferred.PersonalReason,
        };
    }

    public static char SniffFile(string path)
    {
        using var sr = DelimitedReader.OpenText(path);
        return DelimitedReader.SniffSeparator(DelimitedReader.ReadFirstLine(sr));
    }

    private static void Require(string path, string[] header, string? column)
    {
        if (column is not null && !header.Contains(column))
            throw new LeadScoreException($"{path}: no column named '{column}' (columns: {string.Join(", ", header)})", column);
    }
}
