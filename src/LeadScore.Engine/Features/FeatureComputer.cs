using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Features;

/// <summary>
/// Computes a lead's feature vector as of a point in time. The one implementation used both online (scoring one
/// lead now) and offline (<see cref="TrainingSetBuilder"/>), so training and serving cannot drift apart.
/// Point in time: only activities with <c>Timestamp &lt; asOf</c> and enrichment with <c>AsOf &lt;= asOf</c> are used;
/// everything else passed in is ignored. Lead attributes are used as given (the caller passes the version known at asOf).
/// Built once from <see cref="FeatureDefinitions"/>, then immutable and thread-safe.
/// <para>
/// Every numeric feature is either missing (NaN) or a finite number within ±<see cref="float.MaxValue"/>, the range of
/// the float slots models read. A number outside that range (a parsed <c>1e308</c>, <c>Infinity</c>) is treated as
/// missing where it is read; an activity value outside it counts as no value, like an absent one; a sum or difference
/// that leaves the range is missing. Missing rather than clamped: such a number is a data error, not a measurement, and
/// a clamped ±3.4e38 would still be meaningless to a model and would wreck a linear model's mean and variance at
/// training, while every model already knows what to do with a missing value.
/// </para>
/// </summary>
public sealed class FeatureComputer
{
    private const double TicksPerDay = TimeSpan.TicksPerDay;
    private readonly FeatureDefinitions _defs;
    private readonly ValueRules _rules;
    private readonly List<FeatureInfo> _features = [];

    // Attributes.
    private readonly (AttributeFeature Def, HashSet<string>? Values)[] _attributes;

    // Activities.
    private readonly ActivityFeatureSettings? _act;
    private readonly Dictionary<string, int> _typeIndex = new(StringComparer.Ordinal);
    private readonly int _nTypes;
    private readonly double[] _windows = [];
    private readonly double[] _weights = [];
    private readonly int[] _countTypes = [];   // type indexes that get count + recency features
    private readonly int[] _sumTypes = [];     // type indexes that get value sums
    private readonly string[][] _patterns = [];
    private readonly int _pageView = -1, _session = -1, _emailSent = -1, _emailOpen = -1, _emailClick = -1;
    private readonly double _halfLife = 7;

    // Enrichment.
    private readonly EnrichmentFeatureSettings? _enr;
    private readonly HashSet<string> _industries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _revenueBands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _techIndex = new(StringComparer.OrdinalIgnoreCase);
    // How many features ComputeEnrichment writes: counted from the Add calls below, so the two cannot drift apart.
    private readonly int _enrichmentFeatureCount;

    /// <summary>Reads attribute values with the default rules (<see cref="ValueRules.Default"/>), as import does without a mapping.</summary>
    public FeatureComputer(FeatureDefinitions definitions) : this(definitions, ValueRules.Default) { }

    /// <summary>
    /// Reads attribute values (missing placeholders, true/false words, dates) with <paramref name="rules"/>: pass the rules
    /// the data was imported with, kept with the model, so serving a raw lead reads it as import did.
    /// </summary>
    /// <remarks>
    /// The constructor adds features in exactly the order Compute, ComputeActivities and ComputeEnrichment write
    /// them: change one and you must change the other (the Debug.Asserts at the end of Compute and ComputeEnrichment check it).
    /// </remarks>
    public FeatureComputer(FeatureDefinitions definitions, ValueRules rules)
    {
        _defs = definitions;
        _rules = rules;
        _attributes = definitions.Attributes.Select(a => (a, a.Values is { } v ? new HashSet<string>(v, StringComparer.Ordinal) : null)).ToArray();
        foreach (var (a, _) in _attributes)
        {
            switch (a.Kind)
            {
                case AttributeKind.Numeric: Add(a.Column, FeatureKind.Numeric, $"lead attribute '{a.Column}' (number)", $"{Humanize(a.Column)} is {{value}}", segment: false); break;
                case AttributeKind.Boolean: Add(a.Column, FeatureKind.Numeric, $"lead attribute '{a.Column}' (yes = 1, no = 0)", $"{Humanize(a.Column)}: {{value}}", segment: false); break;
                case AttributeKind.Categorical:
                    Add(a.Column, FeatureKind.Categorical, $"lead attribute '{a.Column}' ({a.Values?.Count ?? 0} values kept, others '{FeatureDefinitions.OtherCategory}')", $"{Humanize(a.Column)} is {{value}}", segment: true);
                    break;
                case AttributeKind.Date:
                    foreach (var part in a.DateParts ?? ["days_before"])
                    {
                        var (desc, phrase) = part switch
                        {
                            "days_before" => ($"days from '{a.Column}' to the as-of time", $"{Humanize(a.Column)} was {{value}} days ago"),
                            "month" => ($"month (1-12) of '{a.Column}'", $"{Humanize(a.Column)} in month {{value}}"),
                            "day_of_week" => ($"day of week (0 = Sunday) of '{a.Column}'", $"{Humanize(a.Column)} on weekday {{value}}"),
                            "hour" => ($"hour (UTC) of '{a.Column}'", $"{Humanize(a.Column)} at hour {{value}}"),
                            _ => throw new LeadScoreException($"feature definitions: unknown date part '{part}' for '{a.Column}' (use days_before, month, day_of_week, hour)"),
                        };
                        Add($"{a.Column}_{part}", FeatureKind.Numeric, desc, phrase, segment: false);
                    }
                    break;
            }
        }
        if (definitions.LeadAge)
        {
            Add("days_since_created", FeatureKind.Numeric, "days from the lead's creation to the as-of time", "Lead created {value} days ago");
            Add("created_day_of_week", FeatureKind.Numeric, "weekday the lead was created (0 = Sunday)", null);
            Add("created_hour", FeatureKind.Numeric, "hour (UTC) the lead was created", null);
        }
        if (definitions.JobTitleColumn is { } tc)
        {
            Add("title_seniority", FeatureKind.Categorical, $"seniority normalised from '{tc}' (c_level, vp, director, manager, individual_contributor, student, intern)", "Seniority: {value}", segment: true);
            Add("title_department", FeatureKind.Categorical, $"department normalised from '{tc}'", "Department: {value}", segment: true);
        }
        if (definitions.EmailColumn is { } ec)
        {
            Add("email_free_mail", FeatureKind.Numeric, $"1 when the domain of '{ec}' is a free-mail provider, 0 for a business domain", "Uses a free-mail address: {value}");
            Add("email_matches_company", FeatureKind.Numeric, $"1 when the domain of '{ec}' is the company's domain", "Email on the company domain: {value}");
        }

        if (definitions.Activities is { } act)
        {
            _act = act;
            _halfLife = act.HalfLifeDays > 0 ? act.HalfLifeDays : throw new LeadScoreException("feature definitions: halfLifeDays must be positive");
            _windows = act.WindowsDays.Select(w => w > 0 ? (double)w : throw new LeadScoreException("feature definitions: windows must be positive days")).ToArray();
            var types = act.Types.Concat(act.SumTypes).Concat(act.Weights.Keys)
                .Concat([ActivityTypes.PageView, ActivityTypes.Session, ActivityTypes.EmailSent, ActivityTypes.EmailOpen, ActivityTypes.EmailClick]);
            foreach (var t in types) _typeIndex.TryAdd(t, _typeIndex.Count);
            _nTypes = _typeIndex.Count;
            _weights = new double[_nTypes];
            foreach (var (t, w) in act.Weights) _weights[_typeIndex[t]] = w;
            _countTypes = act.Types.Distinct().Select(t => _typeIndex[t]).ToArray();
            _sumTypes = act.SumTypes.Distinct().Select(t => _typeIndex[t]).ToArray();
            _pageView = _typeIndex[ActivityTypes.PageView];
            _session = _typeIndex[ActivityTypes.Session];
            _emailSent = _typeIndex[ActivityTypes.EmailSent];
            _emailOpen = _typeIndex[ActivityTypes.EmailOpen];
            _emailClick = _typeIndex[ActivityTypes.EmailClick];
            _patterns = act.HighIntentPages.Select(p => p.Prefixes.ToArray()).ToArray();

            foreach (var t in act.Types.Distinct())
            {
                foreach (var w in act.WindowsDays)
                    Add($"count_{t}_{w}d", FeatureKind.Numeric, $"number of '{t}' events in the {w} days before the as-of time", CountPhrase(t, $"in the last {w} days"));
                Add($"days_since_last_{t}", FeatureKind.Numeric, $"days since the last '{t}' event (missing when none)", $"Last {Humanize(t)} {{value}} days ago");
            }
            foreach (var t in act.SumTypes.Distinct())
                foreach (var w in act.WindowsDays)
                    Add($"sum_{t}_value_{w}d", FeatureKind.Numeric, $"sum of the value of '{t}' events ({ValueUnit(t)}) in the {w} days before the as-of time", $"{{value}} {ValueUnit(t)} of {Humanize(t)} in the last {w} days");
            Add("activity_count", FeatureKind.Numeric, "number of events of any type before the as-of time", "{value} interactions so far");
            Add("days_since_last_activity", FeatureKind.Numeric, "days since the last event of any type (missing when none)", "Last interaction {value} days ago");
            Add("events_per_week", FeatureKind.Numeric, "events per week since the first event (frequency)", "{value} interactions per week");
            Add("active_days_30d", FeatureKind.Numeric, "days with at least one event in the 30 days before the as-of time", "Active on {value} of the last 30 days");
            Add("engagement_score", FeatureKind.Numeric, $"time-decayed engagement: sum of event weights x 0.5^(age / {act.HalfLifeDays:G} days)", "Engagement score {value} (recent activity counts more)");
            Add("email_open_rate", FeatureKind.Numeric, "email opens / emails sent (missing when none sent)", "Opened {value} of the emails sent");
            Add("email_click_rate", FeatureKind.Numeric, "email clicks / emails sent (missing when none sent)", "Clicked in {value} of the emails sent");
            Add("email_click_to_open_rate", FeatureKind.Numeric, "email clicks / email opens (missing when none opened)", null);
            Add("pages_per_session", FeatureKind.Numeric, "page views / web sessions (missing when no page views)", "{value} pages per visit");
            foreach (var p in act.HighIntentPages)
            {
                var label = p.Label ?? p.Name.Replace('_', ' ');
                foreach (var w in act.WindowsDays)
                    Add($"visits_{p.Name}_{w}d", FeatureKind.Numeric, $"page views under {string.Join(" or ", p.Prefixes)} in the {w} days before the as-of time",
                        $"Visited {label} {{value}} times in the last {w} days");
                Add($"days_since_{p.Name}", FeatureKind.Numeric, $"days since the last page view under {string.Join(" or ", p.Prefixes)} (missing when none)", $"Last visited {label} {{value}} days ago");
            }
        }

        if (definitions.Enrichment is { } enr)
        {
            _enr = enr;
            _industries.UnionWith(enr.Industries);
            _revenueBands.UnionWith(enr.RevenueBands);
            foreach (var t in enr.Technologies) _techIndex.TryAdd(t, _techIndex.Count);
            var first = _features.Count;
            Add("company_employees", FeatureKind.Numeric, "employees from enrichment as of the as-of time", "Company has {value} employees");
            Add("company_size_band", FeatureKind.Categorical, "company size band from enrichment employees (1-10, 11-50, 51-200, 201-500, 501-1000, 1001-5000, 5000+)", "Company size {value}", segment: true);
            Add("company_industry", FeatureKind.Categorical, "industry from enrichment as of the as-of time", "Industry (enrichment): {value}", segment: true);
            Add("company_revenue_band", FeatureKind.Categorical, "revenue band from enrichment as of the as-of time", "Revenue band {value}");
            Add("intent_score", FeatureKind.Numeric, "intent score from enrichment as of the as-of time", "Company intent score {value}");
            Add("intent_change", FeatureKind.Numeric, "intent score minus the previous enrichment record's", "Intent score changed by {value}");
            Add("enrichment_age_days", FeatureKind.Numeric, "days since the enrichment record in use was taken", null);
            Add("technology_count", FeatureKind.Numeric, "number of technologies the company uses (enrichment)", "Company uses {value} known technologies");
            foreach (var t in enr.Technologies)
                Add($"tech_{Slug(t)}", FeatureKind.Numeric, $"1 when the company uses {t} (enrichment as of the as-of time)", $"Company uses {t}: {{value}}");
            _enrichmentFeatureCount = _features.Count - first;
        }
        Features = _features;
        _index = _features.Select((f, i) => (f.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        if (_index.Count != _features.Count)
            throw new LeadScoreException("feature definitions produce duplicate feature names: " + string.Join(", ", _features.GroupBy(f => f.Name).Where(g => g.Count() > 1).Select(g => g.Key)));
    }

    private readonly Dictionary<string, int> _index;

    public FeatureDefinitions Definitions => _defs;

    /// <summary>The value rules attribute values are read with.</summary>
    public ValueRules Rules => _rules;

    /// <summary>The features in the order of every vector this computer returns.</summary>
    public IReadOnlyList<FeatureInfo> Features { get; }

    public int IndexOf(string feature) => _index.GetValueOrDefault(feature, -1);

    /// <summary>The domain whose enrichment applies to a lead: the domain column, else the domain of a business email.</summary>
    public string? EnrichmentDomain(Lead lead)
    {
        var col = _enr?.DomainColumn ?? LeadFields.Domain;
        if (EmailDomains.NormalizeDomain(lead.Get(col)) is { } d) return d;
        var e = EmailDomains.DomainOf(lead.Get(_defs.EmailColumn ?? LeadFields.Email));
        return e is not null && !EmailDomains.IsFreeMail(e) ? e : null;
    }

    /// <summary>
    /// The feature vector of <paramref name="lead"/> as of <paramref name="asOf"/>. Uses only activities with
    /// Timestamp &lt; asOf (the list must be ordered by time, as the store returns it) and the latest enrichment
    /// record with AsOf &lt;= asOf (list ordered by AsOf).
    /// </summary>
    public FeatureValue[] Compute(Lead lead, IReadOnlyList<Activity> activitiesOrderedByTime, IReadOnlyList<Enrichment> enrichmentForDomainOrderedByAsOf, DateTimeOffset asOf)
    {
        var row = new FeatureValue[_features.Count];
        Compute(lead, activitiesOrderedByTime, enrichmentForDomainOrderedByAsOf, asOf, row);
        return row;
    }

    /// <summary>As <see cref="Compute(Lead, IReadOnlyList{Activity}, IReadOnlyList{Enrichment}, DateTimeOffset)"/>, into <paramref name="row"/> (exactly <see cref="Features"/>.Count long).</summary>
    public void Compute(Lead lead, IReadOnlyList<Activity> activitiesOrderedByTime, IReadOnlyList<Enrichment> enrichmentForDomainOrderedByAsOf, DateTimeOffset asOf, Span<FeatureValue> row)
    {
        if (row.Length != _features.Count) throw new ArgumentException($"the row has {row.Length} values; {_features.Count} features are computed", nameof(row));
        var k = 0;
        foreach (var (a, values) in _attributes)
        {
            var raw = lead.Get(a.Column)?.Trim();
            var missing = _rules.IsMissing(raw);
            switch (a.Kind)
            {
                case AttributeKind.Numeric:
                    row[k++] = missing ? FeatureValue.Missing : FeatureValue.Of(Number(raw));
                    break;
                case AttributeKind.Boolean:
                    row[k++] = !missing && _rules.TryBool(raw!, out var b) ? FeatureValue.Of(b ? 1 : 0) : FeatureValue.Missing;
                    break;
                case AttributeKind.Categorical:
                    row[k++] = missing ? FeatureValue.Missing : FeatureValue.Of(values is null || values.Contains(raw!) ? raw : FeatureDefinitions.OtherCategory);
                    break;
                case AttributeKind.Date:
                    var dt = default(DateTimeOffset);
                    var ok = !missing && _rules.TryDate(raw!, out dt);
                    foreach (var part in a.DateParts ?? ["days_before"])
                    {
                        row[k++] = !ok ? FeatureValue.Missing : part switch
                        {
                            "days_before" => FeatureValue.Of((asOf.UtcTicks - dt.UtcTicks) / TicksPerDay),
                            "month" => FeatureValue.Of(dt.UtcDateTime.Month),
                            "day_of_week" => FeatureValue.Of((int)dt.UtcDateTime.DayOfWeek),
                            _ => FeatureValue.Of(dt.UtcDateTime.Hour),
                        };
                    }
                    break;
            }
        }
        if (_defs.LeadAge)
        {
            row[k++] = FeatureValue.Of((asOf.UtcTicks - lead.CreatedAt.UtcTicks) / TicksPerDay);
            row[k++] = FeatureValue.Of((int)lead.CreatedAt.UtcDateTime.DayOfWeek);
            row[k++] = FeatureValue.Of(lead.CreatedAt.UtcDateTime.Hour);
        }
        if (_defs.JobTitleColumn is { } tc)
        {
            var title = lead.Get(tc);
            row[k++] = FeatureValue.Of(JobTitles.Seniority(title));
            row[k++] = FeatureValue.Of(JobTitles.Department(title));
        }
        if (_defs.EmailColumn is { } ec)
        {
            var domain = EmailDomains.DomainOf(lead.Get(ec));
            if (domain is null) { row[k++] = FeatureValue.Missing; row[k++] = FeatureValue.Missing; }
            else
            {
                row[k++] = FeatureValue.Of(EmailDomains.IsFreeMail(domain) ? 1 : 0);
                var company = EmailDomains.NormalizeDomain(lead.Get(_enr?.DomainColumn ?? LeadFields.Domain));
                row[k++] = string.IsNullOrEmpty(company) ? FeatureValue.Missing
                    : FeatureValue.Of(string.Equals(company, domain, StringComparison.OrdinalIgnoreCase) || domain.EndsWith("." + company, StringComparison.OrdinalIgnoreCase) ? 1 : 0);
            }
        }
        if (_act is not null) k = ComputeActivities(activitiesOrderedByTime, asOf, row, k);
        if (_enr is not null) k = ComputeEnrichment(enrichmentForDomainOrderedByAsOf, asOf, row, k);
        System.Diagnostics.Debug.Assert(k == row.Length, "Compute must write exactly the features the constructor added");
    }

    private int ComputeActivities(IReadOnlyList<Activity> acts, DateTimeOffset asOf, Span<FeatureValue> row, int k)
    {
        var nW = _windows.Length;
        var nP = _patterns.Length;
        Span<double> counts = stackalloc double[_nTypes * nW];
        Span<double> sums = stackalloc double[_nTypes * nW];
        Span<double> totals = stackalloc double[_nTypes];
        Span<double> lastAge = stackalloc double[_nTypes];
        Span<double> pVisits = stackalloc double[Math.Max(1, nP * nW)];
        Span<double> pLast = stackalloc double[Math.Max(1, nP)];
        counts.Clear(); sums.Clear(); totals.Clear(); pVisits.Clear();
        lastAge.Fill(double.NaN); pLast.Fill(double.NaN);
        double engagement = 0, all = 0, firstAge = double.NaN, lastAny = double.NaN;
        ulong activeDays = 0; // bit d = some event d..d+1 days before asOf, d < 30
        var asOfTicks = asOf.UtcTicks;
        var decay = -Math.Log(2) / _halfLife;

        for (var i = 0; i < acts.Count; i++)
        {
            var a = acts[i];
            var ticks = a.Timestamp.UtcTicks;
            if (ticks >= asOfTicks) continue; // point in time: never look at the as-of instant or later
            var age = (asOfTicks - ticks) / TicksPerDay;
            all++;
            if (double.IsNaN(firstAge)) firstAge = age;
            lastAny = age;
            if (age < 30) activeDays |= 1UL << (int)age;
            // Stored types are already normal (import normalises them); a raw one ("Page View") is looked up normalised.
            if (!_typeIndex.TryGetValue(a.Type, out var t) && !_typeIndex.TryGetValue(ValueRules.NormalizeActivityType(a.Type), out t)) continue;
            totals[t]++;
            lastAge[t] = age;
            engagement += _weights[t] * Math.Exp(decay * age);
            // A value beyond the float range is a data error: counted as no value, like an absent one.
            var v = a.Value is { } value && InRange(value) ? value : 0;
            for (var w = 0; w < nW; w++)
            {
                if (age < _windows[w]) { counts[t * nW + w]++; sums[t * nW + w] += v; }
            }
            if (t == _pageView && nP > 0 && a.Url is { } url)
            {
                var path = PathOf(url);
                for (var p = 0; p < nP; p++)
                {
                    if (!Matches(path, _patterns[p])) continue;
                    pLast[p] = age;
                    for (var w = 0; w < nW; w++) if (age < _windows[w]) pVisits[p * nW + w]++;
                }
            }
        }

        foreach (var t in _countTypes)
        {
            for (var w = 0; w < nW; w++) row[k++] = FeatureValue.Of(counts[t * nW + w]);
            row[k++] = FeatureValue.Of(lastAge[t]);
        }
        foreach (var t in _sumTypes)
            for (var w = 0; w < nW; w++) row[k++] = FeatureValue.Of(Finite(sums[t * nW + w]));
        row[k++] = FeatureValue.Of(all);
        row[k++] = FeatureValue.Of(lastAny);
        row[k++] = FeatureValue.Of(all == 0 ? 0 : all / Math.Max(1.0, firstAge / 7));
        row[k++] = FeatureValue.Of(System.Numerics.BitOperations.PopCount(activeDays));
        row[k++] = FeatureValue.Of(engagement);
        var sent = totals[_emailSent];
        var opens = totals[_emailOpen];
        var clicks = totals[_emailClick];
        row[k++] = FeatureValue.Of(sent > 0 ? Math.Min(1, opens / sent) : double.NaN);
        row[k++] = FeatureValue.Of(sent > 0 ? Math.Min(1, clicks / sent) : double.NaN);
        row[k++] = FeatureValue.Of(opens > 0 ? Math.Min(1, clicks / opens) : double.NaN);
        var views = totals[_pageView];
        var sessions = totals[_session];
        if (sessions == 0 && views > 0) sessions = DistinctSessions(acts, asOfTicks);
        row[k++] = FeatureValue.Of(views == 0 ? double.NaN : views / Math.Max(1, sessions));
        for (var p = 0; p < nP; p++)
        {
            for (var w = 0; w < nW; w++) row[k++] = FeatureValue.Of(pVisits[p * nW + w]);
            row[k++] = FeatureValue.Of(pLast[p]);
        }
        return k;
    }

    /// <summary>Sources without session events: count distinct session_id properties of page views.</summary>
    private static double DistinctSessions(IReadOnlyList<Activity> acts, long asOfTicks)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in acts)
            if (a.Timestamp.UtcTicks < asOfTicks && (a.Type == ActivityTypes.PageView || ValueRules.NormalizeActivityType(a.Type) == ActivityTypes.PageView) && a.Properties.TryGetValue("session_id", out var s) && !string.IsNullOrEmpty(s)) ids.Add(s);
        return ids.Count;
    }

    private int ComputeEnrichment(IReadOnlyList<Enrichment> rows, DateTimeOffset asOf, Span<FeatureValue> row, int k)
    {
        Enrichment? cur = null, prev = null;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].AsOf > asOf) continue; // point in time: only what was known at asOf
            if (cur is null || rows[i].AsOf >= cur.AsOf) { prev = cur; cur = rows[i]; }
        }
        var start = k;
        if (cur is null)
        {
            for (var i = 0; i < _enrichmentFeatureCount; i++) row[k++] = FeatureValue.Missing;
            return k;
        }
        var employees = Number(cur.Attributes.GetValueOrDefault(EnrichmentFields.Employees));
        row[k++] = FeatureValue.Of(employees);
        row[k++] = FeatureValue.Of(SizeBand(employees));
        row[k++] = Category(cur.Attributes.GetValueOrDefault(EnrichmentFields.Industry), _industries);
        row[k++] = Category(cur.Attributes.GetValueOrDefault(EnrichmentFields.RevenueBand), _revenueBands);
        var intent = Number(cur.Attributes.GetValueOrDefault(EnrichmentFields.IntentScore));
        row[k++] = FeatureValue.Of(intent);
        row[k++] = FeatureValue.Of(prev is null ? double.NaN : Finite(intent - Number(prev.Attributes.GetValueOrDefault(EnrichmentFields.IntentScore))));
        row[k++] = FeatureValue.Of((asOf.UtcTicks - cur.AsOf.UtcTicks) / TicksPerDay);
        var techs = cur.Attributes.GetValueOrDefault(EnrichmentFields.Technologies);
        Span<bool> has = stackalloc bool[Math.Max(1, _techIndex.Count)];
        has.Clear();
        var techCount = 0;
        foreach (var t in FeatureDefinitions.SplitTechnologies(techs))
        {
            techCount++;
            if (_techIndex.TryGetValue(t, out var ti)) has[ti] = true;
        }
        row[k++] = FeatureValue.Of(techCount);
        for (var i = 0; i < _techIndex.Count; i++) row[k++] = FeatureValue.Of(has[i] ? 1 : 0);
        System.Diagnostics.Debug.Assert(k - start == _enrichmentFeatureCount, "ComputeEnrichment must write exactly the features the constructor added for enrichment");
        return k;
    }

    private FeatureValue Category(string? raw, HashSet<string> kept)
    {
        raw = raw?.Trim();
        if (_rules.IsMissing(raw)) return FeatureValue.Missing;
        return FeatureValue.Of(kept.Count == 0 || kept.Contains(raw!) ? raw : FeatureDefinitions.OtherCategory);
    }

    /// <summary>A number as a feature: NaN when it does not parse or is outside the float range (see the class remarks).</summary>
    private static double Number(string? raw) =>
        raw is not null && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? Finite(d) : double.NaN;

    /// <summary>True for a finite number that a float slot can hold.</summary>
    private static bool InRange(double d) => Math.Abs(d) <= float.MaxValue;

    /// <summary>The number itself when it is in range; NaN (missing) when it is infinite or beyond the float range.</summary>
    private static double Finite(double d) => InRange(d) ? d : double.NaN;

    internal static string? SizeBand(double employees) => double.IsNaN(employees) ? null : employees switch
    {
        <= 10 => "1-10",
        <= 50 => "11-50",
        <= 200 => "51-200",
        <= 500 => "201-500",
        <= 1000 => "501-1000",
        <= 5000 => "1001-5000",
        _ => "5000+",
    };

    /// <summary>The path of a URL: host and scheme dropped, query and fragment ignored by prefix matching.</summary>
    private static ReadOnlySpan<char> PathOf(string url)
    {
        var s = url.AsSpan();
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            s = s[(scheme + 3)..];
            var slash = s.IndexOf('/');
            s = slash >= 0 ? s[slash..] : "/";
        }
        return s;
    }

    private static bool Matches(ReadOnlySpan<char> path, string[] prefixes)
    {
        foreach (var p in prefixes)
        {
            if (!path.StartsWith(p, StringComparison.OrdinalIgnoreCase)) continue;
            // "/pricing" matches "/pricing", "/pricing/x", "/pricing?x" but not "/pricingfoo".
            if (path.Length == p.Length || p.EndsWith('/') || path[p.Length] is '/' or '?' or '#' or '-' or '.') return true;
        }
        return false;
    }

    private void Add(string name, FeatureKind kind, string description, string? phrase, bool segment = false) =>
        _features.Add(new FeatureInfo(name, kind, description) { Phrase = phrase, IsSegment = segment });

    /// <summary>How a column's name starts the phrases of its attribute features ("lead_source" -> "Lead source").</summary>
    public static string PhraseTitle(string column) => Humanize(column);

    private static string Humanize(string name)
    {
        var s = name.Replace('_', ' ').Trim();
        if (s.StartsWith("custom ", StringComparison.Ordinal)) s = s[7..];
        return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
    }

    private static string Slug(string s) => new(s.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

    private static string ValueUnit(string type) => type switch
    {
        ActivityTypes.PageView or ActivityTypes.Session => "seconds",
        ActivityTypes.Call or ActivityTypes.Meeting => "minutes",
        _ when type.StartsWith("social_", StringComparison.Ordinal) => "sentiment points",
        _ => "value units",
    };

    private static string CountPhrase(string type, string when) => type switch
    {
        ActivityTypes.PageView => $"Viewed {{value}} pages {when}",
        ActivityTypes.Session => $"Visited the website {{value}} times {when}",
        ActivityTypes.Download => $"Downloaded {{value}} resources {when}",
        ActivityTypes.FormSubmit => $"Submitted {{value}} forms {when}",
        ActivityTypes.EmailSent => $"Was sent {{value}} emails {when}",
        ActivityTypes.EmailOpen => $"Opened {{value}} emails {when}",
        ActivityTypes.EmailClick => $"Clicked {{value}} email links {when}",
        ActivityTypes.EmailUnsubscribe => $"Unsubscribed {{value}} times {when}",
        ActivityTypes.EmailBounce => $"{{value}} emails bounced {when}",
        ActivityTypes.Call => $"Had {{value}} sales calls {when}",
        ActivityTypes.Meeting => $"Had {{value}} meetings {when}",
        _ => $"{{value}} {type.Replace('_', ' ')} events {when}",
    };
}
