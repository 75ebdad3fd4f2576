using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>What is being imported: each kind has its own canonical columns and domain type.</summary>
public enum ImportKind
{
    Leads,
    Activities,
    Enrichment,
    Outcomes,
}

/// <summary>How a true/false target column becomes outcomes (leads files only).</summary>
public sealed record TargetMapping
{
    /// <summary>The source column holding the outcome, e.g. "Converted" or "y".</summary>
    public required string Column { get; init; }
    /// <summary>Values meaning converted (case-insensitive); default <see cref="ValueRules.DefaultPositiveTargets"/> (1, yes, true, y, t, converted, won).</summary>
    public IReadOnlyList<string>? Positive { get; init; }
    /// <summary>Values meaning lost; default <see cref="ValueRules.DefaultNegativeTargets"/> (0, no, false, n, f, lost). Anything else is rejected.</summary>
    public IReadOnlyList<string>? Negative { get; init; }
}

/// <summary>What a mapping file says about one column.</summary>
public sealed record ColumnMapping
{
    public ColumnKind Kind { get; init; } = ColumnKind.Categorical;
    public bool Personal { get; init; }
    /// <summary>Why it is personal (printed and kept with the schema).</summary>
    public string? PersonalReason { get; init; }
}

/// <summary>
/// A mapping file: which source column plays which role, and how to read values. Every member is
/// optional; without one the canonical column names of the generator's formats are used
/// (see docs/ingestion.md). Role names may be given as source names or as their renamed names.
/// </summary>
public sealed record ImportMapping
{
    /// <summary>"csv" or "jsonl"; null = from the file name and first character.</summary>
    public string? Format { get; init; }
    /// <summary>Field delimiter for CSV (one character, "\t" for tab); null = sniffed from the header.</summary>
    public string? Delimiter { get; init; }
    /// <summary>Leads: the lead id column. Activities: the event id column.</summary>
    public string? Id { get; init; }
    /// <summary>Builds an id when the source has none, e.g. "bank-{line}" ({line} = the row's line number).</summary>
    public string? IdTemplate { get; init; }
    /// <summary>Activities and outcomes: the lead id column.</summary>
    public string? LeadId { get; init; }
    /// <summary>The time column: a lead's creation, an activity's time, enrichment as-of, outcome date.</summary>
    public string? Timestamp { get; init; }
    /// <summary>Used when there is no time column (e.g. a CRM export without dates), so re-imports stay identical.</summary>
    public string? DefaultTimestamp { get; init; }
    public string? Type { get; init; }
    public string? Url { get; init; }
    public string? Value { get; init; }
    public string? Domain { get; init; }
    public string? Outcome { get; init; }
    /// <summary>Leads only: a column whose value becomes a converted/lost outcome at the lead's time.</summary>
    public TargetMapping? Target { get; init; }
    /// <summary>Extra date formats (.NET custom format strings), tried before the built-in ones.</summary>
    public IReadOnlyList<string> DateFormats { get; init; } = [];
    /// <summary>Values meaning missing (case-insensitive, after trimming); replaces the defaults when given.</summary>
    public IReadOnlyList<string>? Missing { get; init; }
    /// <summary>Spellings of true; replaces <see cref="ValueRules.DefaultTrueValues"/> when given.</summary>
    public IReadOnlyList<string>? TrueValues { get; init; }
    /// <summary>Spellings of false; replaces <see cref="ValueRules.DefaultFalseValues"/> when given.</summary>
    public IReadOnlyList<string>? FalseValues { get; init; }
    /// <summary>Source columns dropped on import.</summary>
    public IReadOnlyList<string> Ignore { get; init; } = [];
    /// <summary>Source column name to canonical name, e.g. "Lead Source": "source".</summary>
    public IReadOnlyDictionary<string, string> Rename { get; init; } = new Dictionary<string, string>();
    /// <summary>Column kinds and personal-data flags (by renamed name); columns not named are inferred.</summary>
    public IReadOnlyDictionary<string, ColumnMapping> Columns { get; init; } = new Dictionary<string, ColumnMapping>();
    /// <summary>Numeric columns that count something, so a negative value is rejected.</summary>
    public IReadOnlyList<string> Counts { get; init; } = [];
    /// <summary>Longest accepted value, in characters.</summary>
    public int MaxLength { get; init; } = 4000;
    /// <summary>How far in the future a timestamp may be (clock skew) before the row is rejected.</summary>
    public double FutureToleranceHours { get; init; } = 24;

    /// <summary>The default missing values: the same list as <see cref="ValueRules.DefaultMissingValues"/>.</summary>
    public static readonly IReadOnlyList<string> DefaultMissing = ValueRules.DefaultMissingValues;

    /// <summary>The mapping used when none is given: canonical names, default spellings.</summary>
    public static ImportMapping Default { get; } = new();

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Reads a mapping file; a malformed one fails with one clear line naming the problem.</summary>
    public static ImportMapping Load(string path)
    {
        if (!File.Exists(path)) throw new LeadScoreException($"{path}: mapping file not found", "mapping");
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } l ? $":{l + 1}" : "";
            throw new LeadScoreException($"{path}{where}: invalid mapping file: {ex.Message}", "mapping");
        }
    }

    public static ImportMapping Parse(string json) =>
        JsonSerializer.Deserialize<ImportMapping>(json, JsonOptions) ?? throw new LeadScoreException("mapping file is empty", "mapping");

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void Save(string path) => File.WriteAllText(path, ToJson() + Environment.NewLine);

    /// <summary>The delimiter as a char, accepting "\t" and "tab".</summary>
    [JsonIgnore]
    public char? DelimiterChar => Delimiter switch
    {
        null or "" => null,
        "\\t" or "tab" or "\t" => '\t',
        { Length: 1 } d => d[0],
        _ => throw new LeadScoreException($"mapping: delimiter must be one character, got '{Delimiter}'", "delimiter"),
    };

    /// <summary>The name a source column has after renaming.</summary>
    public string Canonical(string sourceName) => Rename.TryGetValue(sourceName, out var to) ? to : sourceName;
}
