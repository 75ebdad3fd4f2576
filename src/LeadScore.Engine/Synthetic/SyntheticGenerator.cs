using System.Globalization;
using LeadScore.Core;
using V = LeadScore.Engine.Synthetic.SyntheticVocabulary;

namespace LeadScore.Engine.Synthetic;

/// <summary>What to generate. The same options and seed always give the same data, byte for byte.</summary>
public sealed record SyntheticOptions
{
    public int Leads { get; init; } = 5000;
    public int Seed { get; init; } = 42;
    /// <summary>First day of the 12 months of history (fixed, so output never depends on the clock).</summary>
    public DateTimeOffset Start { get; init; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public int Days { get; init; } = 365;
    /// <summary>
    /// Days after creation at which the hidden process "looks" at a lead: its conversion probability depends on
    /// what happened up to this point. Feature definitions default to the same decision delay.
    /// </summary>
    public int DecisionDays { get; init; } = SyntheticGenerator.DefaultDecisionDays;
    /// <summary>
    /// A built-in group effect for fairness checks: "country" makes leads from the US (the largest group) sign up with
    /// free-mail addresses (95%), and free-mail leads convert much less (a logit penalty of 1.8 instead of 0.7), so the
    /// group converts less through a proxy feature (email_free_mail). Null (the default) leaves country unrelated to conversion.
    /// </summary>
    public string? GroupEffect { get; init; }
    /// <summary>
    /// When set, activity at or after this time is not written: the data as a CRM would hold it "now". Leads created near
    /// the period's end keep acting for up to <see cref="DecisionDays"/> after it; without a cut-off the newest activity
    /// lies in the future of a period that ends today. Null (the default) writes everything.
    /// </summary>
    public DateTimeOffset? ObservedUntil { get; init; }
    /// <summary>A change in the world for leads created at or after <see cref="DriftAt"/> (monitoring tests and demos).</summary>
    public SyntheticDrift Drift { get; init; } = SyntheticDrift.None;
    /// <summary>When <see cref="Drift"/> starts; required with a drift.</summary>
    public DateTimeOffset? DriftAt { get; init; }
    /// <summary>
    /// How far <see cref="SyntheticDrift.Concept"/> turns the pricing signal: the pricing term is mirrored around its average
    /// effect and scaled by this (1, the default, mirrors it; 3 makes each pricing visit count three times as much against
    /// conversion as it used to count for it). The average stays, so the base rate holds. Only used with concept drift.
    /// </summary>
    public double ConceptStrength { get; init; } = 1;
    /// <summary>
    /// Company enrichment as stationary processes (each company's own level plus mean-reverting deviations; technologies
    /// adopted and dropped at their long-run share), so that a world without drift switches is steady in calendar time, as
    /// monitoring's scenario tests and the simulated year (`simulate`) need. Off (the default): companies grow and intent
    /// walks with a trend, as they did before the option existed (the quickstart's demo and the tests built on it keep their data).
    /// </summary>
    public bool StationaryEnrichment { get; init; }
}

/// <summary>Drift scenarios of the generator, each changing one thing from <see cref="SyntheticOptions.DriftAt"/> on.</summary>
public enum SyntheticDrift
{
    None,
    /// <summary>The lead-source mix changes (more referral and cold outbound, less search and content), and with it the
    /// features sources feed (calls follow cold outbound); the mean source effect stays, so the conversion rule does not change.</summary>
    Covariate,
    /// <summary>Pricing-page visits turn from a buying signal into a warning: visits happen as before, but the hidden probability
    /// now falls with them as it used to rise (reversed around their average effect, so the base rate holds).</summary>
    Concept,
    /// <summary>A longer sales cycle: conversions close about three times later after the decision time.</summary>
    Delay,
}

/// <summary>Counts of what was generated.</summary>
public sealed record SyntheticSummary(int Leads, long Activities, int EnrichmentRows, int Converted, int Lost, int Open, double MeanProbability);

/// <summary>A generated data set held in memory (for tests and benchmarks), in the orders the store streams them.</summary>
public sealed class SyntheticDataset
{
    /// <summary>Ordered by id (ids are zero-padded, so ordinal order is creation order).</summary>
    public List<Lead> Leads { get; } = [];
    /// <summary>Ordered by lead id, then time, then event id.</summary>
    public List<Activity> Activities { get; } = [];
    /// <summary>Ordered by domain, then as-of.</summary>
    public List<Enrichment> Enrichment { get; } = [];
    /// <summary>Ordered by lead id, then time.</summary>
    public List<Outcome> Outcomes { get; } = [];
    /// <summary>The true conversion probability the hidden process used, by lead id.</summary>
    public Dictionary<string, double> Truth { get; } = new(StringComparer.Ordinal);
    public required SyntheticSummary Summary { get; init; }
}

/// <summary>
/// Generates realistic B2B lead data over 12 months: CRM leads, web/email/social/sales activity, enrichment by
/// company domain (changing over time) and outcomes. Conversion follows a hidden, non-linear process with
/// interactions (seniority x company size, intent x industry fit, pricing visits x recency), recency effects and noise,
/// evaluated at <see cref="SyntheticOptions.DecisionDays"/> after creation; the base rate is near 12%.
/// Activity continues after the outcome and depends on it (converted leads read onboarding docs, lost leads go quiet),
/// and the CRM's <c>stage</c> column shows the final state: a model that peeks past the decision time looks better than it is.
/// Every lead draws from its own seeded random stream, so the output is the same for a seed whatever else changes.
/// </summary>
public static partial class SyntheticGenerator
{
    public const int DefaultDecisionDays = 14;
    /// <summary>The <see cref="SyntheticOptions.GroupEffect"/> that ties the US group to free-mail addresses.</summary>
    public const string GroupEffectCountry = "country";
    /// <summary>Intercept of the hidden logit, chosen so that the mean probability is near 0.12.</summary>
    private const double BaseLogit = -5.8;
    /// <summary>
    /// The mean of the pricing term (1.1 log(1 + decayed pricing views)) over 20,000 generated leads. Concept drift reverses the
    /// term around it (pricing visits now mark price shoppers who buy elsewhere: 2 x 0.78 - 1.1 log(1 + views), or with a strength s,
    /// 0.78 - s (1.1 log(1 + views) - 0.78)), so the visits
    /// happen as before and the base rate holds, but a model that learned "pricing visits convert" now ranks them the wrong way.
    /// </summary>
    private const double ConceptPricingTerm = 0.78;
    /// <summary>Enrichment: the spread of companies' long-run intent, and the AR(1) deviation around it (sd, lag-1 correlation per refresh).</summary>
    private const double IntentLevelSd = 12, IntentDevSd = 13, IntentRho = 0.6;
    /// <summary>Enrichment: the log-employees deviation around a company's size (sd, lag-1 correlation per refresh).</summary>
    private const double EmployeesDevSd = 0.06, EmployeesRho = 0.8;
    /// <summary>Days the enrichment refresh cycle runs before the start (about six refreshes), so its phase is mixed at the start.</summary>
    private const int EnrichmentBurnInDays = 365;

    /// <summary>Generates into memory.</summary>
    public static SyntheticDataset Generate(SyntheticOptions options)
    {
        var sink = new MemorySink();
        var summary = Run(options, sink, null);
        var ds = new SyntheticDataset { Summary = summary };
        ds.Leads.AddRange(sink.Leads);
        ds.Activities.AddRange(sink.Activities);
        ds.Enrichment.AddRange(sink.Enrichment.OrderBy(e => e.Domain, StringComparer.Ordinal).ThenBy(e => e.AsOf));
        ds.Outcomes.AddRange(sink.Outcomes);
        foreach (var (id, p) in sink.Truth) ds.Truth[id] = p;
        return ds;
    }

    /// <summary>Writes the canonical CSV files (docs/generator.md) into <paramref name="directory"/>, streaming.</summary>
    public static SyntheticSummary WriteCsv(string directory, SyntheticOptions options, IProgress<double>? progress = null)
    {
        Directory.CreateDirectory(directory);
        using var sink = new CsvSink(directory);
        return Run(options, sink, progress);
    }

    public static readonly IReadOnlyList<string> Files =
    [
        "leads.csv", "activities_web.csv", "activities_email.csv", "activities_social.csv", "activities_sales.csv",
        "enrichment.csv", "outcomes.csv", "truth.csv",
    ];

    private static SyntheticSummary Run(SyntheticOptions o, ISink sink, IProgress<double>? progress)
    {
        if (o.Leads < 1) throw new LeadScoreException("--leads must be at least 1", "leads");
        if (o.Days < 30) throw new LeadScoreException("the history must cover at least 30 days", "days");
        if (o.Drift != SyntheticDrift.None && o.DriftAt is null) throw new LeadScoreException("a drift scenario needs the date it starts (--drift-at)", "drift-at");
        if (!double.IsFinite(o.ConceptStrength) || o.ConceptStrength <= 0) throw new LeadScoreException("the concept-drift strength must be a positive number", "concept-strength");
        if (o.GroupEffect is not (null or SyntheticGenerator.GroupEffectCountry))
            throw new LeadScoreException($"--group-effect: unknown effect '{o.GroupEffect}' (known: {SyntheticGenerator.GroupEffectCountry})", "group-effect");
        var groupEffect = o.GroupEffect == SyntheticGenerator.GroupEffectCountry;
        var end = o.Start.AddDays(o.Days);
        var companies = MakeCompanies(o, end);
        foreach (var c in companies) sink.Enrichment(c);

        long activities = 0;
        int converted = 0, lost = 0, open = 0;
        double sumP = 0;
        var width = Math.Max(6, o.Leads.ToString(CultureInfo.InvariantCulture).Length);
        // Leads are generated in parallel batches (each lead has its own random stream, so the result does not
        // depend on scheduling) and written in id order.
        const int Batch = 2048;
        var results = new Generated[Math.Min(Batch, o.Leads)];
        var buffers = new List<RawActivity>[results.Length];
        for (var b = 0; b < buffers.Length; b++) buffers[b] = new List<RawActivity>(128);
        for (var start = 0; start < o.Leads; start += Batch)
        {
            var count = Math.Min(Batch, o.Leads - start);
            Parallel.For(0, count, j =>
            {
                var i = start + j;
                var r = new Random(HashCode32(o.Seed, i + 1));
                var id = "L" + (i + 1).ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
                // Leads arrive uniformly over the period, in id order.
                var created = o.Start.AddSeconds(Math.Floor((i + r.NextDouble()) / o.Leads * o.Days * 86400.0));
                buffers[j].Clear();
                var drift = o.Drift != SyntheticDrift.None && created >= o.DriftAt ? o.Drift : SyntheticDrift.None;
                results[j] = GenerateLead(r, id, created, end, companies, o.DecisionDays, buffers[j], groupEffect, drift, o.ConceptStrength);
            });
            for (var j = 0; j < count; j++)
            {
                var g = results[j];
                // Sorted by time with event ids by index: dropping the tail keeps every other id.
                if (o.ObservedUntil is { } until) buffers[j].RemoveAll(a => a.Ticks >= until.UtcTicks);
                sink.Lead(g.Lead, buffers[j], g.Outcome, g.Probability);
                activities += buffers[j].Count;
                sumP += g.Probability;
                if (g.Outcome is null) open++;
                else if (g.Outcome.Kind == OutcomeKind.Converted) converted++;
                else lost++;
            }
            progress?.Report((double)(start + count) / o.Leads);
        }
        progress?.Report(1);
        return new SyntheticSummary(o.Leads, activities, companies.Sum(c => c.Rows.Count), converted, lost, open, sumP / o.Leads);
    }

    // ---- companies and enrichment ----------------------------------------------------------------

    internal sealed class Company
    {
        public required string Name { get; init; }
        public required string Domain { get; init; }
        public int Industry { get; init; }
        public int Size { get; init; }
        public int Country { get; init; }
        public List<Enrichment> Rows { get; } = [];
        public List<double> Intent { get; } = [];

        /// <summary>The intent score known at <paramref name="t"/> (latest row with as-of &lt;= t), NaN before the first row.</summary>
        public double IntentAt(DateTimeOffset t)
        {
            var v = double.NaN;
            for (var k = 0; k < Rows.Count && Rows[k].AsOf <= t; k++) v = Intent[k];
            return v;
        }
    }

    private static List<Company> MakeCompanies(SyntheticOptions o, DateTimeOffset end)
    {
        var r = new Random(HashCode32(o.Seed, 0));
        var n = Math.Max(10, o.Leads * 2 / 5);
        var list = new List<Company>(n);
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var country = Pick(r, V.CountryWeight);
            string name, domain;
            do
            {
                name = $"{V.CompanyStems[r.Next(V.CompanyStems.Length)]} {V.CompanyStems[r.Next(V.CompanyStems.Length)]} {V.CompanySuffixes[r.Next(V.CompanySuffixes.Length)]}";
                if (r.Next(4) == 0) name += " " + r.Next(2, 99).ToString(CultureInfo.InvariantCulture);
                domain = new string(name.ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray()) + V.CountryTld[country];
            }
            while (!used.Add(domain));
            var c = new Company { Name = name, Domain = domain, Industry = Pick(r, V.IndustryWeight), Size = Pick(r, V.SizeWeight), Country = country };
            if (!o.StationaryEnrichment)
            {
                // Enrichment rows: one before or soon after the start, then every 1-3 months; companies grow (employees +1% and
                // now and then a technology at each refresh) and intent walks with a per-company trend.
                var employeesNow = r.Next(V.SizeMin[c.Size], V.SizeMax[c.Size] + 1);
                var intentNow = Math.Clamp(20 + 25 * V.IndustryFit[c.Industry] + r.NextGaussian() * 18, 0, 100);
                var trend = r.NextGaussian() * 6;
                var techs = new List<string>();
                foreach (var t in V.Technologies) if (r.NextDouble() < 0.12 + 0.05 * c.Size) techs.Add(t);
                var from = o.Start.AddDays(-r.Next(0, 120)).Date;
                var industryNow = r.NextDouble() < 0.9 ? V.Industries[c.Industry] : V.Industries[r.Next(V.Industries.Length)];
                while (from < end)
                {
                    var at = new DateTimeOffset(from, TimeSpan.Zero);
                    var revenue = Math.Clamp(c.Size - 1 + (r.NextDouble() < 0.3 ? 1 : 0), 0, V.RevenueBands.Length - 1);
                    c.Rows.Add(EnrichmentRow(domain, at, employeesNow, revenue, industryNow, techs, Math.Round(intentNow)));
                    c.Intent.Add(Math.Round(intentNow));
                    from = from.AddDays(r.Next(30, 95));
                    employeesNow = Math.Max(1, (int)(employeesNow * (1 + r.NextGaussian() * 0.05 + 0.01)));
                    intentNow = Math.Clamp(intentNow + trend + r.NextGaussian() * 14, 0, 100);
                    if (r.NextDouble() < 0.3) techs.Add(V.Technologies[r.Next(V.Technologies.Length)]);
                    techs = techs.Distinct().ToList();
                }
                list.Add(c);
                continue;
            }
            // Stationary enrichment (SyntheticOptions.StationaryEnrichment): rows every 1-3 months. The values change from row to row (employees, intent, technologies move), but
            // as stationary processes: each is a company's own level plus a mean-reverting (AR(1)) deviation started from its
            // long-run law, and each technology is adopted or dropped at a refresh with its long-run share as the chance of
            // using it. So the enrichment of a lead decided on any day has the same distribution as on any other day: a world
            // without drift switches is steady in calendar time (monitoring's scenario tests rely on it). Values that only grow
            // (employees +1% and a technology added at every refresh, a per-company intent trend) would move every enrichment
            // feature away from any model's training rows as the calendar advances, which is drift the world did not switch on.
            var baseEmployees = r.Next(V.SizeMin[c.Size], V.SizeMax[c.Size] + 1);
            var intentLevel = 20 + 25 * V.IndustryFit[c.Industry] + r.NextGaussian() * IntentLevelSd;
            var intentDev = r.NextGaussian() * IntentDevSd;
            var employeesDev = r.NextGaussian() * EmployeesDevSd;
            var techShare = 0.12 + 0.05 * c.Size;
            var uses = new bool[V.Technologies.Length];
            for (var t = 0; t < uses.Length; t++) uses[t] = r.NextDouble() < techShare;
            var industry = r.NextDouble() < 0.9 ? V.Industries[c.Industry] : V.Industries[r.Next(V.Industries.Length)];
            // The refresh cycle runs from a burn-in year before the start, so at the start each company is at a random point of
            // its cycle (the age of the row in use has its long-run law too); rows are kept from the last two at or before the
            // start (the latest in use, and the one before it for intent_change).
            var asOf = o.Start.AddDays(-EnrichmentBurnInDays - r.Next(0, 95)).Date;
            var rows = new List<(Enrichment Row, double Intent)>();
            while (asOf < end)
            {
                var at = new DateTimeOffset(asOf, TimeSpan.Zero);
                var revenue = Math.Clamp(c.Size - 1 + (r.NextDouble() < 0.3 ? 1 : 0), 0, V.RevenueBands.Length - 1);
                var employees = Math.Max(1, (int)Math.Round(baseEmployees * Math.Exp(employeesDev)));
                var intent = Math.Round(Math.Clamp(intentLevel + intentDev, 0, 100));
                rows.Add((EnrichmentRow(domain, at, employees, revenue, industry, V.Technologies.Where((_, t) => uses[t]), intent), intent));
                asOf = asOf.AddDays(r.Next(30, 95));
                employeesDev = EmployeesRho * employeesDev + Math.Sqrt(1 - EmployeesRho * EmployeesRho) * EmployeesDevSd * r.NextGaussian();
                intentDev = IntentRho * intentDev + Math.Sqrt(1 - IntentRho * IntentRho) * IntentDevSd * r.NextGaussian();
                if (r.NextDouble() < 0.3) uses[r.Next(uses.Length)] = r.NextDouble() < techShare;
            }
            var first = Math.Max(0, rows.FindLastIndex(x => x.Row.AsOf <= o.Start) - 1);
            foreach (var (row, intentAt) in rows.Skip(first)) { c.Rows.Add(row); c.Intent.Add(intentAt); }
            list.Add(c);
        }
        return list;
    }

    /// <summary>One company enrichment row as the generator writes it (both enrichment modes).</summary>
    private static Enrichment EnrichmentRow(string domain, DateTimeOffset asOf, int employees, int revenueBand, string industry, IEnumerable<string> technologies, double intent) => new()
    {
        Domain = domain,
        AsOf = asOf,
        Attributes = new Dictionary<string, string?>
        {
            [EnrichmentFields.Employees] = employees.ToString(CultureInfo.InvariantCulture),
            [EnrichmentFields.RevenueBand] = V.RevenueBands[revenueBand],
            [EnrichmentFields.Industry] = industry,
            [EnrichmentFields.Technologies] = string.Join(';', technologies),
            [EnrichmentFields.IntentScore] = intent.ToString(CultureInfo.InvariantCulture),
        },
    };

    // ---- leads -----------------------------------------------------------------------------------

    private readonly record struct Generated(Lead Lead, Outcome? Outcome, double Probability);

    private static Generated GenerateLead(Random r, string id, DateTimeOffset created, DateTimeOffset end, List<Company> companies, int decisionDays, List<RawActivity> acts,
        bool groupEffect, SyntheticDrift drift = SyntheticDrift.None, double conceptStrength = 1)
    {
        var c = companies[r.Next(companies.Count)];
        var seniority = Pick(r, V.SeniorityWeight);
        var dept = Pick(r, V.DepartmentWeight);
        var source = Pick(r, drift == SyntheticDrift.Covariate ? V.DriftedSourceWeight : V.SourceWeight);
        var first = V.FirstNames[r.Next(V.FirstNames.Length)];
        var last = V.LastNames[r.Next(V.LastNames.Length)];
        // The group effect changes only the probability of the one draw, so every random stream stays as it is without it.
        var freeMail = r.NextDouble() < (groupEffect && c.Country == 0 ? 0.95 : seniority is V.Student or V.Intern ? 0.7 : c.Size == 0 ? 0.45 : 0.18);
        var local = $"{first}.{last}".ToLowerInvariant().Replace(" ", "");
        var email = freeMail ? $"{local}{r.Next(1, 999)}@{V.FreeMailDomains[r.Next(V.FreeMailDomains.Length)]}" : $"{local}@{c.Domain}";
        var budget = r.NextDouble() < 0.15 + 0.1 * V.SeniorityScore[seniority];
        var interest = V.ProductInterests[r.Next(V.ProductInterests.Length)];
        var seats = r.NextDouble() < 0.4 ? "" : Math.Max(1, (int)(Math.Exp(r.NextGaussian() * 0.8 + 1.2 + 0.3 * c.Size))).ToString(CultureInfo.InvariantCulture);
        var title = V.JobTitle(r, seniority, dept);

        // Hidden fit (the part of the truth a model can learn from attributes and enrichment).
        var decision = created.AddDays(decisionDays);
        var intentNow = c.IntentAt(decision);
        var intent = double.IsNaN(intentNow) ? 30 : intentNow;
        var indFit = V.IndustryFit[c.Industry];
        var fit = 2.4 * V.SeniorityScore[seniority] * V.SizeFit[c.Size]
                  + 0.8 * indFit
                  + 2.0 * (intent / 100 - 0.35) * Math.Max(indFit, 0)
                  + V.DepartmentEffect[dept]
                  + V.SourceEffect[source]
                  + (freeMail ? (groupEffect ? -1.8 : -0.7) : 0)
                  + (budget ? 0.6 : 0)
                  + (seniority == V.Student ? -1.2 : 0)
                  + (interest == "Enterprise Suite" && c.Size >= 4 ? 0.4 : 0);
        // Interest drives behaviour; partly explained by fit, partly not.
        var z = 0.45 * (fit - 1.0) + 0.9 * r.NextGaussian();
        var trend = r.NextGaussian(); // > 0: heating up towards the decision time
        var hidden = 0.6 * r.NextGaussian();

        var seq = 0;
        var H = decisionDays;
        // ---- behaviour up to the decision time -----------------------------------------------------
        var sessionRate = 0.22 * Math.Exp(0.8 * z);
        var nSessions = Poisson(r, sessionRate * H);
        var pricingP = Sigmoid(-1.6 + 0.9 * z);
        double decayedPricing = 0, decayedSessions = 0;
        int pageViews = 0, pricingViews = 0;
        for (var k = 0; k < nSessions; k++)
        {
            var day = TrendDay(r, trend, H);
            var t = created.AddSeconds(day * 86400);
            var (views, pricing) = Session(r, id, ref seq, t, pricingP, onboarding: false, acts);
            pageViews += views;
            pricingViews += pricing;
            var age = H - day;
            decayedSessions += Math.Pow(0.5, age / 5.0);
            decayedPricing += pricing * Math.Pow(0.5, age / 3.0);
        }
        var demo = r.NextDouble() < Sigmoid(-3.0 + 1.2 * z + 0.6 * Math.Min(pricingViews, 3));
        if (demo) acts.Add(Act(id, ref seq, ActivityTypes.FormSubmit, created.AddSeconds(TrendDay(r, trend, H) * 86400), V.DemoPages[1], null));
        if (r.NextDouble() < Sigmoid(-1.5 + 0.5 * z))
            acts.Add(Act(id, ref seq, ActivityTypes.Download, created.AddSeconds(r.NextDouble() * H * 86400), V.Downloads[r.Next(V.Downloads.Length)], null));
        var meeting = r.NextDouble() < Sigmoid(-2.6 + z + 1.2 * V.SeniorityScore[seniority] + (demo ? 1.2 : 0));
        if (meeting) acts.Add(Act(id, ref seq, ActivityTypes.Meeting, created.AddSeconds((H * 0.4 + r.NextDouble() * H * 0.6) * 86400), null, 30 + r.Next(31)));
        var calls = Poisson(r, source == 8 ? 2.0 : 0.6 + (demo ? 1 : 0));
        for (var k = 0; k < calls; k++)
            acts.Add(Act(id, ref seq, ActivityTypes.Call, created.AddSeconds(r.NextDouble() * H * 86400), null, 1 + r.Next(25)));

        // Emails: a campaign every 8-16 days from creation; opens and clicks follow interest.
        var openP = Sigmoid(-0.9 + 0.7 * z);
        var clickP = Math.Clamp(0.18 + 0.1 * z, 0.02, 0.6);
        int clicksBefore = 0;
        var unsubscribedAt = DateTimeOffset.MaxValue;
        var unsubscribedBefore = false;

        // ---- the hidden probability and the outcome ------------------------------------------------
        // Email activity before the decision time is generated first so the truth can use it.
        var emailT = created.AddHours(2 + r.Next(48));
        while (emailT < decision && emailT < end)
        {
            if (!EmailTouch(r, id, ref seq, emailT, openP, clickP, z, acts, ref unsubscribedAt, out var clicked)) break;
            if (clicked) clicksBefore++;
            emailT = emailT.AddDays(8 + r.Next(9));
        }
        unsubscribedBefore = unsubscribedAt < decision;
        var logit = BaseLogit + fit
                    + (drift == SyntheticDrift.Concept
                        ? (1 + conceptStrength) * ConceptPricingTerm - conceptStrength * 1.1 * Math.Log(1 + decayedPricing)
                        : 1.1 * Math.Log(1 + decayedPricing))
                    + 1.3 * (demo ? 1 : 0)
                    + 0.35 * Math.Log(1 + clicksBefore)
                    + 0.5 * Math.Log(1 + decayedSessions)
                    + (pageViews > 18 && pricingViews == 0 ? -0.7 : 0)
                    + (meeting ? 0.8 : 0)
                    + (unsubscribedBefore ? -1.5 : 0)
                    + hidden;
        var p = Sigmoid(logit);
        var converts = r.NextDouble() < p;
        DateTimeOffset outcomeAt;
        if (converts)
        {
            // A few hot leads close before the decision time (builders must decide what to do with them).
            outcomeAt = demo && r.NextDouble() < 0.12
                ? created.AddDays(H * (0.4 + 0.55 * r.NextDouble()))
                : decision.AddDays(1 + Gamma2(r) * (drift == SyntheticDrift.Delay ? 36 : 12));
        }
        else outcomeAt = decision.AddDays(5 + r.NextDouble() * 110);
        // outcomes.csv holds dates, so the outcome happens at midnight UTC of its day (same in memory and on disk).
        outcomeAt = new DateTimeOffset(outcomeAt.UtcDateTime.Date, TimeSpan.Zero);
        if (outcomeAt <= created) outcomeAt = outcomeAt.AddDays(1);
        Outcome? outcome = outcomeAt < end ? new Outcome { LeadId = id, Kind = converts ? OutcomeKind.Converted : OutcomeKind.Lost, At = outcomeAt } : null;

        // ---- behaviour after the decision time -----------------------------------------------------
        var after = decision;
        var stop = outcome?.At ?? end;
        // Interest fades after the decision time until the outcome.
        var tCur = after;
        while (true)
        {
            var gapDays = -Math.Log(1 - r.NextDouble()) / Math.Max(sessionRate * 0.4, 1e-4);
            tCur = tCur.AddDays(gapDays);
            if (tCur >= stop || tCur >= end) break;
            Session(r, id, ref seq, tCur, pricingP * 0.8, onboarding: false, acts);
            sessionRate *= 0.85;
        }
        if (outcome is not null)
        {
            if (outcome.Kind == OutcomeKind.Converted)
            {
                // Onboarding: docs and app pages, a kickoff meeting, more social activity. Informative of the label.
                var n = 3 + Poisson(r, 6);
                for (var k = 0; k < n; k++)
                {
                    var t = outcome.At.AddDays(r.NextDouble() * 30);
                    if (t < end) Session(r, id, ref seq, t, 0.05, onboarding: true, acts);
                }
                var kickoff = outcome.At.AddDays(1 + r.NextDouble() * 6);
                if (kickoff < end) acts.Add(Act(id, ref seq, ActivityTypes.Meeting, kickoff, null, 60));
                openP = Math.Min(0.9, openP + 0.3);
            }
            else
            {
                sessionRate *= 0.2;
                openP *= 0.5;
                if (r.NextDouble() < 0.25 && unsubscribedAt == DateTimeOffset.MaxValue)
                {
                    var t = outcome.At.AddDays(r.NextDouble() * 20);
                    if (t < end) { acts.Add(Act(id, ref seq, ActivityTypes.EmailUnsubscribe, t, null, null)); unsubscribedAt = t; }
                }
            }
        }
        while (emailT < end && emailT < unsubscribedAt)
        {
            if (!EmailTouch(r, id, ref seq, emailT, openP, clickP, z, acts, ref unsubscribedAt, out _)) break;
            emailT = emailT.AddDays(8 + r.Next(9));
        }

        // Social: rare, over the whole life of the lead.
        var socialRate = 0.015 * Math.Exp(0.6 * z) * (outcome?.Kind == OutcomeKind.Converted ? 1.5 : 1);
        var socialN = Poisson(r, socialRate * (end - created).TotalDays);
        for (var k = 0; k < socialN; k++)
        {
            var t = created.AddSeconds(r.NextDouble() * (end - created).TotalSeconds);
            var type = r.Next(10) switch { < 5 => ActivityTypes.SocialLike, < 7 => ActivityTypes.SocialShare, < 9 => ActivityTypes.SocialComment, _ => ActivityTypes.SocialMention };
            var sentiment = Math.Round(Math.Clamp(0.15 + 0.2 * z + 0.35 * r.NextGaussian(), -1, 1), 2);
            acts.Add(Act(id, ref seq, type, t, null, sentiment, ("network", V.Networks[r.Next(V.Networks.Length)])));
        }

        // Order by time, then give event ids in that order (so the store's time-then-id order is the same).
        acts.Sort(static (a, b) => a.Ticks.CompareTo(b.Ticks));

        var stage = outcome is null
            ? (demo || meeting ? "qualified" : pageViews > 3 ? "working" : "new")
            : outcome.Kind == OutcomeKind.Converted ? (r.NextDouble() < 0.93 ? "customer" : "qualified")
            : (r.NextDouble() < 0.7 ? "closed_lost" : "nurture");
        var lead = new Lead
        {
            Id = id,
            CreatedAt = TruncSeconds(created),
            Attributes = new Dictionary<string, string?>
            {
                [LeadFields.Email] = email,
                [LeadFields.FirstName] = first,
                [LeadFields.LastName] = last,
                [LeadFields.Phone] = r.Next(3) == 0 ? "" : $"+1 {r.Next(200, 999)}-{r.Next(200, 999)}-{r.Next(1000, 9999)}",
                [LeadFields.Company] = c.Name,
                [LeadFields.Domain] = c.Domain,
                [LeadFields.Industry] = r.NextDouble() < 0.92 ? V.Industries[c.Industry] : "",
                [LeadFields.CompanySize] = r.NextDouble() < 0.9 ? V.SizeBands[c.Size] : "",
                [LeadFields.Country] = V.Countries[c.Country],
                [LeadFields.JobTitle] = r.NextDouble() < 0.95 ? title : "",
                [LeadFields.Source] = V.Sources[source],
                [LeadFields.Stage] = stage,
                [LeadFields.Owner] = V.Owners[r.Next(V.Owners.Length)],
                ["custom_budget_confirmed"] = budget ? "true" : "false",
                ["custom_product_interest"] = interest,
                ["custom_seats_requested"] = seats,
            },
        };
        return new Generated(lead, outcome, p);
    }

    /// <summary>Day in [0, H) with density proportional to exp(trend * day / H): positive trends cluster near the decision time.</summary>
    private static double TrendDay(Random r, double trend, int h)
    {
        var u = r.NextDouble();
        if (Math.Abs(trend) < 1e-6) return u * h;
        var a = trend * 1.5;
        return Math.Log(1 + u * (Math.Exp(a) - 1)) / a * h * 0.9999;
    }

    private static (int Views, int Pricing) Session(Random r, string id, ref int seq, DateTimeOffset t, double pricingP, bool onboarding, List<RawActivity> acts)
    {
        var sid = "s" + r.Next().ToString("x8", CultureInfo.InvariantCulture);
        acts.Add(Act(id, ref seq, ActivityTypes.Session, t, null, null, ("session_id", sid)));
        var views = 1 + Poisson(r, 1.7);
        var pricing = 0;
        for (var k = 0; k < views; k++)
        {
            string url;
            if (onboarding) url = r.Next(4) == 0 ? V.DocsPages[r.Next(V.DocsPages.Length)] : V.OnboardingPages[r.Next(V.OnboardingPages.Length)];
            else if (r.NextDouble() < pricingP / Math.Max(1, views - 1)) { url = V.PricingPages[r.Next(10) < 7 ? 0 : r.Next(1, 3)]; pricing++; }
            else url = r.Next(10) switch
            {
                < 4 => V.BlogPosts[r.Next(V.BlogPosts.Length)],
                < 6 => V.ProductPages[r.Next(V.ProductPages.Length)],
                6 => V.CaseStudies[r.Next(V.CaseStudies.Length)],
                7 => V.DocsPages[r.Next(V.DocsPages.Length)],
                8 => "/",
                _ => "/about",
            };
            t = t.AddSeconds(5 + r.Next(240));
            acts.Add(Act(id, ref seq, ActivityTypes.PageView, t, url, 3 + r.Next(300), ("session_id", sid)));
        }
        return (views, pricing);
    }

    /// <summary>One campaign email with its open/click/unsubscribe/bounce. False when the lead can no longer be mailed.</summary>
    private static bool EmailTouch(Random r, string id, ref int seq, DateTimeOffset t, double openP, double clickP, double z, List<RawActivity> acts, ref DateTimeOffset unsubscribedAt, out bool clicked)
    {
        clicked = false;
        var campaign = V.Campaigns[r.Next(V.Campaigns.Length)];
        acts.Add(Act(id, ref seq, ActivityTypes.EmailSent, t, null, null, ("campaign", campaign)));
        if (r.NextDouble() < 0.008) { acts.Add(Act(id, ref seq, ActivityTypes.EmailBounce, t.AddMinutes(1), null, null, ("campaign", campaign))); return false; }
        if (r.NextDouble() >= openP) return true;
        var opened = t.AddMinutes(5 + r.Next(3 * 1440));
        acts.Add(Act(id, ref seq, ActivityTypes.EmailOpen, opened, null, null, ("campaign", campaign)));
        if (r.NextDouble() < 0.012 * Math.Exp(-0.8 * z))
        {
            var u = opened.AddMinutes(1 + r.Next(10));
            acts.Add(Act(id, ref seq, ActivityTypes.EmailUnsubscribe, u, null, null, ("campaign", campaign)));
            unsubscribedAt = u;
            return false;
        }
        if (r.NextDouble() < clickP)
        {
            clicked = true;
            acts.Add(Act(id, ref seq, ActivityTypes.EmailClick, opened.AddSeconds(10 + r.Next(600)), r.Next(3) == 0 ? "/pricing" : V.BlogPosts[r.Next(V.BlogPosts.Length)], null, ("campaign", campaign)));
        }
        return true;
    }

    private static readonly IReadOnlyDictionary<string, string?> NoProperties = new Dictionary<string, string?>();

    /// <summary>An activity before it gets its event id (ids are given in time order once a lead is complete).</summary>
    internal readonly record struct RawActivity(string Type, long Ticks, string? Url, double Value, string? PropertyKey, string? PropertyValue)
    {
        public Activity ToActivity(string leadId, int index) => new()
        {
            EventId = EventId(leadId, index),
            LeadId = leadId,
            Type = Type,
            Timestamp = new DateTimeOffset(Ticks, TimeSpan.Zero),
            Url = Url,
            Value = double.IsNaN(Value) ? null : Value,
            Properties = PropertyKey is null ? NoProperties : new Dictionary<string, string?>(1) { [PropertyKey] = PropertyValue },
        };
    }

    internal static string EventId(string leadId, int index) => $"{leadId}-{index + 1:D5}";

    private static RawActivity Act(string lead, ref int seq, string type, DateTimeOffset t, string? url, double? value, (string Key, string Value)? prop = null)
    {
        _ = lead;
        seq++;
        var ticks = t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond;
        return new RawActivity(type, ticks, url, value ?? double.NaN, prop?.Key, prop?.Value);
    }

    private static DateTimeOffset TruncSeconds(DateTimeOffset t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    internal static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static int Pick(Random r, double[] weights)
    {
        var total = 0.0;
        foreach (var w in weights) total += w;
        var u = r.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        return weights.Length - 1;
    }

    private static int Poisson(Random r, double lambda)
    {
        if (lambda <= 0) return 0;
        if (lambda > 30) return Math.Max(0, (int)Math.Round(lambda + Math.Sqrt(lambda) * r.NextGaussian()));
        var l = Math.Exp(-lambda);
        var k = 0;
        var p = 1.0;
        do { k++; p *= r.NextDouble(); } while (p > l);
        return k - 1;
    }

    /// <summary>Gamma(2, 1): the sum of two exponentials.</summary>
    private static double Gamma2(Random r) => -Math.Log(1 - r.NextDouble()) - Math.Log(1 - r.NextDouble());

    /// <summary>A stable 32-bit mix of seed and index (HashCode.Combine is randomised per process, so not usable).</summary>
    private static int HashCode32(int seed, int index)
    {
        var x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)index * 0xC2B2AE3D27D4EB4FUL;
        x ^= x >> 33; x *= 0xFF51AFD7ED558CCDUL; x ^= x >> 33; x *= 0xC4CEB9FE1A85EC53UL; x ^= x >> 33;
        return (int)(x & 0x7FFFFFFF);
    }

    private static double NextGaussian(this Random r)
    {
        var u1 = 1.0 - r.NextDouble();
        var u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    // ---- sinks -----------------------------------------------------------------------------------

    private interface ISink
    {
        void Enrichment(Company company);
        void Lead(Lead lead, List<RawActivity> activities, Outcome? outcome, double probability);
    }

    private sealed class MemorySink : ISink
    {
        public List<Lead> Leads { get; } = [];
        public List<Activity> Activities { get; } = [];
        public List<Enrichment> Enrichment { get; } = [];
        public List<Outcome> Outcomes { get; } = [];
        public List<(string, double)> Truth { get; } = [];

        void ISink.Enrichment(Company company) => Enrichment.AddRange(company.Rows);

        void ISink.Lead(Lead lead, List<RawActivity> activities, Outcome? outcome, double probability)
        {
            Leads.Add(lead);
            for (var k = 0; k < activities.Count; k++) Activities.Add(activities[k].ToActivity(lead.Id, k));
            if (outcome is not null) Outcomes.Add(outcome);
            Truth.Add((lead.Id, probability));
        }
    }
}
