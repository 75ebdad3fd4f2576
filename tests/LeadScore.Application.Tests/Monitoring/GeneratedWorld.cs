using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Monitoring;

/// <summary>
/// A year of live scoring of the built-in generator's leads on a manual clock, into a real store and the real prediction
/// log, without the <c>simulate</c> loop: the first <see cref="HistoryDays"/> days arrive, a model is trained on them (each
/// lead as of its creation + <see cref="DecisionDays"/>), then every simulated day the day's leads, activities and outcomes
/// are stored and scored as a live workspace scores them: each new lead when it arrives (age 0), each open lead as time
/// passes. The daily time-passing re-score of every open lead is the expensive part; here it runs in full once every
/// <c>fullRescoreDays</c> (every open lead, at whatever age; weekly by default) and, on the other days, for the leads that
/// turn the decision age that day (the only ones of the daily round whose ages the reference holds). So the log holds
/// leads of every age, as in production.
/// </summary>
internal sealed class GeneratedWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public const int HistoryDays = 120;
    public const int DecisionDays = SyntheticGenerator.DefaultDecisionDays;
    public const int HorizonDays = 30;
    /// <summary>Days of live scoring after the training in a simulated year (52 weeks).</summary>
    public const int YearDays = 364;
    /// <summary>Days after the live year the clock moves on (outcomes only), so every decided cohort has matured.</summary>
    public const int TailDays = DecisionDays + HorizonDays + 2;

    /// <summary>The first day of live scoring (the first window's start).</summary>
    public static DateTimeOffset LiveStart => Start.AddDays(HistoryDays);

    private readonly List<Lead> _leads;
    private readonly List<Activity> _activities;
    private readonly List<Outcome> _outcomes;
    private int _lead, _activity, _outcome;
    /// <summary>Each lead's latest stored outcome (the time-passing re-score skips leads whose latest is converted or lost).</summary>
    private readonly Dictionary<string, OutcomeKind> _latest = new(StringComparer.Ordinal);

    public ManualTime Time { get; }
    public ILeadStore Store { get; }
    public IServiceProvider Services { get; }
    public TrainingRun Model { get; private set; } = null!;
    public long Predictions { get; private set; }
    /// <summary>Days of live scoring (after them the clock moves on <see cref="TailDays"/> more, outcomes only).</summary>
    public int LiveDays { get; }
    /// <summary>The end of live scoring.</summary>
    public DateTimeOffset LiveEnd => LiveStart.AddDays(LiveDays);
    private readonly int _fullRescoreDays;

    private GeneratedWorld(SyntheticDataset data, ManualTime time, ILeadStore store, IServiceProvider services, int liveDays, int fullRescoreDays)
    {
        LiveDays = liveDays;
        _fullRescoreDays = fullRescoreDays;
        _leads = [.. data.Leads.OrderBy(l => l.CreatedAt)];
        _activities = [.. data.Activities.OrderBy(a => a.Timestamp)];
        _outcomes = [.. data.Outcomes.OrderBy(o => o.At)];
        Time = time;
        Store = store;
        Services = services;
    }

    /// <summary>
    /// Builds the world and runs <paramref name="liveDays"/> of live scoring; <paramref name="driftDay"/> is the live day the
    /// scenario starts (leads created from then on); <paramref name="conceptStrength"/> is the generator's
    /// <see cref="SyntheticOptions.ConceptStrength"/>; <paramref name="fullRescoreDays"/> how often every open lead is re-scored.
    /// </summary>
    public static async Task<GeneratedWorld> RunAsync(string backend, int leadsPerDay, SyntheticDrift drift = SyntheticDrift.None, int? driftDay = null, int seed = 5,
        int liveDays = YearDays, double conceptStrength = 1, int fullRescoreDays = 7)
    {
        var time = new ManualTime(Start);
        var (store, ws, _) = await TestStores.OpenAsync(backend, time);
        var days = HistoryDays + liveDays + TailDays;
        var data = SyntheticGenerator.Generate(new SyntheticOptions
        {
            Leads = leadsPerDay * days, Seed = seed, Start = Start, Days = days, Drift = drift, ConceptStrength = conceptStrength,
            // A steady world is steady in calendar time: the default enrichment grows with the calendar, which is drift.
            StationaryEnrichment = true,
            DriftAt = drift == SyntheticDrift.None ? null : LiveStart.AddDays(driftDay ?? throw new ArgumentNullException(nameof(driftDay))),
        });
        await store.UpsertEnrichmentAsync(data.Enrichment);
        var world = new GeneratedWorld(data, time, store, AppServices.For(store, ws, time), liveDays, fullRescoreDays);
        await world.LiveYearAsync();
        return world;
    }

    /// <summary>Stores everything that happened before <paramref name="now"/>; returns the leads created since the last call.</summary>
    private async Task<List<Lead>> StoreUntilAsync(DateTimeOffset now, bool leads = true)
    {
        Time.Set(now);
        var created = new List<Lead>();
        while (leads && _lead < _leads.Count && _leads[_lead].CreatedAt < now) created.Add(_leads[_lead++]);
        var acts = new List<Activity>();
        while (_activity < _activities.Count && _activities[_activity].Timestamp < now) acts.Add(_activities[_activity++]);
        var outs = new List<Outcome>();
        while (_outcome < _outcomes.Count && _outcomes[_outcome].At < now) outs.Add(_outcomes[_outcome++]);
        if (created.Count > 0) await Store.UpsertLeadsAsync(created);
        if (acts.Count > 0) await Store.InsertActivitiesAsync(acts);
        if (outs.Count > 0) await Store.InsertOutcomesAsync(outs);
        foreach (var o in outs) _latest[o.LeadId] = o.Kind;
        return created;
    }

    private async Task LiveYearAsync()
    {
        var historyLeads = await StoreUntilAsync(LiveStart);
        Model = await Services.Get<TrainingService>().TrainWorkspaceAsync(new WorkspaceTrainingRequest
        {
            Options = new TrainingOptions { Trainer = new LogisticOptions(), Clock = Time, ImportanceRows = 500 },
            DecisionDelay = TimeSpan.FromDays(DecisionDays),
            // One age, the world's scoring covers it daily (training's default may take several ages when leads stay open long).
            DecisionAges = [TimeSpan.FromDays(DecisionDays)],
            HorizonDays = HorizonDays,
            AsOf = LiveStart,
        });
        var scoring = Services.Get<IScoringService>();
        var log = Services.Get<PredictionLogger>();
        await scoring.ReloadAsync();
        var byAge = new List<Lead>(historyLeads);
        for (var day = 1; day <= LiveDays; day++)
        {
            var now = LiveStart.AddDays(day);
            var created = await StoreUntilAsync(now);
            byAge.AddRange(created);
            // New leads, scored as they arrive.
            await scoring.RescoreAsync([.. created.Select(l => l.Id)], ScoreCause.NewData);
            if (day % _fullRescoreDays == 0)
                await scoring.RescoreAllAsync(ScoreCause.TimePassing);
            else
            {
                // The open leads within half a day of the decision age now (age in [13.5, 14.5) days).
                var turning = byAge.Where(l => !Closed(l.Id) && now - l.CreatedAt >= TimeSpan.FromDays(DecisionDays - 0.5) && now - l.CreatedAt < TimeSpan.FromDays(DecisionDays + 0.5))
                    .Select(l => l.Id).ToList();
                await scoring.RescoreAsync(turning, ScoreCause.TimePassing);
            }
            await log.FlushAsync();
        }
        await StoreUntilAsync(LiveStart.AddDays(LiveDays + TailDays), leads: false);
        Predictions = await Store.CountPredictionsAsync();
    }

    private bool Closed(string id) => _latest.TryGetValue(id, out var k) && k is OutcomeKind.Converted or OutcomeKind.Lost;

    public Task<MonitoringResult> MonitorAsync(int windowDays = 7, bool matchAges = true, bool raiseAlerts = true) =>
        Services.Get<MonitoringService>().RunAsync(new MonitoringRequest
        {
            WindowDays = windowDays, Since = LiveStart, MatchLeadAges = matchAges, RaiseAlerts = raiseAlerts,
        });

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
