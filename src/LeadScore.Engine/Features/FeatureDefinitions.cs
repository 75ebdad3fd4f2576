using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Features;

/// <summary>How a lead attribute column becomes a feature.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttributeKind>))]
public enum AttributeKind
{
    Numeric,
    /// <summary>A category; values outside <see cref="AttributeFeature.Values"/> share the rare bucket "(other)".</summary>
    Categorical,
    /// <summary>true/false, yes/no, 1/0 as 1/0.</summary>
    Boolean,
    /// <summary>A date or time, turned into the parts listed in <see cref="AttributeFeature.DateParts"/>.</summary>
    Date,
}

/// <summary>One lead attribute used as a feature.</summary>
public sealed record AttributeFeature
{
    public required string Column { get; init; }
    public required AttributeKind Kind { get; init; }
    /// <summary>Categorical: the values kept as themselves (the frequent ones); every other value becomes "(other)".</summary>
    public List<string>? Values { get; init; }
    /// <summary>Date: any of "days_before" (days from the date to the as-of time), "month", "day_of_week", "hour".</summary>
    public List<string>? DateParts { get; init; }
}

/// <summary>A named group of high-intent pages, matched by path prefix (case-insensitive, query and host ignored).</summary>
public sealed record PagePattern
{
    /// <summary>Used in feature names: visits_{name}_7d.</summary>
    public required string Name { get; init; }
    /// <summary>Path prefixes, e.g. "/pricing" matches /pricing and /pricing/enterprise.</summary>
    public required List<string> Prefixes { get; init; }
    /// <summary>How a person calls it in a sentence: "the pricing page".</summary>
    public string? Label { get; init; }
}

/// <summary>Features derived from the activity timeline.</summary>
public sealed record ActivityFeatureSettings
{
    /// <summary>Windows before the as-of time for counts and sums.</summary>
    public List<int> WindowsDays { get; init; } = [7, 30, 90];
    /// <summary>Event types that get counts per window and recency.</summary>
    public List<string> Types { get; init; } = [];
    /// <summary>Event types whose <see cref="Activity.Value"/> is summed per window (seconds on page, call minutes...).</summary>
    public List<string> SumTypes { get; init; } = [];
    /// <summary>Half-life of the time-decayed engagement score, in days.</summary>
    public double HalfLifeDays { get; init; } = 7;
    /// <summary>Weight of each event type in the engagement score (types not listed weigh 0; negative weights allowed).</summary>
    public Dictionary<string, double> Weights { get; init; } = [];
    public List<PagePattern> HighIntentPages { get; init; } = [];
}

/// <summary>Firmographic, technographic and intent features from enrichment as of the as-of time.</summary>
public sealed record EnrichmentFeatureSettings
{
    /// <summary>Lead attribute holding the company domain; when empty, the domain of a business email is used.</summary>
    public string DomainColumn { get; init; } = LeadFields.Domain;
    /// <summary>Industries kept as themselves; others become "(other)".</summary>
    public List<string> Industries { get; init; } = [];
    public List<string> RevenueBands { get; init; } = [];
    /// <summary>Technologies that get one 0/1 feature each (multi-hot).</summary>
    public List<string> Technologies { get; init; } = [];
}

/// <summary>
/// Everything that says which features exist and how each is computed: the one source of truth for training
/// and serving. Stored as JSON in the workspace (features.json) so a person can read and edit it; defaults are
/// inferred from the imported data by <see cref="InferDefaults"/>.
/// </summary>
public sealed record FeatureDefinitions
{
    public int Version { get; init; } = 1;
    public List<AttributeFeature> Attributes { get; init; } = [];
    /// <summary>Days since creation, creation weekday and hour.</summary>
    public bool LeadAge { get; init; } = true;
    public ActivityFeatureSettings? Activities { get; init; }
    /// <summary>Attribute holding the job title, normalised to seniority and department; null = off.</summary>
    public string? JobTitleColumn { get; init; }
    /// <summary>Attribute holding the email: only its domain is used (free-mail or business, matches the company).</summary>
    public string? EmailColumn { get; init; }
    public EnrichmentFeatureSettings? Enrichment { get; init; }
    /// <summary>Features the leakage audit flags but the user decided to keep (flagged features are excluded from training otherwise).</summary>
    public List<string> KeepDespiteLeakage { get; init; } = [];

    public const string OtherCategory = "(other)";

    /// <summary>Columns never offered as attributes by default even when not personal: they identify the account rather than describe it.</summary>
    public static readonly IReadOnlySet<string> DefaultExcludedColumns = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "lead_id", "id", LeadFields.Company, LeadFields.Domain, "created_at",
    };

    /// <summary>The same definitions with only the lead's own attribute columns (no activity, title, email or enrichment features).</summary>
    public FeatureDefinitions RawAttributesOnly() =>
        this with { LeadAge = false, Activities = null, JobTitleColumn = null, EmailColumn = null, Enrichment = null };

    /// <summary>
    /// Default definitions from imported data: every non-personal attribute column by its inferred (or given) schema,
    /// the activity types seen, high-intent pages for pricing/demo/contact/trial, and the enrichment values seen.
    /// Values are read with <c>rules</c> (default <see cref="ValueRules.Default"/>): its missing values are left out.
    /// </summary>
    public static FeatureDefinitions InferDefaults(
        IReadOnlyList<Lead> sample,
        IEnumerable<string> activityTypes,
        IReadOnlyList<Enrichment> enrichmentSample,
        IReadOnlyList<ColumnSchema>? schema = null,
        int minCategoryCount = 20,
        int maxCategories = 30,
        ValueRules? rules = null,
        int maxAttributeCategories = 1000)
    {
        rules ??= ValueRules.Default;
        var columns = sample.SelectMany(l => l.Attributes.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var bySchema = schema?.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var attrs = new List<AttributeFeature>();
        foreach (var col in columns)
        {
            if (DefaultExcludedColumns.Contains(col)) continue;
            var values = sample.Select(l => l.Get(col) ?? "").ToList();
            var cs = bySchema is not null && bySchema.TryGetValue(col, out var s) ? s : SchemaInference.InferColumn(col, values, rules);
            if (cs.IsPersonal) continue;
            switch (cs.Kind)
            {
                case ColumnKind.Numeric: attrs.Add(new AttributeFeature { Column = col, Kind = AttributeKind.Numeric }); break;
                case ColumnKind.Boolean: attrs.Add(new AttributeFeature { Column = col, Kind = AttributeKind.Boolean }); break;
                case ColumnKind.DateTime: attrs.Add(new AttributeFeature { Column = col, Kind = AttributeKind.Date, DateParts = ["days_before", "month", "day_of_week"] }); break;
                case ColumnKind.Categorical:
                    attrs.Add(new AttributeFeature { Column = col, Kind = AttributeKind.Categorical, Values = Frequent(values.Where(v => !rules.IsMissing(v)).Select(v => v.Trim()), minCategoryCount, maxAttributeCategories) });
                    break;
                default: break; // identifiers and free text are not features
            }
        }

        var types = activityTypes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        ActivityFeatureSettings? activities = null;
        if (types.Count > 0)
        {
            activities = new ActivityFeatureSettings
            {
                Types = types,
                SumTypes = types.Where(t => t is ActivityTypes.PageView or ActivityTypes.Call or ActivityTypes.Meeting).ToList(),
                Weights = types.ToDictionary(t => t, DefaultWeight, StringComparer.Ordinal),
                HighIntentPages =
                [
                    new PagePattern { Name = "pricing", Prefixes = ["/pricing", "/plans"], Label = "the pricing page" },
                    new PagePattern { Name = "demo", Prefixes = ["/demo", "/request-demo", "/book-a-demo"], Label = "the demo page" },
                    new PagePattern { Name = "contact", Prefixes = ["/contact", "/contact-sales", "/talk-to-sales"], Label = "the contact page" },
                    new PagePattern { Name = "trial", Prefixes = ["/trial", "/signup", "/free-trial"], Label = "the trial sign-up page" },
                    new PagePattern { Name = "case_studies", Prefixes = ["/case-studies", "/customers"], Label = "case studies" },
                ],
            };
        }

        var hasTitle = columns.Contains(LeadFields.JobTitle);
        var hasEmail = columns.Contains(LeadFields.Email);
        EnrichmentFeatureSettings? enrichment = null;
        if (enrichmentSample.Count > 0)
        {
            enrichment = new EnrichmentFeatureSettings
            {
                Industries = Frequent(enrichmentSample.Select(e => e.Attributes.GetValueOrDefault(EnrichmentFields.Industry)?.Trim() ?? "").Where(v => v.Length > 0), minCategoryCount, maxCategories),
                RevenueBands = Frequent(enrichmentSample.Select(e => e.Attributes.GetValueOrDefault(EnrichmentFields.RevenueBand)?.Trim() ?? "").Where(v => v.Length > 0), minCategoryCount, maxCategories),
                Technologies = Frequent(enrichmentSample.SelectMany(e => SplitTechnologies(e.Attributes.GetValueOrDefault(EnrichmentFields.Technologies))), minCategoryCount, maxCategories),
            };
        }
        return new FeatureDefinitions
        {
            Attributes = attrs,
            Activities = activities,
            JobTitleColumn = hasTitle ? LeadFields.JobTitle : null,
            EmailColumn = hasEmail ? LeadFields.Email : null,
            Enrichment = enrichment,
        };
    }

    private static double DefaultWeight(string type) => type switch
    {
        ActivityTypes.PageView => 1,
        ActivityTypes.Session => 0.5,
        ActivityTypes.Download => 4,
        ActivityTypes.FormSubmit => 8,
        ActivityTypes.EmailOpen => 1,
        ActivityTypes.EmailClick => 3,
        ActivityTypes.EmailUnsubscribe => -10,
        ActivityTypes.EmailBounce => -2,
        ActivityTypes.SocialLike => 1,
        ActivityTypes.SocialShare or ActivityTypes.SocialComment or ActivityTypes.SocialMention => 2,
        ActivityTypes.Call => 3,
        ActivityTypes.Meeting => 10,
        ActivityTypes.EmailSent => 0,
        _ => 1,
    };

    internal static List<string> Frequent(IEnumerable<string> values, int minCount, int max) =>
        values.GroupBy(v => v, StringComparer.Ordinal)
            .Select(g => (g.Key, Count: g.Count()))
            .Where(x => x.Count >= minCount)
            .OrderByDescending(x => x.Count).ThenBy(x => x.Key, StringComparer.Ordinal)
            .Take(max).Select(x => x.Key).ToList();

    internal static IEnumerable<string> SplitTechnologies(string? raw) =>
        string.IsNullOrWhiteSpace(raw) ? [] : raw.Split([';', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        // A file people edit: keep "5000+" and "R&D" readable (the file is never embedded in HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads definitions; a malformed file gives one clear message.</summary>
    public static FeatureDefinitions FromJson(string json, string source = "feature definitions")
    {
        try
        {
            return JsonSerializer.Deserialize<FeatureDefinitions>(json, Json) ?? throw new LeadScoreException($"{source}: empty");
        }
        catch (JsonException e)
        {
            throw new LeadScoreException($"{source}: {e.Message}");
        }
    }

    public void Save(string path) => File.WriteAllText(path, ToJson());

    public static FeatureDefinitions Load(string path) =>
        File.Exists(path) ? FromJson(File.ReadAllText(path), path) : throw new LeadScoreException($"{path}: file not found", "file");
}
