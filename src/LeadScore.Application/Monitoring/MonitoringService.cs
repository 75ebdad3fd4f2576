using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Fairness;
using LeadScore.Application.Governance;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Monitoring;
using LeadScore.Application.Webhooks;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeadScore.Application.Monitoring;

/// <summary>What to monitor: one model version and slot (the champion by default), in windows of some days since a date.</summary>
public sealed record MonitoringRequest
{
    public int WindowDays { get; init; } = 7;
    /// <summary>First window's start; null = the first logged prediction of the model (at midnight UTC).</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>The version; null = the one serving in <see cref="Slot"/>.</summary>
    public string? ModelVersion { get; init; }
    public string Slot { get; init; } = PredictionSlots.Champion;
    /// <summary>Whether to store alerts for completed windows (the monitoring job and <c>monitor</c> do; the API's GETs only read).</summary>
    public bool RaiseAlerts { get; init; } = true;
    /// <summary>
    /// Only the recent windows (the periodic job after its first run): those that end after now minus the model's horizon and
    /// two windows, on the same grid of windows as a full run, so cohorts still maturing are looked at again and nothing else.
    /// </summary>
    public bool RecentOnly { get; init; }
    /// <summary>
    /// The span of lead ages, centred on a decision age, in which a logged prediction counts as "the lead at that age" (days;
    /// default 1, the time-passing re-score's daily cadence: each open lead has one prediction in it). Only used when the model's reference knows its rows' lead ages.
    /// </summary>
    public double AgeToleranceDays { get; init; } = 1;
    /// <summary>
    /// Compare only the predictions of leads at the reference's ages (default). False compares every logged prediction,
    /// whatever the lead's age (what monitoring did before; kept to show the difference).
    /// </summary>
    public bool MatchLeadAges { get; init; } = true;
}

/// <summary>The score distribution of one window's predictions (probabilities 0-1).</summary>
public sealed record ScoreSummary(long Rows, double P10, double P25, double Median, double P75, double P90, double Mean);

/// <summary>One window's monitoring: drift against the model's reference and performance of its cohort, realized and estimated.</summary>
public sealed record MonitoringWindow
{
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    /// <summary>The window has ended (its drift is final; alerts are raised only for complete windows).</summary>
    public required bool Complete { get; init; }
    public required long Predictions { get; init; }
    /// <summary>Predictions that kept their feature values (the drift sample is drawn from these).</summary>
    public required long WithFeatures { get; init; }
    /// <summary>
    /// The predictions compared with the reference (drift, score distribution, cohort): when the reference knows its rows'
    /// lead ages, each lead's first prediction at each of those ages (within the tolerance), plus predictions of leads the
    /// store does not know (their age is unknown); otherwise every prediction.
    /// </summary>
    public long Compared { get; init; }
    public DriftReport? Drift { get; init; }
    /// <summary>Rows whose horizon has passed (their label is final) and that name a lead.</summary>
    public required int MaturedRows { get; init; }
    /// <summary>Every row of the cohort has matured.</summary>
    public required bool CohortMatured { get; init; }
    public RealizedPerformance? Realized { get; init; }
    public EstimatedPerformance? Estimated { get; init; }
    /// <summary>The concept-drift verdict on a matured cohort (null when the cohort has not matured or is too small to judge).</summary>
    public ConceptDriftCheck? Concept { get; init; }
    /// <summary>Quantiles of the window's probabilities (of the cohort reservoir when the window is larger than it).</summary>
    public ScoreSummary? Scores { get; init; }
    /// <summary>
    /// Fairness across the groups of the declared attributes on the window's live leads (one row per lead: its last prediction
    /// in the window; outcomes where its horizon has passed); null when no attribute is declared or no prediction names a lead.
    /// </summary>
    public FairnessReport? Fairness { get; init; }
}

/// <summary>
/// Whether a matured cohort performs significantly worse than promised. The rule: realized AUC below the held-out AUC (or
/// below the cohort's own CBPE estimate) by at least <see cref="MonitoringService.AucMargin"/> and by more than
/// <see cref="MonitoringService.AucZ"/> standard errors (Hanley-McNeil; one-sided p &lt; 0.01); or calibration off: the
/// cohort's conversions differ from the sum of its probabilities by more than <see cref="MonitoringService.CalibrationZ"/>
/// binomial standard errors (two-sided p &lt; 0.001).
/// </summary>
public sealed record ConceptDriftCheck(double HeldOutAuc, double RealizedAuc, double EstimatedAuc, double AucStandardError, double ZVersusHeldOut, double ZVersusEstimate,
    double ExpectedPositives, int Positives, double CalibrationZ, bool Dropped, string Explanation);

/// <summary>Monitoring of one model over the prediction log.</summary>
public sealed record MonitoringResult
{
    public required string? ModelVersion { get; init; }
    public required string Slot { get; init; }
    public required bool HasReference { get; init; }
    /// <summary>Why nothing could be computed ("this model has no reference data; retrain"), when so.</summary>
    public string? Message { get; init; }
    public required int WindowDays { get; init; }
    public IReadOnlyList<MonitoringWindow> Windows { get; init; } = [];
    /// <summary>Alerts this run stored (a window's alert is stored once; later runs find it there).</summary>
    public IReadOnlyList<MonitoringAlert> NewAlerts { get; init; } = [];
    /// <summary>The model card's held-out AUC (the promise concept drift is judged against); NaN when unknown.</summary>
    public double HeldOutAuc { get; init; } = double.NaN;
    /// <summary>The model's horizon in days (a cohort matures this long after its window).</summary>
    public double? HorizonDays { get; init; }
    /// <summary>
    /// The lead ages (days since creation) the reference rows were taken at and the log rows are matched to; null when the
    /// reference does not know them (every logged prediction is compared).
    /// </summary>
    public IReadOnlyList<double>? DecisionAgesDays { get; init; }
    /// <summary>Where the fairness attributes come from ("declared in settings" or the schema's suggestion); null when none are in effect.</summary>
    public string? FairnessAttributesFrom { get; init; }
    /// <summary>The fairness thresholds and minimum group size the windows were judged with; null when no attribute is in effect.</summary>
    public FairnessOptions? FairnessOptions { get; init; }
    /// <summary>The reference rows (the model's training sample, scored), for the report's distribution plots.</summary>
    public DriftSample? ReferenceSample { get; init; }
    /// <summary>The sampled rows of the last window that has a drift comparison (the report's "current"); only that one is kept.</summary>
    public DriftSample? LatestSample { get; init; }

    /// <summary>The last window with a drift comparison (the complete one before a partial one when that has too few rows), or null.</summary>
    public MonitoringWindow? LatestDrift => Windows.LastOrDefault(w => w.Drift is not null);
}

/// <summary>
/// Monitoring over the prediction log: for a model and slot, windows of <see cref="MonitoringRequest.WindowDays"/> days,
/// each read from the store as a stream into a seeded reservoir (memory flat in the number of predictions), compared with
/// the reference kept in the model's artifact (per-feature, score, grade-mix, multivariate and dataset drift, by the
/// monitoring engine), and its cohort's performance: realized on matured rows (label: converted within the horizon of the
/// prediction time, from the outcomes), CBPE-estimated on all, side by side; then concept drift on matured cohorts.
/// Complete windows raise stored, de-duplicated alerts (<c>drift_detected</c>, <c>performance_dropped</c>).
/// </summary>
public sealed class MonitoringService(ILeadStore store, TimeProvider time, ILogger<MonitoringService>? log = null, WebhookNotifier? webhooks = null,
    MonitoringStatus? status = null, FairnessService? fairness = null, AuditLog? audit = null)
{
    public const string DriftDetected = "drift_detected";
    public const string PerformanceDropped = "performance_dropped";
    /// <summary>A group of a sensitive attribute fell below the ratio threshold, or its TPR/FPR gap exceeded the gap threshold (see docs/fairness.md).</summary>
    public const string FairnessAlert = "fairness_alert";
    /// <summary>Rows kept per window for the drift tests (a seeded reservoir).</summary>
    public const int WindowSampleRows = 5000;
    /// <summary>Cohort rows kept per window for performance (a seeded reservoir; larger windows are sampled).</summary>
    public const int WindowCohortRows = 200_000;
    /// <summary>A cohort is judged for concept drift with at least this many matured rows and this many of each class.</summary>
    public const int MinCohortRows = 200, MinCohortClass = 20;
    public const double AucMargin = 0.03, AucZ = 2.326, CalibrationZ = 3.29;

    private readonly ILogger _log = log ?? (ILogger)NullLogger.Instance;

    /// <summary>
    /// The log mode's drift options: Evidently's defaults, but chi-squared and z-tests only where the window expects at
    /// least 5 rows of a value (rarer values pooled): a week of a few dozen leads would otherwise flag 6-9% of the features
    /// of a steady world, above the 5% the tests promise.
    /// </summary>
    public static readonly DriftOptions LogDriftOptions = DriftOptions.Default with { MinExpectedCount = 5 };

    public async Task<MonitoringResult> RunAsync(MonitoringRequest request, CancellationToken ct = default)
    {
        if (request.WindowDays < 1) throw new LeadScoreException("--window must be at least 1 day", "window");
        var version = request.ModelVersion ?? await store.GetAliasAsync(request.Slot, ct);
        MonitoringResult Empty(string message, bool hasReference = false) => new()
        {
            ModelVersion = version, Slot = request.Slot, HasReference = hasReference, Message = message, WindowDays = request.WindowDays,
        };
        if (version is null) return Empty($"no model serves as {request.Slot}");
        var artifact = await store.GetModelArtifactAsync(version, ct) ?? throw new NotFoundException($"model version '{version}' has no artifact");
        var model = ServableModel.Load(version, artifact);
        var reference = ModelReference.Read(artifact);
        if (reference is null) return Empty($"model {version} has no reference data (it was trained before references were kept); retrain to monitor it");
        var span = await store.GetPredictionSpanAsync(version, request.Slot, ct);
        if (span is null) return Empty($"no predictions of {version} ({request.Slot}) are logged yet", true);

        var codec = new FeatureRowCodec(model.Engine.Encoder);
        var profile = ReferenceProfile.Build(ReferenceSample(model, codec, reference));
        var importance = reference.Importance.Count > 0 ? reference.Importance.ToDictionary(kv => kv.Key, kv => Math.Max(0, kv.Value)) : null;
        if (importance is not null && importance.Values.Sum() <= 0) importance = null;
        var conversions = await ConversionsAsync(ct);
        var ages = request.MatchLeadAges && reference.DecisionAgesDays is { Length: > 0 } refAges
            ? new LeadAges(refAges, request.AgeToleranceDays, await CreatedAsync(ct))
            : null;
        var groups = fairness is null ? null : await LiveGroups.LoadAsync(store, await fairness.GetAsync(ct), ct);
        var now = time.GetUtcNow();
        var start = request.Since ?? new DateTimeOffset(span.Value.First.UtcDateTime.Date, TimeSpan.Zero);
        if (request.RecentOnly)
        {
            // The same grid as a full run: skip whole windows that ended before the horizon (plus two windows) ago.
            var keepFrom = now - TimeSpan.FromDays((model.HorizonDays ?? 0) + 2 * request.WindowDays);
            var skip = Math.Max(0, Math.Floor((keepFrom - start).TotalDays / request.WindowDays));
            start = start.AddDays(skip * request.WindowDays);
        }
        var windows = new List<MonitoringWindow>();
        var alerts = new List<MonitoringAlert>();
        var schema = codec.Features.Select(f => (f.Name, f.Kind)).ToArray();
        var sampler = new WindowSampler(schema, WindowSampleRows, seed: 42);
        var blobs = new byte[WindowSampleRows][]; // row buffers, allocated as the reservoir first fills them and reused
        var weighted = new WeightedRowSample(WindowSampleRows, codec.RowBytes); // for windows whose rows weigh differently
        DriftSample? latest = null;
        // A pipeline of two: the next window is read from the store while the previous one's drift (the domain classifier
        // mostly) is computed on another core; windows are finished, and their alerts raised, in time order.
        Task<(MonitoringWindow Window, DriftSample? Sample)>? inFlight = null;
        async Task FinishAsync(Task<(MonitoringWindow Window, DriftSample? Sample)> pending)
        {
            var (w, sample) = await pending;
            windows.Add(w);
            if (w.Drift is not null) latest = sample;
            if (request.RaiseAlerts && w.Complete) alerts.AddRange(await RaiseAsync(version, request.Slot, w, now, ct));
        }
        for (var from = start; from <= span.Value.Last && from < now; from = from.AddDays(request.WindowDays))
        {
            var to = from.AddDays(request.WindowDays);
            var (w, sample) = await WindowAsync(version, request.Slot, from, to, now, model, codec, reference, conversions, groups, ages, sampler, blobs, weighted, ct);
            if (w is null) continue;
            var drifting = Task.Run(() => sample.Rows > 0
                ? (w with { Drift = DriftEngine.Compare(profile, sample, LogDriftOptions, importance) }, (DriftSample?)sample)
                : (w, null), ct);
            if (inFlight is not null) await FinishAsync(inFlight);
            inFlight = drifting;
        }
        if (inFlight is not null) await FinishAsync(inFlight);
        if (alerts.Count > 0) webhooks?.Pulse();
        var result = new MonitoringResult
        {
            ModelVersion = version, Slot = request.Slot, HasReference = true, WindowDays = request.WindowDays, Windows = windows, NewAlerts = alerts,
            HeldOutAuc = reference.HeldOutAuc, HorizonDays = model.HorizonDays, ReferenceSample = profile.Sample, LatestSample = latest, DecisionAgesDays = ages?.Ages,
            FairnessAttributesFrom = groups?.Source, FairnessOptions = groups?.Options,
        };
        if (status is not null && request.RaiseAlerts && request.ModelVersion is null)
            status.Record(result, await OpenAlertsAsync(version, request.Slot, ct), now);
        return result;
    }

    /// <summary>
    /// The alerts still open for a model and slot: every alert of the version serving there (an alert closes when the model
    /// is replaced, by a promotion or a retrained champion), counted by kind.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> OpenAlertsAsync(string version, string slot, CancellationToken ct = default)
    {
        var open = new Dictionary<string, int>(StringComparer.Ordinal) { [DriftDetected] = 0, [PerformanceDropped] = 0, [FairnessAlert] = 0 };
        foreach (var a in await store.ListAlertsAsync(null, 10_000, ct))
            if (a.ModelVersion == version && a.Slot == slot) open[a.Kind] = open.GetValueOrDefault(a.Kind) + 1;
        return open;
    }

    /// <summary>The reference's training sample as columns, scored by the model (so its scores and grades line up with its rows).</summary>
    private static DriftSample ReferenceSample(ServableModel model, FeatureRowCodec codec, ModelReference reference)
    {
        var n = reference.SampleRows;
        var f = codec.Features.Count;
        var values = new float[f];
        var row = new FeatureValue[f];
        var numbers = new double[f][];
        var cats = new string?[f][];
        for (var j = 0; j < f; j++) if (codec.IsCategorical(j)) cats[j] = new string?[n]; else numbers[j] = new double[n];
        var scores = new double[n];
        var grades = new string?[n];
        for (var i = 0; i < n; i++)
        {
            codec.TryDecode(reference.Sample.AsSpan(i * codec.RowBytes, codec.RowBytes), values);
            Decode(codec, values, row);
            for (var j = 0; j < f; j++) if (cats[j] is { } c) c[i] = row[j].Category; else numbers[j][i] = row[j].Number;
            scores[i] = model.Engine.Probability(row);
            grades[i] = model.Engine.Grades.GradeOf(scores[i]);
        }
        var cols = Enumerable.Range(0, f).Select(j => cats[j] is { } c ? FeatureColumn.Categorical(codec.Features[j].Name, c) : FeatureColumn.Numeric(codec.Features[j].Name, numbers[j])).ToArray();
        return new DriftSample(cols) { Scores = scores, Grades = grades };
    }

    private static void Decode(FeatureRowCodec codec, ReadOnlySpan<float> values, Span<FeatureValue> row)
    {
        for (var j = 0; j < row.Length; j++)
        {
            var v = values[j];
            row[j] = codec.IsCategorical(j) ? (float.IsNaN(v) ? FeatureValue.Missing : FeatureValue.Of(codec.Category(j, v))) : FeatureValue.Of(v);
        }
    }

    /// <summary>
    /// Each converted lead's conversion times (memory grows with converted leads, not predictions): one tick count per lead
    /// in the common case of a single conversion, the full list only for the leads that converted more than once.
    /// </summary>
    internal sealed class Conversions
    {
        private readonly Dictionary<string, long> _first = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<long>> _more = new(StringComparer.Ordinal);

        public void Add(string leadId, DateTimeOffset at)
        {
            var t = at.UtcTicks;
            if (_first.TryAdd(leadId, t)) return;
            if (!_more.TryGetValue(leadId, out var list)) _more[leadId] = list = [_first[leadId]];
            list.Add(t);
        }

        /// <summary>Whether the lead converted in [from, to].</summary>
        public bool Any(string leadId, DateTimeOffset from, DateTimeOffset to)
        {
            if (!_first.TryGetValue(leadId, out var t)) return false;
            long a = from.UtcTicks, b = to.UtcTicks;
            if (!_more.TryGetValue(leadId, out var all)) return t >= a && t <= b;
            foreach (var x in all) if (x >= a && x <= b) return true;
            return false;
        }
    }

    /// <summary>Each stored lead's creation time (ticks; memory grows with leads, not predictions).</summary>
    private async Task<Dictionary<string, long>> CreatedAsync(CancellationToken ct)
    {
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var lead in store.StreamLeadsAsync(ct)) map[lead.Id] = lead.CreatedAt.UtcTicks;
        return map;
    }

    /// <summary>
    /// Like with like: the reference holds each training lead at its decision age(s) (time since creation at the decision
    /// time), while the log holds every scoring of a lead, at every age (the import's at creation, the time-passing re-scores
    /// every day after). A logged prediction is compared when it is its lead's first in the window at one of the reference's
    /// ages: lead age in [age - tolerance / 2, age + tolerance / 2). Predictions of leads the store does not know (API calls for leads never
    /// imported) have no known age and are compared as they are.
    /// </summary>
    internal sealed class LeadAges(double[] ages, double toleranceDays, Dictionary<string, long> created)
    {
        /// <summary>The built-in feature that is the lead's age itself (FeatureComputer's days_since_created).</summary>
        public const string AgeFeature = "days_since_created";
        /// <summary><see cref="Take"/>: the prediction is of a lead of unknown age (compared as it is).</summary>
        public const int UnknownAge = -1;
        /// <summary><see cref="Take"/>: the prediction is not at a reference age (or the lead was taken at it already).</summary>
        public const int Skip = -2;

        private readonly long _tolerance = TimeSpan.FromDays(Math.Max(toleranceDays, 1e-6)).Ticks;
        // Centred on each age: with a re-score every `tolerance`, each open lead has one prediction in it, as often a little
        // before as a little after the age, so features that grow with time (days since the last email) are not biased.
        private readonly long[] _from = ages.Select(a => TimeSpan.FromDays(a).Ticks - TimeSpan.FromDays(Math.Max(toleranceDays, 1e-6)).Ticks / 2).ToArray();
        private readonly HashSet<(string, int)> _taken = [];

        public IReadOnlyList<double> Ages => ages;

        /// <summary>Starts a window (each lead is taken once per age and window).</summary>
        public void Reset() => _taken.Clear();

        /// <summary>
        /// Whether the prediction is compared with the reference: the index of the reference age it stands for,
        /// <see cref="UnknownAge"/>, or <see cref="Skip"/>.
        /// </summary>
        public int Take(string? leadId, DateTimeOffset at)
        {
            if (leadId is null || !created.TryGetValue(leadId, out var c)) return UnknownAge;
            var age = at.UtcTicks - c;
            for (var k = 0; k < _from.Length; k++)
                if (age >= _from[k] && age < _from[k] + _tolerance) return _taken.Add((leadId, k)) ? k : Skip;
            return Skip;
        }
    }

    private async Task<Conversions> ConversionsAsync(CancellationToken ct)
    {
        var map = new Conversions();
        await foreach (var o in store.StreamOutcomesAsync(ct))
            if (o.Kind == OutcomeKind.Converted) map.Add(o.LeadId, o.At);
        return map;
    }

    /// <summary>Reads one window: its drift sample (compared with the reference by the caller) and its cohort's performance.</summary>
    private async Task<(MonitoringWindow? Window, DriftSample Sample)> WindowAsync(string version, string slot, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now,
        ServableModel model, FeatureRowCodec codec, ModelReference reference, Conversions conversions, LiveGroups? groups, LeadAges? ages, WindowSampler sampler,
        byte[][] blobs, WeightedRowSample weighted, CancellationToken ct)
    {
        ages?.Reset();
        // Fairness: one row per lead, its last prediction in the window (the grade a seller saw last), when attributes are declared.
        var lastByLead = groups is null ? null : new Dictionary<string, (DateTimeOffset At, double P, string Grade, double? Horizon)>(StringComparer.Ordinal);
        sampler.Reset();
        var f = codec.Features.Count;
        var values = new float[f];
        var row = new FeatureValue[f];
        long n = 0, withFeatures = 0, compared = 0, candidates = 0;
        // The drift reservoir holds the stored rows as they came (the bytes), decoded once at the end: the same seeded
        // reservoir as WindowSampler's (the same rows in the same slots), without decoding the rows it passes over.
        var reservoir = new Random(42);
        var kept = 0;
        var firstWeight = 1.0;
        var equalWeights = true;
        weighted.Reset(43);
        var grades = new string?[blobs.Length];
        var scores = new double[blobs.Length];
        var ageOf = new int[blobs.Length];
        // A prediction taken as "the lead at age a" (scored within the tolerance after it) shows that age as its age feature:
        // the feature is the lead's age itself, so the tolerance alone would make it drift (a constant in the reference).
        var ageFeature = ages is null ? -1 : codec.Features.ToList().FindIndex(x => x.Name == LeadAges.AgeFeature && x.Kind == FeatureKind.Numeric);
        // The cohort: every probability (for CBPE) and, for matured rows, the label; a seeded reservoir beyond WindowCohortRows.
        var probs = new List<double>();
        var matured = new List<(double P, bool Y, string Grade)>();
        // Matured rows offered to the reservoir so far (its uniform replacement needs the count, not the list's length).
        long maturedSeen = 0;
        var rng = new Random(HashCode.Combine(from.UtcTicks));
        var allMatured = true;
        // A cursor, not materialised rows: a row's feature bytes are copied only when the reservoir keeps it (a window's
        // few thousand, of tens of thousands read), into buffers reused window after window.
        await using (var p = await store.OpenPredictionCursorAsync(from, to, version, slot, ct))
            while (await p.ReadAsync(ct))
            {
                n++;
                var at = p.PredictedAt;
                var leadId = p.LeadId;
                var probability = p.Probability;
                var horizon = p.HorizonDays ?? model.HorizonDays;
                if (lastByLead is not null && leadId is not null && groups!.Knows(leadId)
                    && (!lastByLead.TryGetValue(leadId, out var seen) || seen.At <= at))
                    lastByLead[leadId] = (at, probability, p.Grade, horizon);
                // Drift, the score distribution and the cohort compare like with like: the leads at the reference's ages.
                var featureBytes = p.FeatureBytes;
                var hasFeatures = featureBytes > 0 && featureBytes == codec.RowBytes;
                if (hasFeatures) withFeatures++;
                var ageIndex = ages is null ? LeadAges.UnknownAge : ages.Take(leadId, at);
                if (ageIndex == LeadAges.Skip) continue;
                compared++;
                if (hasFeatures)
                {
                    candidates++;
                    // A row stands for FeatureWeight predictions (1 / the sample rate it was logged at). While every row
                    // weighs the same, the classic seeded reservoir; once weights differ (a log sampled harder in busy
                    // seconds), the weighted sample beside it, drawn all along, is the one decoded.
                    var weight = p.FeatureWeight;
                    if (candidates == 1) firstWeight = weight;
                    else if (weight != firstWeight) equalWeights = false;
                    var ws = weighted.Offer(weight);
                    if (ws >= 0)
                    {
                        p.CopyFeatures(weighted.Buffer(ws));
                        weighted.Scores[ws] = probability; weighted.Grades[ws] = p.Grade; weighted.Ages[ws] = ageIndex;
                    }
                    var slotAt = kept < blobs.Length ? kept++ : reservoir.NextInt64(candidates) is var j && j < blobs.Length ? (int)j : -1;
                    if (slotAt >= 0)
                    {
                        p.CopyFeatures(blobs[slotAt] ??= new byte[codec.RowBytes]);
                        scores[slotAt] = probability; grades[slotAt] = p.Grade; ageOf[slotAt] = ageIndex;
                    }
                }
                Keep(probs, probability, compared, rng);
                var isMatured = horizon is { } h && leadId is not null && at.AddDays(h) <= now;
                allMatured &= isMatured;
                if (isMatured)
                {
                    var due = at.AddDays(horizon!.Value);
                    var y = conversions.Any(leadId!, at, due);
                    Keep(matured, (probability, y, p.Grade), ++maturedSeen, rng);
                }
            }
        if (n == 0) return (null, new DriftSample([]));
        var fairnessReport = lastByLead is { Count: > 0 } ? groups!.Analyze(lastByLead, conversions, now) : null;
        if (compared == 0)
            return (new MonitoringWindow
            {
                Start = from, End = to, Complete = to <= now, Predictions = n, WithFeatures = withFeatures, Compared = 0, MaturedRows = 0,
                CohortMatured = false, Fairness = fairnessReport,
            }, new DriftSample([]));
        void Add(byte[] blob, int age, double score, string? grade)
        {
            codec.TryDecode(blob, values);
            Decode(codec, values, row);
            if (ageFeature >= 0 && age >= 0) row[ageFeature] = FeatureValue.Of((float)ages!.Ages[age]);
            sampler.Add(row, score, grade);
        }
        if (equalWeights)
            for (var i = 0; i < kept; i++) Add(blobs[i], ageOf[i], scores[i], grades[i]);
        else
            foreach (var i in weighted.Sample()) Add(weighted.Buffer(i), weighted.Ages[i], weighted.Scores[i], weighted.Grades[i]);
        var current = sampler.ToSample();
        var estimated = Performance.Estimated(probs, 0.5);
        RealizedPerformance? realized = null;
        ConceptDriftCheck? concept = null;
        var positives = matured.Count(m => m.Y);
        if (matured.Count > 0 && positives > 0 && positives < matured.Count)
        {
            realized = Performance.Realized(matured.Select(m => m.P).ToArray(), matured.Select(m => m.Y).ToArray(), matured.Select(m => (string?)m.Grade).ToArray());
            if (allMatured && matured.Count >= MinCohortRows && positives >= MinCohortClass && matured.Count - positives >= MinCohortClass)
                concept = Concept(reference.HeldOutAuc, realized, Performance.EstimatedAuc(matured.Select(m => m.P).ToArray()), matured);
        }
        return (new MonitoringWindow
        {
            Start = from, End = to, Complete = to <= now, Predictions = n, WithFeatures = withFeatures, Compared = compared, Drift = null, MaturedRows = matured.Count,
            CohortMatured = allMatured, Realized = realized, Estimated = estimated, Concept = concept, Scores = Summarize(probs, compared),
            Fairness = fairnessReport,
        }, current);
    }

    private static ScoreSummary Summarize(List<double> probs, long n)
    {
        var sorted = probs.ToArray();
        Array.Sort(sorted);
        // Linear interpolation between order statistics (numpy's default).
        double Q(double q)
        {
            var h = (sorted.Length - 1) * q;
            var lo = (int)Math.Floor(h);
            var hi = Math.Min(lo + 1, sorted.Length - 1);
            return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
        }
        return new ScoreSummary(n, Q(0.1), Q(0.25), Q(0.5), Q(0.75), Q(0.9), sorted.Average());
    }

    private static void Keep<T>(List<T> list, T item, long seen, Random rng)
    {
        if (list.Count < WindowCohortRows) { list.Add(item); return; }
        var j = rng.NextInt64(seen);
        if (j < WindowCohortRows) list[(int)j] = item;
    }

    /// <summary>One group over a fairness threshold: why, in words.</summary>
    internal sealed record FairnessBreach(string Attribute, GroupFairness Group, IReadOnlyList<string> Reasons, string Sentence);

    /// <summary>
    /// The groups of sensitive attributes (with at least the minimum rows behind the figure) whose A/B ratio is below the ratio
    /// threshold, or whose TPR or FPR gap to the best group exceeds the gap threshold, beyond chance for the group's size (as the
    /// model card flags, two-sided p under 0.05 split over the shown groups and, here, over the three figures tested). Without the guard a week of a few hundred leads per
    /// group crosses a 0.1 gap by chance often enough to teach people to ignore the alert. Watched attributes are shown, never alerted on.
    /// </summary>
    internal static IReadOnlyList<FairnessBreach> FairnessBreaches(FairnessReport f)
    {
        var c = CultureInfo.InvariantCulture;
        var list = new List<FairnessBreach>();
        foreach (var a in f.Attributes.Where(a => a.Role == FairnessRole.Sensitive))
        {
            var best = a.Groups.FirstOrDefault(g => g.Group == a.BestGroup);
            // The card's guard, with one more factor: an alert tests three figures per group (A/B share, TPR, FPR), so the
            // family-wise level 0.05 is split over the shown groups and the three figures (Bonferroni): on fair data about one
            // window in twenty raises a false alert per attribute, not one in seven.
            var level = f.Significance / (3.0 * Math.Max(1, a.Groups.Count(g => !g.TooFew)));
            foreach (var g in a.Groups)
            {
                var reasons = new List<string>();
                var words = new List<string>();
                if (!g.TooFew && g.AbRatio < f.RatioLimit && g.AbPValue < level)
                {
                    reasons.Add("ab_ratio");
                    words.Add(string.Create(c, $"{g.AbShare * 100:0}% graded A or B, {g.AbRatio:0.00} of the best group's {best?.AbShare * 100:0}% ({a.BestGroup}), below {f.RatioLimit:0.##}"));
                }
                if (g.TprGap > f.OddsGapLimit && g.TprPValue < level)
                {
                    reasons.Add("tpr_gap");
                    words.Add(string.Create(c, $"of its leads that converted {g.Tpr * 100:0}% were graded A or B, {g.TprGap:0.00} below the best group (gap threshold {f.OddsGapLimit:0.##})"));
                }
                if (g.FprGap > f.OddsGapLimit && g.FprPValue < level)
                {
                    reasons.Add("fpr_gap");
                    words.Add(string.Create(c, $"of its leads that did not convert {g.Fpr * 100:0}% were graded A or B, {g.FprGap:0.00} below the best group (gap threshold {f.OddsGapLimit:0.##})"));
                }
                if (reasons.Count > 0)
                    list.Add(new FairnessBreach(a.Attribute, g, reasons, string.Create(c, $"{a.Attribute} = {g.Group} ({g.Rows} leads): {string.Join("; ", words)}")));
            }
        }
        return list;
    }

    /// <summary>The concept-drift rule (see <see cref="ConceptDriftCheck"/>).</summary>
    internal static ConceptDriftCheck Concept(double heldOutAuc, RealizedPerformance realized, double estimatedAuc, IReadOnlyList<(double P, bool Y, string Grade)> cohort)
    {
        var a = realized.Auc;
        double nP = realized.Positives, nN = realized.Rows - realized.Positives;
        // Hanley & McNeil (1982): the standard error of an AUC from its value and the class sizes.
        var q1 = a / (2 - a);
        var q2 = 2 * a * a / (1 + a);
        var se = Math.Sqrt(Math.Max(1e-12, (a * (1 - a) + (nP - 1) * (q1 - a * a) + (nN - 1) * (q2 - a * a)) / (nP * nN)));
        var zHeld = double.IsNaN(heldOutAuc) ? 0 : (heldOutAuc - a) / se;
        var zEst = double.IsNaN(estimatedAuc) ? 0 : (estimatedAuc - a) / se;
        var expected = cohort.Sum(c => c.P);
        var variance = cohort.Sum(c => c.P * (1 - c.P));
        var zCal = variance > 0 ? (realized.Positives - expected) / Math.Sqrt(variance) : 0;
        var aucDropHeld = heldOutAuc - a >= AucMargin && zHeld > AucZ;
        var aucDropEst = estimatedAuc - a >= AucMargin && zEst > AucZ;
        var calOff = Math.Abs(zCal) > CalibrationZ;
        var c = CultureInfo.InvariantCulture;
        var why = aucDropHeld || aucDropEst
            ? string.Create(c, $"realized AUC {a:F3} is below {(aucDropHeld ? $"the held-out {heldOutAuc:F3}" : $"the estimate {estimatedAuc:F3}")} (z = {Math.Max(aucDropHeld ? zHeld : 0, aucDropEst ? zEst : 0):F1})")
            : calOff
                ? string.Create(c, $"{realized.Positives} leads converted where the scores expected {expected:F0} (calibration z = {zCal:F1})")
                : string.Create(c, $"realized AUC {a:F3} is in line with the held-out {heldOutAuc:F3} and the estimate {estimatedAuc:F3}");
        return new ConceptDriftCheck(heldOutAuc, a, estimatedAuc, se, zHeld, zEst, expected, realized.Positives, zCal, aucDropHeld || aucDropEst || calOff, why);
    }

    /// <summary>A statistic can be infinite (a category the reference never saw): written as "Infinity" instead of failing the whole run.</summary>
    private static readonly JsonSerializerOptions DetailsJsonOptions = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private async Task<IReadOnlyList<MonitoringAlert>> RaiseAsync(string version, string slot, MonitoringWindow w, DateTimeOffset now, CancellationToken ct)
    {
        var raised = new List<MonitoringAlert>();
        var c = CultureInfo.InvariantCulture;
        if (w.Drift is { DatasetDrift: true } d)
        {
            var top = d.Features.Where(x => x.Drifted).OrderByDescending(x => x.Statistic / Math.Max(x.Threshold, 1e-12)).Take(5).ToList();
            var alert = new MonitoringAlert
            {
                Kind = DriftDetected, ModelVersion = version, Slot = slot, WindowStart = w.Start, WindowEnd = w.End, RaisedAt = now,
                Message = string.Create(c, $"{d.DriftedFeatures} of {d.Features.Count} features drifted ({d.DriftedImportanceShare:P0} of the model's importance): {string.Join("; ", top.Select(t => t.Explanation))}"),
                DetailsJson = JsonSerializer.Serialize(new
                {
                    drifted_share = d.DriftedImportanceShare,
                    features = top.Select(t => new { feature = t.Feature, test = DriftEngine.TestCode(t.Test), statistic = t.Statistic, p_value = t.PValue, threshold = t.Threshold, sentence = t.Explanation }),
                }, DetailsJsonOptions),
            };
            if (await store.TryAddAlertAsync(alert, webhooks is null ? null : await webhooks.AlertDeliveriesAsync(alert, ct), ct)) raised.Add(alert);
        }
        if (w.Concept is { Dropped: true } k)
        {
            var alert = new MonitoringAlert
            {
                Kind = PerformanceDropped, ModelVersion = version, Slot = slot, WindowStart = w.Start, WindowEnd = w.End, RaisedAt = now,
                Message = $"the leads scored in this window did worse than the model promised: {k.Explanation}",
                DetailsJson = JsonSerializer.Serialize(new
                {
                    held_out_auc = k.HeldOutAuc, realized_auc = k.RealizedAuc, estimated_auc = k.EstimatedAuc, auc_se = k.AucStandardError,
                    expected_conversions = k.ExpectedPositives, conversions = k.Positives, calibration_z = k.CalibrationZ, sentence = k.Explanation,
                }, DetailsJsonOptions),
            };
            if (await store.TryAddAlertAsync(alert, webhooks is null ? null : await webhooks.AlertDeliveriesAsync(alert, ct), ct)) raised.Add(alert);
        }
        if (w.Fairness is { } f && FairnessBreaches(f) is { Count: > 0 } breaches)
        {
            var alert = new MonitoringAlert
            {
                Kind = FairnessAlert, ModelVersion = version, Slot = slot, WindowStart = w.Start, WindowEnd = w.End, RaisedAt = now,
                Message = $"live leads are not treated alike across groups: {string.Join("; ", breaches.Take(5).Select(b => b.Sentence))}{(breaches.Count > 5 ? $" (and {breaches.Count - 5} more)" : "")}",
                DetailsJson = JsonSerializer.Serialize(new
                {
                    ratio_threshold = f.RatioLimit, gap_threshold = f.OddsGapLimit, min_group_size = f.MinGroupSize, leads = f.Rows, matured = f.MaturedRows,
                    groups = breaches.Select(b => new
                    {
                        attribute = b.Attribute, group = b.Group.Group, rows = b.Group.Rows, ab_share = b.Group.AbShare, ab_ratio = b.Group.AbRatio, ab_p_value = b.Group.AbPValue,
                        tpr = b.Group.Tpr, tpr_gap = b.Group.TprGap, fpr = b.Group.Fpr, fpr_gap = b.Group.FprGap, reasons = b.Reasons, sentence = b.Sentence,
                    }),
                }),
            };
            if (await store.TryAddAlertAsync(alert, webhooks is null ? null : await webhooks.AlertDeliveriesAsync(alert, ct), ct))
            {
                raised.Add(alert);
                if (audit is not null)
                    await audit.RecordAsync(AuditActions.FairnessAlert, AuditTargets.Model, version, new Dictionary<string, object?>
                    {
                        ["slot"] = slot, ["window_start"] = w.Start, ["groups"] = breaches.Select(b => $"{b.Attribute} = {b.Group.Group}").ToArray(),
                    }, ct: ct);
            }
        }
        foreach (var a in raised) MonitoringLog.AlertRaised(_log, a.Kind, version, slot, a.WindowStart);
        return raised;
    }
}
