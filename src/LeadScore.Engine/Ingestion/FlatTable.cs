using System.Globalization;
using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>How to read one flat table (one row per lead, one column per attribute).</summary>
public sealed record FlatTableOptions
{
    /// <summary>Column holding the outcome; null for unlabelled (scoring) tables.</summary>
    public string? Target { get; init; }
    /// <summary>The target value that means "converted"; default: 1, yes, true, converted, won.</summary>
    public string? Positive { get; init; }
    /// <summary>Field separator; null = sniffed from the header.</summary>
    public char? Separator { get; init; }
    public IReadOnlyList<string> Exclude { get; init; } = [];
    public string? IdColumn { get; init; }
    public string? TimeColumn { get; init; }
    /// <summary>Values that mean missing (compared case-insensitively after trimming).</summary>
    public IReadOnlyList<string> MissingValues { get; init; } = ["", "NA", "N/A", "null", "NaN", "unknown", "Select"];
    /// <summary>Schemas to use instead of inferring (e.g. the training schema when scoring).</summary>
    public IReadOnlyList<ColumnSchema>? Schema { get; init; }
    /// <summary>
    /// A mapping file (the same one `import` takes): fills the id, target, positive values, time column,
    /// delimiter, missing placeholders, ignored columns, true/false spellings and column kinds that are not set above.
    /// </summary>
    public ImportMapping? Mapping { get; init; }

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
            IdColumn = IdColumn ?? m.Id,
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
    private static readonly string[] PositiveWords = ["1", "yes", "true", "y", "converted", "won", "t"];

    public static FlatTable Load(string path, FlatTableOptions options)
    {
        options = options.WithMapping();
        var rules = options.Mapping is { } mapping ? new ValueRules(mapping with { Missing = options.MissingValues }) : null;
        if (!File.Exists(path)) throw new LeadScoreException($"{path}: file not found", "file");
        var sep = options.Separator ?? SniffFile(path);
        var missing = new HashSet<string>(options.MissingValues, StringComparer.OrdinalIgnoreCase);

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

        var schema = options.Schema ?? header.Select((h, i) => InferWithMapping(options.Mapping, h, rules is null
            ? SchemaInference.InferColumn(h, sample.Select(s => s[i]), missing)
            : SchemaInference.InferColumn(h, sample.Select(s => (string?)s[i]), rules))).ToArray();
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
                    var raw = rec.Fields[col].Trim();
                    row[j] = missing.Contains(raw) ? FeatureValue.Missing : kind switch
                    {
                        ColumnKind.Numeric => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                            ? FeatureValue.Of(d) : FeatureValue.Missing,
                        ColumnKind.Boolean => (rules?.TryBool(raw, out var b) ?? SchemaInference.TryParseBool(raw, out b)) ? FeatureValue.Of(b ? 1 : 0) : FeatureValue.Missing,
                        _ => FeatureValue.Of(raw),
                    };
                }
                bool? label = null;
                if (targetIdx >= 0)
                {
                    var t = rec.Fields[targetIdx].Trim();
                    label = options.PositiveValues is { } pv ? pv.Contains(t, StringComparer.OrdinalIgnoreCase)
                        : options.Positive is { } p ? string.Equals(t, p, StringComparison.OrdinalIgnoreCase) : PositiveWords.Contains(t, StringComparer.OrdinalIgnoreCase);
                }
                DateTimeOffset? time = null;
                if (timeIdx >= 0)
                {
                    if (!(rules?.TryDate(rec.Fields[timeIdx], out var dt) ?? SchemaInference.TryParseDate(rec.Fields[timeIdx].Trim(), out dt)))
                        throw new LeadScoreException($"{path}:{rec.Line}:{timeIdx + 1}: '{rec.Fields[timeIdx]}' is not a date", options.TimeColumn);
                    time = dt;
                }
                var id = idIdx >= 0 ? rec.Fields[idIdx] : n.ToString(CultureInfo.InvariantCulture);
                frame.Add(id, row, label, time);
            }
        }
        return new FlatTable(frame, schema, skipped, path);
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
        using var sr = new StreamReader(path);
        return DelimitedReader.SniffSeparator(sr.ReadLine() ?? "");
    }

    private static void Require(string path, string[] header, string? column)
    {
        if (column is not null && !header.Contains(column))
            throw new LeadScoreException($"{path}: no column named '{column}' (columns: {string.Join(", ", header)})", column);
    }
}
