using System.Globalization;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Lifecycle;

/// <summary>Which slot serves a lead: shadow serves none from the challenger, split a sticky share of leads by id.</summary>
public sealed class SplitRoutingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    private static Lead NewLead(int i) => new()
    {
        Id = $"crm-{i}", CreatedAt = T0.AddDays(-3),
        Attributes = new Dictionary<string, string?> { ["visits"] = (i % 20).ToString(CultureInfo.InvariantCulture), ["source"] = "web" },
    };

    [Theory]
    [InlineData(TestStores.Sqlite, 10.0)]
    [InlineData(TestStores.Sqlite, 30.0)]
    [InlineData(TestStores.Postgres, 10.0)]
    public async Task Split_serves_a_sticky_share_of_leads_within_one_point_of_the_setting_over_10000_leads(string backend, double percent)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var services = AppServices.For(store, time: time);
        var registry = services.Get<ModelRegistry>();
        await SmallModels.RegisterAsync(registry, seed: 5, eventEffect: 0);
        await SmallModels.RegisterAsync(registry, seed: 6, eventEffect: 0, championRule: false);
        var scoring = services.Get<IScoringService>();

        // Shadow: the challenger scores, the champion serves every lead.
        await services.Get<LifecycleStateStore>().UpdateAsync(s => s with { Challenge = Challenge("shadow", percent) });
        await services.Get<ModelLifecycle>().PromoteAsync("v2", ServingModels.ChallengerAlias);
        Enumerable.Range(0, 2000).Select(i => scoring.Score(NewLead(i), [], false, T0)).ShouldAllBe(r => r.Slot == "champion" && r.ModelVersion == "v1");

        // Split: the share given, always the same leads.
        await services.Get<LifecycleStateStore>().UpdateAsync(s => s with { Challenge = Challenge("split", percent) });
        await scoring.ReloadAsync();
        var first = Enumerable.Range(0, 10_000).Select(i => scoring.Score(NewLead(i), [], true, T0)).ToList();
        var share = first.Count(r => r.Slot == "challenger") / 100.0;
        share.ShouldBe(percent, 1.0);
        first.ShouldAllBe(r => r.ModelVersion == (r.Slot == "challenger" ? "v2" : "v1"));
        first.Where(r => r.Slot == "challenger").ShouldAllBe(r => r.Reasons.Count > 0, "the serving model explains");
        var again = Enumerable.Range(0, 10_000).Select(i => scoring.Score(NewLead(i), [], false, T0).Slot).ToList();
        again.ShouldBe(first.Select(r => r.Slot).ToList(), "a lead stays on its side");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_split_rescore_stores_the_serving_slots_score_and_logs_each_model_under_its_own_slot(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var services = AppServices.For(store, time: time);
        var registry = services.Get<ModelRegistry>();
        await SmallModels.RegisterAsync(registry, seed: 5, eventEffect: 0);
        await SmallModels.RegisterAsync(registry, seed: 6, eventEffect: 0, championRule: false);
        var scoring = services.Get<IScoringService>();
        await scoring.ReloadAsync();
        var leads = Enumerable.Range(0, 400).Select(NewLead).ToList();
        var championOwn = leads.ToDictionary(l => l.Id, l => scoring.Score(l, [], false, T0).Probability);
        await store.UpsertLeadsAsync(leads);
        await services.Get<LifecycleStateStore>().UpdateAsync(s => s with { Challenge = Challenge("split", 30) });
        await services.Get<ModelLifecycle>().PromoteAsync("v2", ServingModels.ChallengerAlias);
        await scoring.ReloadAsync();

        await scoring.RescoreAllAsync(ScoreCause.TimePassing);
        await services.Get<PredictionLogger>().FlushAsync();

        var champion = new List<LeadScore.Storage.LoggedPrediction>();
        await foreach (var p in store.StreamPredictionsAsync(T0.AddDays(-1), T0.AddDays(1), "v1", "champion"))
            if (p.Source == LeadScore.Storage.PredictionSources.Rescore) champion.Add(p);
        var challenger = new List<LeadScore.Storage.LoggedPrediction>();
        await foreach (var p in store.StreamPredictionsAsync(T0.AddDays(-1), T0.AddDays(1), "v2", "challenger"))
            if (p.Source == LeadScore.Storage.PredictionSources.Rescore) challenger.Add(p);
        champion.Count.ShouldBe(400, "the champion scores every lead");
        challenger.Count.ShouldBe(400, "the challenger scores every lead too (it serves some)");
        // The champion's log holds what the champion predicted, also for the leads the challenger served.
        champion.ShouldAllBe(p => Math.Abs(p.Probability - championOwn[p.LeadId!]) < 1e-9);
        var served = new Dictionary<string, LeadScore.Storage.StoredScore>();
        foreach (var l in leads) served[l.Id] = (await store.GetLatestScoreAsync(l.Id))!;
        var byChallenger = served.Values.Count(x => x.ModelVersion == "v2");
        byChallenger.ShouldBeInRange(80, 160, "about 30% of 400 leads stored from the challenger");
        challenger.Where(p => served[p.LeadId!].ModelVersion == "v2").ShouldAllBe(p => Math.Abs(p.Probability - served[p.LeadId!].Probability) < 1e-9);
    }

    private static ChallengeState Challenge(string mode, double percent) => new()
    {
        Version = "v2", Champion = "v1", Mode = mode, SplitPercent = percent, StartedAt = T0, DecisionDelayDays = 14, HorizonDays = 30,
    };
}
