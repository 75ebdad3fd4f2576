using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
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
/// optional; without one the canonical column names of the generator's formats are used, and a role whose
/// canonical column is absent is guessed from the columns' names and values (see <see cref="RoleInference"/>).
/// Role names may be given as source names or as their renamed names.
/// </summary>
/// <remarks>
/// One vocabulary across kinds: <c>lead_id</c> is the lead id column (leads, activities, outcomes), <c>event_id</c> an
/// activity's own id, <c>timestamp</c> the row's time (a lead's creation, an activity's time, enrichment as-of, an
/// outcome's date). Synonyms are accepted: <c>created_at</c>, <c>date</c>, <c>as_of</c> and <c>time</c> for
/// <c>timestamp</c>; <c>id</c> for the row's own id (<c>lead_id</c> for leads and outcomes, <c>event_id</c> for
/// activities, as in earlier mapping files). Keys starting with <c>_</c> are comments.
/// </remarks>
public sealed record ImportMapping
{
    /// <summary>"csv" or "jsonl"; null = from the file name and first character.</summary>
    public string? Format { get; init; }
    /// <summary>Field delimiter for CSV (one character, "\t" for tab); null = sniffed from the header.</summary>
    public string? Delimiter { get; init; }
    /// <summary>The row's own id: leads and outcomes, the lead id (synonym of <see cref="LeadId"/>); activities, the event id (synonym of <see cref="EventId"/>).</summary>
    public string? Id { get; init; }
    /// <summary>Activities: the event id column (optional; without one events are deduplicated by content).</summary>
    public string? EventId { get; init; }
    /// <summary>Builds an id when the source has none, e.g. "bank-{line}" ({line} = the row's line number).</summary>
    public string? IdTemplate { get; init; }
    /// <summary>The lead id column, for every kind that has one (leads, activities, outcomes). Canonical; <c>id</c> is a synonym for leads and outcomes.</summary>
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
    /// <summary>
    /// Outcomes only: every row of the file is this outcome ("converted", "lost"), for a CRM's closed-deals export with no
    /// outcome column. The outcome column is then not read.
    /// </summary>
    public string? OutcomeValue { get; init; }
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
    /// <summary>
    /// Value labels for coded columns, by column name: the value as written in the file to the label people read, e.g.
    /// <c>"Region": { "1": "North", "2": "South" }</c>. Presentation only (reasons, report, dashboard): the model still reads
    /// the codes, so labels change without retraining. A column that is not in the file is an error.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Labels { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();
    /// <summary>Names to show for columns, e.g. <c>"TrafficType": "Traffic type"</c>; a column not named here is humanised from its name.</summary>
    public IReadOnlyDictionary<string, string> DisplayNames { get; init; } = new Dictionary<string, string>();
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
            return Parse(File.ReadAllText(path)) with { SourcePath = path };
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } l ? $":{l + 1}" : "";
            throw new LeadScoreException($"{path}{where}: invalid mapping file: {Describe(ex)}", "mapping");
        }
        catch (LeadScoreException ex) when (ex.Message.StartsWith("mapping", StringComparison.Ordinal))
        {
            throw new LeadScoreException($"{path}: {ex.Message}", ex.Field);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase))
        {
            // System.Text.Json refuses a lone UTF-16 surrogate ("\ud800") only when it reads the string into a setting.
            throw new LeadScoreException($"{path}: invalid mapping file: a text holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair)", "mapping");
        }
    }

    /// <summary>Reads a mapping from JSON: synonyms folded into the canonical settings, <c>_</c> keys skipped, unknown settings refused by name.</summary>
    public static ImportMapping Parse(string json)
    {
        var node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (node is null) throw new LeadScoreException("mapping file is empty", "mapping");
        if (node is not JsonObject obj) throw new LeadScoreException("mapping file must be a JSON object ({ \"lead_id\": \"...\", ... })", "mapping");
        Normalize(obj, typeof(ImportMapping), "", TimestampSynonyms);
        if (obj["target"] is JsonObject target) Normalize(target, typeof(TargetMapping), "target.", null);
        if (obj["columns"] is JsonObject cols)
            foreach (var (name, c) in cols)
                if (c is JsonObject co) Normalize(co, typeof(ColumnMapping), $"columns.{name}.", null);
        return obj.Deserialize<ImportMapping>(JsonOptions) ?? throw new LeadScoreException("mapping file is empty", "mapping");
    }

    /// <summary>A JSON error as a user reads it: the setting at fault rather than the .NET type it was bound to.</summary>
    private static string Describe(JsonException ex)
    {
        if (ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) && ex.Message.Contains("could not be converted", StringComparison.Ordinal))
            return $"setting '{p[2..]}' has the wrong kind of value (see docs/ingestion.md: column names are text, lists are [\"...\"], target and columns are objects)";
        return ex.Message;
    }

    /// <summary>Names accepted for <c>timestamp</c>: what each kind's canonical column is called, and the plain words.</summary>
    private static readonly string[] TimestampSynonyms = ["created_at", "date", "as_of", "time"];

    /// <summary>The settings a mapping file may hold (snake_case, as written in the file), synonyms included.</summary>
    public static IReadOnlyList<string> ValidSettings { get; } = [.. SettingsOf(typeof(ImportMapping)), .. TimestampSynonyms];

    private static IEnumerable<string> SettingsOf(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));

    // The JSON serializer's own message for an unknown member names a .NET type; a user needs the setting's name, the
    // nearest valid one and the list, so names are checked here before deserializing.
    private static void Normalize(JsonObject obj, Type type, string prefix, string[]? timestampSynonyms)
    {
        var valid = SettingsOf(type).ToList();
        foreach (var key in obj.Select(p => p.Key).ToList())
        {
            if (key.StartsWith('_')) { obj.Remove(key); continue; }
            if (timestampSynonyms is not null && timestampSynonyms.Contains(key))
            {
                var value = obj[key];
                obj.Remove(key);
                if (obj["timestamp"] is { } existing && !JsonNode.DeepEquals(existing, value))
                    throw new LeadScoreException($"mapping: '{key}' and 'timestamp' name the same setting (the time column) with different columns; keep one", "timestamp");
                obj["timestamp"] = value;
                continue;
            }
            if (valid.Contains(key)) continue;
            var all = timestampSynonyms is null ? valid : [.. valid, .. timestampSynonyms];
            var near = Nearest(key, all);
            throw new LeadScoreException(
                $"mapping: unknown setting '{prefix}{key}'{(near is null ? "" : $" (did you mean '{prefix}{near}'?)")}; valid: {string.Join(", ", all)}", prefix + key);
        }
    }

    /// <summary>The valid name closest to <paramref name="key"/> by edit distance, or null when none is close.</summary>
    public static string? Nearest(string key, IEnumerable<string> valid)
    {
        string? best = null;
        var bestD = int.MaxValue;
        foreach (var v in valid)
        {
            var d = Distance(key.ToLowerInvariant(), v);
            if (d < bestD) { bestD = d; best = v; }
        }
        return bestD <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>The lead id column (renamed name) for a kind, from <c>lead_id</c> or its synonym <c>id</c>; null when the mapping names none.</summary>
    public string? LeadIdSetting(ImportKind kind)
    {
        var id = kind is ImportKind.Leads or ImportKind.Outcomes ? Id : null;
        if (LeadId is not null && id is not null && LeadId != id)
            throw new LeadScoreException($"mapping: 'id' ('{id}') and 'lead_id' ('{LeadId}') both name the lead id column; keep one (lead_id is the canonical name)", "lead_id");
        return (LeadId ?? id) is { } c ? Canonical(c) : null;
    }

    /// <summary>Activities: the event id column (renamed name), from <c>event_id</c> or its synonym <c>id</c>.</summary>
    public string? EventIdSetting(ImportKind kind) =>
        kind == ImportKind.Activities && (EventId ?? Id) is { } c ? Canonical(c) : null;

    /// <summary>The outcome every row gets (from <see cref="OutcomeValue"/>), or null; an unknown word fails naming the setting.</summary>
    public OutcomeKind? ConstantOutcome() => OutcomeValue is null ? null
        : RowConverter.ParseOutcome(OutcomeValue) is { } k && k != OutcomeKind.Reopened ? k
        : throw new LeadScoreException($"mapping: outcome_value '{OutcomeValue}' is not an outcome (converted or lost)", "outcome_value");

    /// <summary>Features computed from a lead rather than read from a column, which <see cref="Labels"/> and <see cref="DisplayNames"/> may name too.</summary>
    public static IReadOnlyList<string> BuiltInFeatures { get; } =
        ["days_since_created", "created_day_of_week", "created_hour", "title_seniority", "title_department", "email_free_mail", "email_matches_company"];

    private static readonly string[] DateParts = ["days_before", "month", "day_of_week", "hour"];

    /// <summary>
    /// Checks that every column <see cref="Labels"/> and <see cref="DisplayNames"/> name is in the file (by its source or
    /// renamed name), a feature derived from one (<c>{column}_month</c>) or a built-in feature; fails naming the first that is not.
    /// </summary>
    public void CheckLabels(IReadOnlyList<string> sourceColumns, string file)
    {
        ArgumentNullException.ThrowIfNull(sourceColumns);
        if (Labels.Count == 0 && DisplayNames.Count == 0) return;
        var known = new HashSet<string>(sourceColumns, StringComparer.Ordinal);
        foreach (var c in sourceColumns) known.Add(Canonical(c));
        bool Known(string key) => known.Contains(key) || BuiltInFeatures.Contains(key)
            || DateParts.Any(p => key.EndsWith("_" + p, StringComparison.Ordinal) && known.Contains(key[..^(p.Length + 1)]));
        foreach (var (setting, keys) in new[] { ("labels", Labels.Keys), ("display_names", DisplayNames.Keys) })
            foreach (var key in keys)
            {
                if (Known(key)) continue;
                var near = Nearest(key, known.Select(k => k.ToLowerInvariant()));
                var nearName = near is null ? null : known.First(k => k.ToLowerInvariant() == near);
                throw new LeadScoreException(
                    $"{Origin}: {setting} names column '{key}', which is not in {Path.GetFileName(file)}{(nearName is null ? "" : $" (did you mean '{nearName}'?)")}; its columns: {string.Join(", ", sourceColumns)}",
                    $"{setting}.{key}");
            }
        foreach (var (column, labels) in Labels)
            foreach (var (value, label) in labels)
            {
                if (string.IsNullOrWhiteSpace(label))
                    throw new LeadScoreException($"{Origin}: labels.{column}: the label of '{value}' is empty", $"labels.{column}");
                if (label.Length > MaxLabelLength)
                    throw new LeadScoreException($"{Origin}: labels.{column}: the label of '{Short(value)}' is {label.Length:N0} characters long; at most {MaxLabelLength}", $"labels.{column}");
            }
        foreach (var (column, name) in DisplayNames)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new LeadScoreException($"{Origin}: display_names.{column} is empty", $"display_names.{column}");
            if (name.Length > MaxLabelLength)
                throw new LeadScoreException($"{Origin}: display_names.{column} is {name.Length:N0} characters long; at most {MaxLabelLength}", $"display_names.{column}");
        }
    }

    /// <summary>The mapping file this mapping was read from (<see cref="Load"/>), named by the errors found against the data; null when parsed from text.</summary>
    [JsonIgnore]
    public string? SourcePath { get; init; }

    /// <summary>What an error about a setting names: the mapping file when known.</summary>
    private string Origin => SourcePath ?? "mapping";

    /// <summary>A label or display name is read in a sentence: at most this many characters.</summary>
    public const int MaxLabelLength = 200;

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "...";

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
