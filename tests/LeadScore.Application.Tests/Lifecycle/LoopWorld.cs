using LeadScore.Application.Jobs;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Modeling;
using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Lifecycle;

/// <summary>
/// A generated funnel fed into a real store as a manual clock passes: leads, activities and outcomes enter the store only
/// once their time has come, so training and the loop's comparisons see what a live workspace would have seen.
/// </summary>
internal sealed class LoopWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly SyntheticDataset _data;
    private int _lead, _activity, _outcome;
    private readonly List<Lead> _leads;
    private readonly List<Activity> _activities;
    private readonly List<Outcome> _outcomes;

    public ManualTime Time { get; }
    public ILeadStore Store { get; }
    public IServiceProvider Services { get; }
    /// <summary>The PostgreSQL database's connection string (null on SQLite), for a second instance on the same database.</summary>
    public string? ConnectionString { get; private init; }

    private LoopWorld(SyntheticDataset data, ManualTime time, ILeadStore store, IServiceProvider services)
    {
        _data = data;
        _leads = [.. data.Leads.OrderBy(l => l.CreatedAt)];
        _activities = [.. data.Activities.OrderBy(a => a.Timestamp)];
        _outcomes = [.. data.Outcomes.OrderBy(o => o.At)];
        Time = time;
        Store = store;
        Services = services;
    }

    /// <param name="conceptDriftAtDay">Leads created from this day on follow the generator's concept drift (the pricing signal turned round, <paramref name="conceptStrength"/>).</param>
    public static async Task<LoopWorld> CreateAsync(string backend, int leads = 4000, int days = 300, int seed = 7, string? groupEffect = null,
        double? conceptDriftAtDay = null, double conceptStrength = 3)
    {
        var time = new ManualTime(Start);
        var (store, _, cs) = await TestStores.OpenAsync(backend, time);
        var data = SyntheticGenerator.Generate(new SyntheticOptions
        {
            Leads = leads, Days = days, Seed = seed, Start = Start, GroupEffect = groupEffect,
            Drift = conceptDriftAtDay is null ? SyntheticDrift.None : SyntheticDrift.Concept, DriftAt = conceptDriftAtDay is { } d ? Start.AddDays(d) : null,
            ConceptStrength = conceptStrength, StationaryEnrichment = conceptDriftAtDay is not null,
        });
        await store.UpsertEnrichmentAsync(data.Enrichment);
        return new LoopWorld(data, time, store, AppServices.For(store, time: time)) { ConnectionString = cs };
    }

    /// <summary>Moves the clock to <paramref name="day"/> after the start and stores everything that happened before it.</summary>
    public async Task AtDayAsync(double day)
    {
        var now = Start.AddDays(day);
        Time.Set(now);
        var leads = new List<Lead>();
        while (_lead < _leads.Count && _leads[_lead].CreatedAt < now) leads.Add(_leads[_lead++]);
        var acts = new List<Activity>();
        while (_activity < _activities.Count && _activities[_activity].Timestamp < now) acts.Add(_activities[_activity++]);
        var outs = new List<Outcome>();
        while (_outcome < _outcomes.Count && _outcomes[_outcome].At < now) outs.Add(_outcomes[_outcome++]);
        if (leads.Count > 0) await Store.UpsertLeadsAsync(leads);
        if (acts.Count > 0) await Store.InsertActivitiesAsync(acts);
        if (outs.Count > 0) await Store.InsertOutcomesAsync(outs);
    }

    /// <summary>One tiny tree: it ranks leads far more coarsely than a boosted model.</summary>
    public static readonly TrainerOptions Poor = new FastForestOptions { NumberOfTrees = 1, NumberOfLeaves = 2, MinimumExampleCountPerLeaf = 200 };

    /// <summary>The generator's most informative features (by the permutation importance of a boosted model): a model without them is poor.</summary>
    public static readonly IReadOnlyList<string> Strongest =
        ["engagement_score", "days_since_pricing", "days_since_last_form_submit", "intent_score", "company_employees", "days_since_last_activity", "pages_per_session", "title_seniority", "job_title"];

    /// <summary>A clearly worse model than a boosted one on all features: one tiny tree without the strongest features.</summary>
    public Task<TrainingRun> TrainPoorByHandAsync() => TrainByHandAsync(Poor, Strongest);

    /// <summary>Trains by hand (not through the policy), as './leadscore train' would.</summary>
    public async Task<TrainingRun> TrainByHandAsync(TrainerOptions trainer, IReadOnlyList<string>? exclude = null)
    {
        var (run, _) = await Services.Get<ModelLifecycle>().TrainWorkspaceAsync(new WorkspaceTrainingRequest
        {
            Options = new TrainingOptions { Trainer = trainer, Clock = Time, ImportanceRows = 0 },
            HorizonDays = 30,
            AsOf = Time.GetUtcNow(),
            Exclude = exclude ?? [],
        });
        return run;
    }

    public async Task<(Engine.Lifecycle.RetrainingPolicy Policy, long Version)> PolicyAsync(params (string, string)[] changes) =>
        await Services.Get<RetrainingPolicyService>().SetAsync([("training.horizon_days", "30"), .. changes]);

    /// <summary>Queues what the policy says is due and runs the queued jobs here (the job worker's part).</summary>
    public async Task<JobRecord?> ScheduleAndRunAsync()
    {
        var job = await Services.Get<ContinuousLearning>().ScheduleAsync();
        if (job is null) return null;
        var runner = Services.Get<JobRunner>();
        while (await runner.RunNextAsync(CancellationToken.None)) { }
        return await Store.GetJobAsync(job.Id);
    }

    public async Task<List<LifecycleEvent>> HistoryAsync() => [.. await Services.Get<LifecycleHistory>().ListAsync()];

    /// <summary>The history and every evaluation, for failure messages.</summary>
    public async Task<string> DescribeAsync()
    {
        var lines = new List<string>();
        foreach (var e in await HistoryAsync()) lines.Add($"{e.At:yyyy-MM-dd} {e.Kind} {e.Version} {e.Previous}: {e.Reason}");
        foreach (var m in await Store.ListModelsAsync())
            foreach (var ev in await Store.ListEvaluationsAsync(m.Version)) lines.Add($"{ev.At:yyyy-MM-dd} eval {ev.Kind} {ev.Candidate} vs {ev.Champion}: {ev.Summary}");
        lines.Add(System.Text.Json.JsonSerializer.Serialize(await Services.Get<LifecycleStateStore>().GetAsync()));
        return string.Join("\n", lines);
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
