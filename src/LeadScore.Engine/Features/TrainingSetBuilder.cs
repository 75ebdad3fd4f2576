using System.Globalization;
using LeadScore.Core;

namespace LeadScore.Engine.Features;

/// <summary>When each training row is built.</summary>
public sealed record TrainingSetOptions
{
    /// <summary>Decision time = the lead's creation + this delay (default 14 days), unless <see cref="CutoffBeforeOutcome"/> is set.</summary>
    public TimeSpan DecisionDelay { get; init; } = TimeSpan.FromDays(14);
    /// <summary>
    /// When set (and no <see cref="CutoffBeforeOutcome"/>), each lead gets one row per age: as of its creation + each
    /// of these delays, for as long as it was still open (its outcome came later). A model trained on one age only
    /// has never seen an older open lead, yet live scoring meets them every day: a meeting 200 days ago looks to it
    /// like one last week. Rows of one lead share its id, and splits and folds keep them together.
    /// </summary>
    public IReadOnlyList<TimeSpan>? DecisionAges { get; init; }
    /// <summary>
    /// When set, decision time = outcome time - this cut-off instead. Beware: the row's time then depends on the
    /// label's timing, which a model scoring fresh leads never has; creation + delay is the honest default.
    /// </summary>
    public TimeSpan? CutoffBeforeOutcome { get; init; }
    /// <summary>Only outcomes recorded before this time count (rebuild the training set as it could have been built then).</summary>
    public DateTimeOffset? KnownBefore { get; init; }
    /// <summary>
    /// The version of a lead's attributes known at a time (from the store's lead history); null = the current record.
    /// With it, a CRM field overwritten after the decision time (a stage, a score) cannot leak into the row.
    /// </summary>
    public Func<Lead, DateTimeOffset, Lead>? AttributesAsOf { get; init; }
    /// <summary>
    /// The horizon H in days: a row is labelled "converted within H days of its decision time". Null keeps the old rule
    /// (each lead labelled by its last outcome, whenever it came; leads still open skipped). With a horizon, the state at
    /// decision + H decides: the latest outcome at or before it wins (on a tie 'reopened' wins, as in the store's open-leads
    /// query), so lost, reopened, then converted within the window is 1, and lost then reopened and still open is open.
    /// Converted = 1; lost = 0; open (or converted after decision + H) = 0 once decision + H is at or before the as-of
    /// time, else censored: left out and counted. The as-of time is <see cref="KnownBefore"/> when set, else the data's
    /// end (the latest lead creation, activity or outcome time seen).
    /// </summary>
    public double? HorizonDays { get; init; }
}

/// <summary>A built training set and what was left out, so the output can say it.</summary>
public sealed record TrainingSet
{
    public required FeatureFrame Frame { get; init; }
    /// <summary>The decision rule in words, e.g. "each lead as of its creation + 14 days".</summary>
    public required string Rule { get; init; }
    public int LeadsSeen { get; init; }
    /// <summary>Labelled leads that converted (with several decision ages, a lead may give several rows).</summary>
    public int Converted { get; init; }
    /// <summary>Labelled leads that were lost.</summary>
    public int Lost { get; init; }
    /// <summary>Leads with no outcome (or reopened): unlabelled, not in the frame.</summary>
    public int WithoutOutcome { get; init; }
    /// <summary>Leads whose outcome fell at or before their decision time: the answer was already known, so no row.</summary>
    public int OutcomeBeforeDecision { get; init; }
    public long ActivitiesRead { get; init; }
    /// <summary>The horizon the labels follow (days), or null for the old last-outcome rule.</summary>
    public double? HorizonDays { get; init; }
    /// <summary>The as-of time labels were judged at (with a horizon): the given known-before time or the data's end.</summary>
    public DateTimeOffset? AsOf { get; init; }
    /// <summary>With a horizon: decision points still open whose decision + H is after the as-of time (label unknown yet), left out.</summary>
    public int Censored { get; init; }
    /// <summary>With a horizon: rows in the frame whose decision + H is after the as-of time (already decided, but not matured).</summary>
    public int NotMatured { get; init; }
    /// <summary>Leads whose last outcome is converted.</summary>
    public int Wins { get; init; }
    /// <summary>Of <see cref="Wins"/>, those that converted at or before their (first) decision time: the decision point drops them.</summary>
    public int WinsBeforeDecision { get; init; }
    /// <summary>Share of wins the decision point drops (0 when there are none).</summary>
    public double WinsDroppedShare => Wins == 0 ? 0 : (double)WinsBeforeDecision / Wins;

    /// <summary>
    /// This set's counts with an empty frame (the same features and settings, no rows): what a finished training keeps,
    /// so that the rows (5.4 M at 1M leads) are not held for its result. <see cref="Describe"/> describes the rows held.
    /// </summary>
    public TrainingSet WithoutRows() => this with { Frame = Frame.Subset([]) };

    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        if (HorizonDays is { } h)
        {
            var pos = Frame.Labels.Count(l => l);
            return string.Create(inv, $"{Frame.Count:N0} rows ({pos:N0} converted within {h:0.##} days of the decision time, {Frame.Count - pos:N0} not) from {Converted + Lost:N0} leads of {LeadsSeen:N0}; " +
                                      $"rows built {Rule}; labels as of {AsOf:yyyy-MM-dd HH:mm}Z; {Censored:N0} censored decision points left out (still open, decision + {h:0.##} days after the as-of time); " +
                                      $"{NotMatured:N0} rows not matured yet (kept out of the split and held-out metrics); " +
                                      $"{OutcomeBeforeDecision:N0} leads skipped because they were closed at every decision time ({WinsBeforeDecision:N0} of {Wins:N0} wins, {WinsDroppedShare * 100:0.#}%)");
        }
        var rows = Frame.Count == Converted + Lost
            ? string.Create(inv, $"{Frame.Count:N0} rows ({Converted:N0} converted, {Lost:N0} lost) from {LeadsSeen:N0} leads")
            : string.Create(inv, $"{Frame.Count:N0} rows from {Converted + Lost:N0} labelled leads ({Converted:N0} converted, {Lost:N0} lost) of {LeadsSeen:N0}");
        return string.Create(inv, $"{rows}; rows built {Rule}; {WithoutOutcome:N0} leads without an outcome skipped; " +
                                  $"{OutcomeBeforeDecision:N0} leads skipped because their outcome came at or before the decision time");
    }
}

/// <summary>
/// Builds a point-in-time correct, labelled training set in one pass over the store's streams: leads ordered by id,
/// activities ordered by lead id then time, enrichment (any order) and outcomes (any order). Each lead with an
/// outcome gets one row computed by the same <see cref="FeatureComputer"/> that serves online, as of its decision
/// time, so nothing that happened at or after the decision time (activities, enrichment, the outcome) can leak in.
/// Leads whose outcome falls at or before their decision time get no row: their label was already known when the
/// model would have been asked, and clamping their decision time earlier would make the row's timing depend on the label.
/// </summary>
public sealed class TrainingSetBuilder(FeatureComputer computer, TrainingSetOptions? options = null)
{
    private readonly TrainingSetOptions _options = options ?? new TrainingSetOptions();
    /// <summary>The ages rows are built at (ascending, distinct): the configured list, or the one delay. Settled once, not per lead.</summary>
    private readonly TimeSpan[] _ages = AgesOf(options ?? new TrainingSetOptions());

    private static TimeSpan[] AgesOf(TrainingSetOptions o) => o.DecisionAges is { Count: > 0 } a ? [.. a.Distinct().Order()] : [o.DecisionDelay];

    public FeatureComputer Computer => computer;

    /// <summary>The decision rule in words.</summary>
    public string Rule
    {
        get
        {
            var rule = _options.CutoffBeforeOutcome is { } c
                ? $"as of {Days(c)} before each lead's outcome"
                : $"as of each lead's creation + {ListDays(_ages)}{(_ages.Length > 1 ? ", for every age at which it was still open" : "")}";
            return _options.KnownBefore is { } k ? $"{rule}, using only outcomes recorded before {k:yyyy-MM-dd HH:mm}Z" : rule;
        }
    }

    private static string Days(TimeSpan t) => t.TotalDays == Math.Floor(t.TotalDays)
        ? $"{t.TotalDays.ToString(CultureInfo.InvariantCulture)} days"
        : $"{t.TotalHours.ToString("0.##", CultureInfo.InvariantCulture)} hours";

    /// <summary>"14, 30, 60 days" when every age is whole days, else each with its own unit ("36 hours, 14 days").</summary>
    private static string ListDays(IReadOnlyList<TimeSpan> ages) => ages.All(a => a.TotalDays == Math.Floor(a.TotalDays))
        ? $"{string.Join(", ", ages.Select(a => a.TotalDays.ToString(CultureInfo.InvariantCulture)))} days"
        : string.Join(", ", ages.Select(Days));

    /// <summary>Builds from in-memory sequences (same orders as the store's streams).</summary>
    public TrainingSet Build(IEnumerable<Lead> leadsById, IEnumerable<Activity> activitiesByLeadThenTime, IEnumerable<Enrichment> enrichment, IEnumerable<Outcome> outcomes)
    {
        var state = new State(computer, _options, Rule);
        state.AddEnrichment(enrichment);
        state.AddOutcomes(outcomes);
        using var acts = activitiesByLeadThenTime.GetEnumerator();
        var hasAct = acts.MoveNext();
        foreach (var lead in leadsById)
        {
            state.BeginLead(lead);
            // Activities of ids before this lead (orphans) are skipped; this lead's are taken; a later lead's wait.
            while (hasAct)
            {
                var route = state.Route(acts.Current);
                if (route == Routing.Later) break;
                if (route == Routing.Take) state.Take(acts.Current);
                hasAct = acts.MoveNext();
            }
            state.EndLead();
        }
        while (hasAct) { state.CountTrailing(acts.Current); hasAct = acts.MoveNext(); }
        return state.Result();
    }

    /// <summary>Builds straight from the store's async streams, holding one lead's activities at a time.</summary>
    public async Task<TrainingSet> BuildAsync(IAsyncEnumerable<Lead> leadsById, IAsyncEnumerable<Activity> activitiesByLeadThenTime, IAsyncEnumerable<Enrichment> enrichment, IAsyncEnumerable<Outcome> outcomes, CancellationToken ct = default)
    {
        var state = new State(computer, _options, Rule);
        var enr = new List<Enrichment>();
        await foreach (var e in enrichment.WithCancellation(ct)) enr.Add(e);
        state.AddEnrichment(enr);
        var outs = new List<Outcome>();
        await foreach (var o in outcomes.WithCancellation(ct)) outs.Add(o);
        state.AddOutcomes(outs);
        await using var acts = activitiesByLeadThenTime.GetAsyncEnumerator(ct);
        var hasAct = await acts.MoveNextAsync();
        await foreach (var lead in leadsById.WithCancellation(ct))
        {
            state.BeginLead(lead);
            while (hasAct)
            {
                var route = state.Route(acts.Current);
                if (route == Routing.Later) break;
                if (route == Routing.Take) state.Take(acts.Current);
                hasAct = await acts.MoveNextAsync();
            }
            state.EndLead();
        }
        while (hasAct) { state.CountTrailing(acts.Current); hasAct = await acts.MoveNextAsync(); }
        return state.Result();
    }

    /// <summary>
    /// Every decision time of a lead labelled by <paramref name="label"/>: one per age before that outcome (or the one
    /// cut-off time), leaving out times at which the lead was closed by an earlier outcome not yet reopened (lost on
    /// day 20, reopened on day 50: no row at day 30, when a seller would not have been asking).
    /// </summary>
    public IEnumerable<DateTimeOffset> DecisionTimes(Lead lead, IReadOnlyList<Outcome> outcomesOfLead, Outcome label)
    {
        IEnumerable<DateTimeOffset> times = _options.CutoffBeforeOutcome is { } c
            ? [label.At - c]
            : _ages.Select(age => lead.CreatedAt + age).TakeWhile(t => label.At > t);
        return times.Where(t => !ClosedAt(outcomesOfLead, t));
    }

    /// <summary>
    /// With a horizon: every decision time of a lead at which it was open (its outcome, if any, still to come), with or
    /// without an outcome; a lead with no outcome yet still gets rows (open at decision + H is a 0 once matured).
    /// </summary>
    internal IEnumerable<DateTimeOffset> OpenDecisionTimes(Lead lead, IReadOnlyList<Outcome> outcomesOfLead)
    {
        IEnumerable<DateTimeOffset> times = _options.CutoffBeforeOutcome is { } c
            ? LabelOutcome(outcomesOfLead) is { } label ? [label.At - c] : []
            : _ages.Select(age => lead.CreatedAt + age);
        return times.Where(t => !ClosedAt(outcomesOfLead, t));
    }

    /// <summary>
    /// With several ages: until when the row at <paramref name="t"/> stands for the lead's open life (its pipeline weight is
    /// the time from t to this): the next age, or the lead's next close (won or lost) when that comes first; the last age
    /// stands for one more step of the same length. Null with one age (every row weighs the same).
    /// </summary>
    internal DateTimeOffset? OpenUntil(Lead lead, IReadOnlyList<Outcome> outcomesOfLead, DateTimeOffset t)
    {
        if (_ages.Length < 2 || _options.CutoffBeforeOutcome is not null) return null;
        var age = t - lead.CreatedAt;
        var i = Array.IndexOf(_ages, age);
        var next = i >= 0 && i + 1 < _ages.Length ? _ages[i + 1] : age + (_ages[^1] - _ages[^2]);
        var until = lead.CreatedAt + next;
        foreach (var o in outcomesOfLead)
            if (o.Kind != OutcomeKind.Reopened && o.At > t && o.At < until && (_options.KnownBefore is not { } k || o.At < k)) until = o.At;
        return until;
    }

    /// <summary>The state of a lead at decision time + H: converted, lost, or open (null: no outcome, or the latest is 'reopened').</summary>
    internal OutcomeKind? StateAt(IReadOnlyList<Outcome> outcomesOfLead, DateTimeOffset end) =>
        LatestOutcome(outcomesOfLead, end) is { Kind: not OutcomeKind.Reopened } o ? o.Kind : null;

    /// <summary>Closed at <paramref name="t"/>: the latest outcome known at t is converted or lost.</summary>
    private bool ClosedAt(IReadOnlyList<Outcome> outcomesOfLead, DateTimeOffset t) =>
        LatestOutcome(outcomesOfLead, t) is { Kind: not OutcomeKind.Reopened };

    /// <summary>
    /// The latest outcome recorded before <see cref="TrainingSetOptions.KnownBefore"/> and at or before <paramref name="upTo"/>
    /// (when given). On a tie 'reopened' wins, as in the store's open-leads query.
    /// </summary>
    private Outcome? LatestOutcome(IReadOnlyList<Outcome> outcomesOfLead, DateTimeOffset? upTo)
    {
        Outcome? last = null;
        foreach (var o in outcomesOfLead)
        {
            if ((upTo is { } u && o.At > u) || (_options.KnownBefore is { } k && o.At >= k)) continue;
            if (last is null || o.At > last.At || (o.At == last.At && (o.Kind == OutcomeKind.Reopened || last.Kind != OutcomeKind.Reopened))) last = o;
        }
        return last;
    }

    /// <summary>
    /// The outcome that labels a lead: the last one (by time) recorded before <see cref="TrainingSetOptions.KnownBefore"/>;
    /// null when there is none or the last one is <see cref="OutcomeKind.Reopened"/>.
    /// </summary>
    public Outcome? LabelOutcome(IReadOnlyList<Outcome> outcomesOfLead) =>
        LatestOutcome(outcomesOfLead, null) is { Kind: not OutcomeKind.Reopened } last ? last : null;

    private enum Routing { Take, Skip, Later }

    /// <summary>The merge state shared by the sync and async paths (one implementation of the rules).</summary>
    private sealed class State(FeatureComputer computer, TrainingSetOptions options, string rule)
    {
        private readonly TrainingSetBuilder _rules = new(computer, options);
        private readonly FeatureFrame _frame = new(computer.Features) { GroupRowsById = true };
        private readonly Dictionary<string, List<Enrichment>> _enrichment = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, List<Outcome>> _outcomes = new(StringComparer.Ordinal);
        private readonly List<Activity> _current = new(256);
        private Lead? _lead;
        private string? _previousLeadId;
        private string? _previousActivityLead;
        private int _leads, _converted, _lost, _noOutcome, _early, _wins, _winsEarly;
        private long _activities;
        private DateTimeOffset _dataEnd = DateTimeOffset.MinValue;
        /// <summary>With a horizon, rows wait here until the data's end (the as-of time) is known: open rows are 0 or censored by it.</summary>
        private readonly List<(string Id, float[] Row, DateTimeOffset At, bool? Label, DateTimeOffset? Until)> _pending = []; // rows in the frame's compact form

        public void AddEnrichment(IEnumerable<Enrichment> rows)
        {
            foreach (var e in rows)
            {
                var d = e.Domain.Trim().ToLowerInvariant();
                if (!_enrichment.TryGetValue(d, out var list)) _enrichment[d] = list = [];
                list.Add(e);
            }
            foreach (var list in _enrichment.Values) list.Sort((a, b) => a.AsOf.CompareTo(b.AsOf));
        }

        public void AddOutcomes(IEnumerable<Outcome> rows)
        {
            foreach (var o in rows)
            {
                if (!_outcomes.TryGetValue(o.LeadId, out var list)) _outcomes[o.LeadId] = list = [];
                list.Add(o);
                if ((options.KnownBefore is not { } k || o.At < k) && o.At > _dataEnd) _dataEnd = o.At;
            }
        }

        public void BeginLead(Lead lead)
        {
            if (_previousLeadId is not null && string.CompareOrdinal(lead.Id, _previousLeadId) <= 0)
                throw new LeadScoreException($"leads must be ordered by id (ordinal): '{lead.Id}' came after '{_previousLeadId}'");
            _previousLeadId = lead.Id;
            _lead = lead;
            _current.Clear();
            _leads++;
            if (lead.CreatedAt > _dataEnd) _dataEnd = lead.CreatedAt;
        }

        /// <summary>Take: the current lead's; Skip: an earlier lead's (an orphan, no such lead); Later: a later lead's.</summary>
        public Routing Route(Activity a)
        {
            if (_previousActivityLead is not null && !ReferenceEquals(a.LeadId, _previousActivityLead) && string.CompareOrdinal(a.LeadId, _previousActivityLead) < 0)
                throw new LeadScoreException($"activities must be ordered by lead id (ordinal) then time: lead '{a.LeadId}' came after '{_previousActivityLead}'");
            var c = string.CompareOrdinal(a.LeadId, _lead!.Id);
            if (c == 0) return Routing.Take;
            if (c < 0) { Count(a); return Routing.Skip; }
            return Routing.Later;
        }

        private void Count(Activity a)
        {
            _previousActivityLead = a.LeadId;
            _activities++;
        }

        public void Take(Activity a)
        {
            Count(a);
            if (_current.Count > 0 && a.Timestamp < _current[^1].Timestamp)
                throw new LeadScoreException($"activities of lead '{a.LeadId}' must be ordered by time");
            _current.Add(a);
            if (a.Timestamp > _dataEnd) _dataEnd = a.Timestamp;
        }

        public void CountTrailing(Activity a) => Count(a);

        public void EndLead()
        {
            if (options.HorizonDays is { } h) { EndLeadWithHorizon(TimeSpan.FromDays(h)); return; }
            var lead = _lead!;
            var outcome = _outcomes.TryGetValue(lead.Id, out var os) ? _rules.LabelOutcome(os) : null;
            if (outcome is { Kind: OutcomeKind.Converted }) _wins++;
            if (outcome is null) { _noOutcome++; return; }
            // No decision time before the outcome, or closed at every one: the answer was known when the model would have been asked.
            var times = _rules.DecisionTimes(lead, os!, outcome).ToList();
            if (times.Count == 0)
            {
                _early++;
                if (outcome.Kind == OutcomeKind.Converted) _winsEarly++;
                return;
            }
            var domain = computer.EnrichmentDomain(lead);
            IReadOnlyList<Enrichment> enr = domain is not null && _enrichment.TryGetValue(domain, out var list) ? list : [];
            var label = outcome.Kind == OutcomeKind.Converted;
            if (label) _converted++; else _lost++;
            foreach (var t in times)
            {
                var known = options.AttributesAsOf?.Invoke(lead, t) ?? lead;
                _frame.Add(lead.Id, computer.Compute(known, _current, enr, t), label, t);
            }
        }

        /// <summary>Rows under a horizon: the state at each open decision time + H labels it (see <see cref="TrainingSetOptions.HorizonDays"/>).</summary>
        private void EndLeadWithHorizon(TimeSpan horizon)
        {
            var lead = _lead!;
            IReadOnlyList<Outcome> os = _outcomes.TryGetValue(lead.Id, out var list) ? list : [];
            var final = _rules.LabelOutcome(os);
            if (final is { Kind: OutcomeKind.Converted }) _wins++;
            var times = _rules.OpenDecisionTimes(lead, os).ToList();
            if (times.Count == 0)
            {
                if (final is null) _noOutcome++;
                else
                {
                    _early++;
                    if (final.Kind == OutcomeKind.Converted) _winsEarly++;
                }
                return;
            }
            var domain = computer.EnrichmentDomain(lead);
            IReadOnlyList<Enrichment> enr = domain is not null && _enrichment.TryGetValue(domain, out var el) ? el : [];
            foreach (var t in times)
            {
                var state = _rules.StateAt(os, t + horizon);
                var known = options.AttributesAsOf?.Invoke(lead, t) ?? lead;
                _pending.Add((lead.Id, _frame.Compact(computer.Compute(known, _current, enr, t)), t, state is null ? null : state == OutcomeKind.Converted, _rules.OpenUntil(lead, os, t)));
            }
        }

        public TrainingSet Result() => options.HorizonDays is { } h ? HorizonResult(h) : new()
        {
            Frame = _frame,
            Rule = rule,
            LeadsSeen = _leads,
            Converted = _converted,
            Lost = _lost,
            WithoutOutcome = _noOutcome,
            OutcomeBeforeDecision = _early,
            ActivitiesRead = _activities,
            Wins = _wins,
            WinsBeforeDecision = _winsEarly,
        };

        private TrainingSet HorizonResult(double days)
        {
            var horizon = TimeSpan.FromDays(days);
            var asOf = options.KnownBefore ?? _dataEnd;
            _frame.Horizon = horizon;
            _frame.AsOf = asOf;
            int censored = 0, notMatured = 0;
            var positiveLeads = new HashSet<string>(StringComparer.Ordinal);
            var labelledLeads = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (id, row, at, label, until) in _pending)
            {
                var matured = at + horizon <= asOf;
                // Open at decision + H: a 0 once that moment is in the data, unknown (censored) before it.
                if (label is null && !matured) { censored++; continue; }
                if (!matured) notMatured++;
                var l = label ?? false;
                _frame.AddCompact(id, row, l, at);
                if (until is { } u) _frame.Weights.Add(Math.Max(1.0 / 24, ((u < asOf ? u : asOf) - at).TotalDays));
                labelledLeads.Add(id);
                if (l) positiveLeads.Add(id);
            }
            _pending.Clear();
            return new TrainingSet
            {
                Frame = _frame,
                Rule = rule,
                LeadsSeen = _leads,
                Converted = positiveLeads.Count,
                Lost = labelledLeads.Count - positiveLeads.Count,
                WithoutOutcome = _noOutcome,
                OutcomeBeforeDecision = _early,
                ActivitiesRead = _activities,
                HorizonDays = days,
                AsOf = asOf,
                Censored = censored,
                NotMatured = notMatured,
                Wins = _wins,
                WinsBeforeDecision = _winsEarly,
            };
        }
    }
}
