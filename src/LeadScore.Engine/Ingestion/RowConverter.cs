using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>Why a row was rejected: the column at fault (null for the whole row) and the reason.</summary>
public sealed record RowError(string? Column, string Reason);

/// <summary>A row that goes to quarantine: where it was, what was wrong, its source text.</summary>
public sealed record RejectedRow(long Line, string? Column, string Reason, string Raw);

/// <summary>The result of converting one row: exactly one of <see cref="Item"/> or <see cref="Errors"/>.</summary>
public sealed record ConvertedRow(object? Item, Outcome? DerivedOutcome, IReadOnlyList<RowError> Errors)
{
    public bool Ok => Errors.Count == 0;
}

/// <summary>
/// Turns source rows into domain objects (<see cref="Lead"/>, <see cref="Activity"/>,
/// <see cref="Enrichment"/>, <see cref="Outcome"/>) under a mapping, or says exactly why not.
/// Stateful only for duplicate detection within one source; create one per file or request.
/// </summary>
public sealed class RowConverter
{
    /// <summary>Attribute derived from a lead's email: "business" or "free_mail" (the address itself stays personal).</summary>
    public const string EmailDomainKindField = "email_domain_kind";

    private static readonly string[] CountWords = ["count", "visits", "views", "employees", "number of", "num_", "seats", "quantity"];
    private readonly ImportKind _kind;
    private readonly ImportMapping _m;
    private readonly ValueRules _rules;
    private readonly Dictionary<string, ColumnSchema> _schema;
    private readonly HashSet<string> _ignore;
    private readonly HashSet<string> _counts;
    private readonly DateTimeOffset _latestAllowed;
    private readonly DateTimeOffset? _defaultTime;
    private readonly Dictionary<string, long> _seenKeys = new(StringComparer.Ordinal);
    private readonly string? _idCol, _leadIdCol, _timeCol, _typeCol, _urlCol, _valueCol, _domainCol, _outcomeCol, _targetCol;
    private readonly HashSet<string> _targetPositive, _targetNegative;
    private readonly OutcomeKind? _constantOutcome;

    public RowConverter(ImportKind kind, ImportMapping mapping, IReadOnlyList<ColumnSchema> schema, DateTimeOffset now)
    {
        _kind = kind;
        _m = mapping;
        _rules = ValueRules.FromMapping(mapping);
        _schema = schema.ToDictionary(s => s.Name, StringComparer.Ordinal);
        _ignore = new HashSet<string>(mapping.Ignore.Select(mapping.Canonical).Concat(mapping.Ignore), StringComparer.Ordinal);
        _counts = new HashSet<string>(mapping.Counts.Select(mapping.Canonical), StringComparer.Ordinal);
        // A tolerance past the calendar's end means "no limit", not an exception.
        _latestAllowed = mapping.FutureToleranceHours >= (DateTimeOffset.MaxValue - now).TotalHours ? DateTimeOffset.MaxValue : now.AddHours(Math.Max(0, mapping.FutureToleranceHours));
        if (mapping.DefaultTimestamp is { } dt)
            _defaultTime = _rules.TryDate(dt, out var d) ? d : throw new LeadScoreException($"mapping: default_timestamp '{dt}' is not a date", "default_timestamp");
        string C(string? n) => n is null ? null! : mapping.Canonical(n);
        // One vocabulary: lead_id (synonym id) names the lead id column for every kind; event_id (synonym id) an activity's own id.
        _idCol = kind switch
        {
            ImportKind.Leads => mapping.LeadIdSetting(kind) ?? "lead_id",
            ImportKind.Activities => mapping.EventIdSetting(kind) ?? "event_id",
            _ => null,
        };
        _leadIdCol = kind is ImportKind.Activities or ImportKind.Outcomes ? mapping.LeadIdSetting(kind) ?? "lead_id" : null;
        _timeCol = C(mapping.Timestamp ?? kind switch
        {
            ImportKind.Leads => "created_at",
            ImportKind.Activities => "timestamp",
            ImportKind.Enrichment => "as_of",
            _ => "date",
        });
        _typeCol = kind == ImportKind.Activities ? C(mapping.Type ?? "type") : null;
        _urlCol = kind == ImportKind.Activities ? C(mapping.Url ?? "url") : null;
        _valueCol = kind == ImportKind.Activities ? C(mapping.Value ?? "value") : null;
        _domainCol = kind == ImportKind.Enrichment ? C(mapping.Domain ?? "domain") : null;
        _constantOutcome = kind == ImportKind.Outcomes ? mapping.ConstantOutcome() : null;
        // A file where every row is one outcome (outcome_value) has no outcome column to read.
        _outcomeCol = kind == ImportKind.Outcomes && _constantOutcome is null ? C(mapping.Outcome ?? "outcome") : null;
        _targetCol = kind == ImportKind.Leads && mapping.Target is { } t ? C(t.Column) : null;
        _targetPositive = new(mapping.Target?.Positive ?? ValueRules.DefaultPositiveTargets, StringComparer.OrdinalIgnoreCase);
        _targetNegative = new(mapping.Target?.Negative ?? ValueRules.DefaultNegativeTargets, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The value rules this converter reads with (the mapping's, defaults where it names none).</summary>
    public ValueRules Rules => _rules;

    /// <summary>Columns (renamed) that play a role rather than being stored as attributes/properties.</summary>
    public IReadOnlyList<string> RoleColumns =>
        new[] { _idCol, _leadIdCol, _timeCol, _typeCol, _urlCol, _valueCol, _domainCol, _outcomeCol, _targetCol }.OfType<string>().ToList();

    /// <summary>The kind a role column is read as (ids are identifiers, times datetimes), or null for other columns.</summary>
    public ColumnKind? RoleKind(string name) =>
        name == _idCol || name == _leadIdCol || name == _domainCol ? ColumnKind.Identifier
        : name == _timeCol ? ColumnKind.DateTime
        : null;

    /// <summary>
    /// Checks that the columns a kind needs are there (a whole-file problem, reported before reading rows).
    /// </summary>
    public void RequireColumns(IReadOnlyCollection<string> sourceColumns, string file)
    {
        var renamed = new HashSet<string>(sourceColumns.Select(_m.Canonical), StringComparer.Ordinal);
        void Need(string? col, string role, string setting, bool optional = false, string? alternative = null)
        {
            if (col is null || optional || renamed.Contains(col)) return;
            throw new LeadScoreException(
                $"{file}:1: no {role} column '{col}' and none could be guessed (columns: {string.Join(", ", sourceColumns)}); " +
                $"name it with \"{setting}\" in a mapping file (--mapping), e.g. {{ \"{setting}\": \"{sourceColumns.FirstOrDefault() ?? "column"}\" }}{alternative}", setting);
        }
        switch (_kind)
        {
            case ImportKind.Leads:
                Need(_idCol, "lead id", "lead_id", _m.IdTemplate is not null, "; or build ids with \"id_template\"");
                Need(_timeCol, "created time", "timestamp", _defaultTime is not null, "; or give every lead one time with \"default_timestamp\"");
                Need(_targetCol, "target", "target");
                break;
            case ImportKind.Activities:
                Need(_leadIdCol, "lead id", "lead_id");
                Need(_typeCol, "type", "type");
                Need(_timeCol, "timestamp", "timestamp", _defaultTime is not null);
                break;
            case ImportKind.Enrichment:
                Need(_domainCol, "domain", "domain");
                Need(_timeCol, "as-of date", "timestamp", _defaultTime is not null);
                break;
            case ImportKind.Outcomes:
                Need(_leadIdCol, "lead id", "lead_id");
                Need(_outcomeCol, "outcome", "outcome", alternative: "; or, when every row is one outcome, --outcome converted (mapping: \"outcome_value\")");
                Need(_timeCol, "outcome date", "timestamp", _defaultTime is not null);
                break;
        }
    }

    public ConvertedRow Convert(SourceRow row)
    {
        if (row.Error is not null) return Fail(null, row.Error);
        var errors = new List<RowError>();
        var values = new Dictionary<string, string?>(row.Values.Count, StringComparer.Ordinal);
        foreach (var (source, raw) in row.Values)
        {
            if (_ignore.Contains(source)) continue;
            var name = _m.Canonical(source);
            if (_ignore.Contains(name)) continue;
            if (raw is not null)
            {
                if (raw.Contains('\uFFFD')) { errors.Add(new RowError(name, "invalid UTF-8")); continue; }
                // U+2400 (the symbol for NUL) too: quarantine stores a NUL as it, since PostgreSQL text cannot hold NUL,
                // and a retried row must not pass the check its original failed.
                if (raw.Contains('\0') || raw.Contains('\u2400')) { errors.Add(new RowError(name, "invalid character NUL")); continue; }
                if (raw.Length > _m.MaxLength) { errors.Add(new RowError(name, $"value too long ({raw.Length} characters, limit {_m.MaxLength})")); continue; }
            }
            values[name] = _rules.IsMissing(raw) ? null : raw!.Trim();
        }
        if (errors.Count > 0) return new ConvertedRow(null, null, errors);
        return _kind switch
        {
            ImportKind.Leads => ToLead(row, values, errors),
            ImportKind.Activities => ToActivity(values, errors),
            ImportKind.Enrichment => ToEnrichment(row, values, errors),
            _ => ToOutcome(row, values, errors),
        };
    }

    private ConvertedRow ToLead(SourceRow row, Dictionary<string, string?> values, List<RowError> errors)
    {
        var id = _m.IdTemplate is { } tpl && (_idCol is null || Get(values, _idCol) is null)
            ? tpl.Replace("{line}", row.Line.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            : Get(values, _idCol);
        if (id is null) errors.Add(new RowError(_idCol, "missing id"));
        var created = Time(values, errors);
        Outcome? outcome = null;
        string? targetValue = _targetCol is null ? null : Get(values, _targetCol);
        var attrs = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, v) in values)
        {
            if (name == _idCol || name == _timeCol || name == _targetCol) continue;
            attrs[name] = Typed(name, v, errors);
        }
        if (attrs.GetValueOrDefault(LeadFields.Email) is { } email && !values.ContainsKey(EmailDomainKindField))
            attrs[EmailDomainKindField] = EmailDomains.Kind(email);
        if (errors.Count > 0) return new ConvertedRow(null, null, errors);
        if (targetValue is not null)
        {
            if (_targetPositive.Contains(targetValue)) outcome = new Outcome { LeadId = id!, Kind = OutcomeKind.Converted, At = created!.Value };
            else if (_targetNegative.Contains(targetValue)) outcome = new Outcome { LeadId = id!, Kind = OutcomeKind.Lost, At = created!.Value };
            else return Fail(_targetCol, $"wrong type: target '{targetValue}' is neither a positive nor a negative value");
        }
        if (Duplicate(id!, row.Line) is { } dup) return dup;
        return new ConvertedRow(new Lead { Id = id!, CreatedAt = created!.Value, Attributes = attrs }, outcome, []);
    }

    private ConvertedRow ToActivity(Dictionary<string, string?> values, List<RowError> errors)
    {
        var leadId = Get(values, _leadIdCol);
        if (leadId is null) errors.Add(new RowError(_leadIdCol, "missing lead id"));
        var type = Get(values, _typeCol) is { } t ? NormaliseType(t) : null;
        if (type is null) errors.Add(new RowError(_typeCol, "missing type"));
        var ts = Time(values, errors);
        var url = Get(values, _urlCol);
        double? value = null;
        if (Get(values, _valueCol) is { } vs)
        {
            if (!ValueRules.TryNumber(vs, out var v, out var why)) errors.Add(new RowError(_valueCol, why!));
            else if (v < 0 && type is not null && !type.StartsWith("social_", StringComparison.Ordinal))
                errors.Add(new RowError(_valueCol, $"negative count: {vs}"));
            else value = v;
        }
        var props = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, v) in values)
        {
            if (name == _idCol || name == _leadIdCol || name == _typeCol || name == _timeCol || name == _urlCol || name == _valueCol || v is null) continue;
            props[name] = Typed(name, v, errors);
        }
        if (errors.Count > 0) return new ConvertedRow(null, null, errors);
        var eventId = Get(values, _idCol) ?? ContentHash(leadId!, type!, ts!.Value, url, value, props);
        return new ConvertedRow(new Activity { EventId = eventId, LeadId = leadId!, Type = type!, Timestamp = ts!.Value, Url = url, Value = value, Properties = props }, null, []);
    }

    private ConvertedRow ToEnrichment(SourceRow row, Dictionary<string, string?> values, List<RowError> errors)
    {
        var domain = EmailDomains.NormalizeDomain(Get(values, _domainCol));
        if (domain is null) errors.Add(new RowError(_domainCol, "missing domain"));
        var asOf = Time(values, errors);
        var attrs = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, v) in values)
        {
            if (name == _domainCol || name == _timeCol) continue;
            var before = errors.Count;
            attrs[name] = Typed(name, v, errors);
            // Features read these as numbers whatever the column's inferred kind ("99999999999999999999" or "Infinity" too).
            if (errors.Count == before && v is not null && (name == EnrichmentFields.Employees || name == EnrichmentFields.IntentScore) && ValueRules.IsOutOfRangeNumber(v))
                errors.Add(new RowError(name, $"out of range: {v} (numbers may be at most {ValueRules.MaxMagnitude:0e0} in magnitude)"));
        }
        if (errors.Count > 0) return new ConvertedRow(null, null, errors);
        if (Duplicate($"{domain}|{asOf!.Value.ToUnixTimeMilliseconds()}", row.Line) is { } dup) return dup;
        return new ConvertedRow(new Enrichment { Domain = domain!, AsOf = asOf!.Value, Attributes = attrs }, null, []);
    }

    private ConvertedRow ToOutcome(SourceRow row, Dictionary<string, string?> values, List<RowError> errors)
    {
        var leadId = Get(values, _leadIdCol);
        if (leadId is null) errors.Add(new RowError(_leadIdCol, "missing lead id"));
        var kind = _constantOutcome;
        if (kind is null)
        {
            if (Get(values, _outcomeCol) is not { } o) errors.Add(new RowError(_outcomeCol, "missing outcome"));
            else if (ParseOutcome(o) is { } k) kind = k;
            else errors.Add(new RowError(_outcomeCol, $"wrong type: '{o}' is not an outcome (converted, lost, reopened)"));
        }
        var at = Time(values, errors);
        if (errors.Count > 0) return new ConvertedRow(null, null, errors);
        if (Duplicate($"{leadId}|{kind}|{at!.Value.ToUnixTimeMilliseconds()}", row.Line) is { } dup) return dup;
        return new ConvertedRow(new Outcome { LeadId = leadId!, Kind = kind!.Value, At = at!.Value }, null, []);
    }

    /// <summary>Checks a value against its column's kind and returns it as stored: booleans as true/false, dates as ISO 8601 UTC, the rest as given.</summary>
    private string? Typed(string name, string? v, List<RowError> errors)
    {
        if (v is null) return v;
        if (!_schema.TryGetValue(name, out var cs))
        {
            // No schema (API items): still refuse what would be read as a huge number downstream.
            if (LooksNumericButOutOfRange(v)) errors.Add(new RowError(name, $"out of range: {v} (numbers may be at most {ValueRules.MaxMagnitude:0e0} in magnitude)"));
            return v;
        }
        switch (cs.Kind)
        {
            case ColumnKind.Numeric:
                if (!ValueRules.TryNumber(v, out var d, out var why)) { errors.Add(new RowError(name, why!)); return v; }
                if (d < 0 && IsCount(name)) errors.Add(new RowError(name, $"negative count: {v}"));
                return v;
            case ColumnKind.Boolean:
                if (!_rules.TryBool(v, out var b)) { errors.Add(new RowError(name, $"wrong type: '{v}' is not true/false")); return v; }
                return b ? "true" : "false";
            case ColumnKind.DateTime:
                if (!_rules.TryDate(v, out var t, out var dateWhy)) { errors.Add(new RowError(name, DateError(v, dateWhy))); return v; }
                return Iso(t);
            case ColumnKind.Identifier or ColumnKind.Text:
                return v;
            default:
                if (LooksNumericButOutOfRange(v)) errors.Add(new RowError(name, $"out of range: {v} (numbers may be at most {ValueRules.MaxMagnitude:0e0} in magnitude)"));
                return v;
        }
    }

    /// <summary>
    /// "1e308" or "-2.5e40" in a column not typed numeric: features and enrichment read such text as a number, so it is
    /// refused. Pure digit strings (long ids, account numbers) and words ("Infinity" as a company name) stay text.
    /// </summary>
    private static bool LooksNumericButOutOfRange(string v)
    {
        var s = v.AsSpan();
        if (!s.ContainsAnyInRange('0', '9') || !s.ContainsAnyExceptInRange('0', '9')) return false;
        return ValueRules.IsOutOfRangeNumber(v);
    }

    private static string DateError(string raw, string? why) => why is null ? $"unparseable date '{raw}'" : $"unparseable date '{raw}' ({why})";

    private bool IsCount(string name)
    {
        if (_counts.Contains(name)) return true;
        var n = name.ToLowerInvariant();
        return CountWords.Any(w => n.Contains(w, StringComparison.Ordinal));
    }

    private DateTimeOffset? Time(Dictionary<string, string?> values, List<RowError> errors)
    {
        var raw = Get(values, _timeCol);
        if (raw is null)
        {
            if (_defaultTime is { } d) return d;
            errors.Add(new RowError(_timeCol, "missing timestamp"));
            return null;
        }
        if (!_rules.TryDate(raw, out var t, out var why)) { errors.Add(new RowError(_timeCol, DateError(raw, why))); return null; }
        if (t > _latestAllowed) { errors.Add(new RowError(_timeCol, $"timestamp {Iso(t)} is in the future beyond the {_m.FutureToleranceHours:0.##} h tolerance")); return null; }
        return t;
    }

    private ConvertedRow? Duplicate(string key, long line)
    {
        if (_seenKeys.TryGetValue(key, out var first))
            return Fail(_kind switch { ImportKind.Leads => _idCol, ImportKind.Enrichment => _domainCol, _ => _leadIdCol },
                $"duplicate id within the file (first at line {first})");
        _seenKeys[key] = line;
        return null;
    }

    private static string? Get(Dictionary<string, string?> values, string? col) => col is not null && values.TryGetValue(col, out var v) ? v : null;

    private static ConvertedRow Fail(string? column, string reason) => new(null, null, [new RowError(column, reason)]);

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>Lower snake case: "Page View" and "page-view" both become page_view (see <see cref="ValueRules.NormalizeActivityType"/>).</summary>
    public static string NormaliseType(string type) => ValueRules.NormalizeActivityType(type);

    public static OutcomeKind? ParseOutcome(string raw) => raw.Trim().ToLowerInvariant() switch
    {
        "converted" or "won" or "closed won" or "closed_won" or "1" or "true" or "yes" => OutcomeKind.Converted,
        "lost" or "closed lost" or "closed_lost" or "0" or "false" or "no" => OutcomeKind.Lost,
        "reopened" or "reopen" or "open" => OutcomeKind.Reopened,
        _ => null,
    };

    /// <summary>
    /// The deduplication key of an activity without a source event id: SHA-256 of
    /// lead_id|type|timestamp|url|value|properties (properties sorted by name), hex.
    /// </summary>
    public static string ContentHash(string leadId, string type, DateTimeOffset ts, string? url, double? value, IReadOnlyDictionary<string, string?> props)
    {
        var sb = new StringBuilder(128);
        sb.Append(leadId).Append('|').Append(type).Append('|').Append(ts.ToUnixTimeMilliseconds()).Append('|').Append(url).Append('|')
          .Append(value?.ToString("R", CultureInfo.InvariantCulture)).Append('|');
        foreach (var (k, v) in props.OrderBy(p => p.Key, StringComparer.Ordinal)) sb.Append(k).Append('=').Append(v).Append(';');
        return "h:" + System.Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
