using System.Globalization;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Monitoring;

/// <summary>Every scoring path logs its predictions (slot, version, source, features), through the channel, on both backends.</summary>
public sealed class PredictionLoggingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    private static readonly FlatModelInput Input = FlatModelInput.From(
        [new ColumnSchema { Name = "visits", Kind = ColumnKind.Numeric }, new ColumnSchema { Name = "source", Kind = ColumnKind.Categorical }],
        ImportMapping.Default with { Missing = ["", "unknown"] });

    private static TrainingResult Train(int seed)
    {
        var rng = new Random(seed);
        var f = new FeatureFrame([
            new FeatureInfo("visits", FeatureKind.Numeric, "web visits"),
            new FeatureInfo("source", FeatureKind.Categorical, "lead source") { IsSegment = true },
        ]);
        string[] sources = ["web", "event", "referral"];
        for (var i = 0; i < 600; i++)
        {
            var visits = rng.Next(0, 20);
            var src = sources[rng.Next(3)];
            var y = rng.NextDouble() < 1 / (1 + Math.Exp(-(visits - 10) / 3.0 - (src == "event" ? 1 : 0)));
            f.Add($"L{i}", [FeatureValue.Of(visits), FeatureValue.Of(src)], y);
        }
        return new ModelingContext().Train(f, new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 0 });
    }

    private static async Task<(IServiceProvider Services, string Champion)> SetUpAsync(ILeadStore store, ManualTime time, Dictionary<string, string?>? settings = null)
    {
        var services = AppServices.For(store, time: time, settings: settings);
        var registry = services.Get<ModelRegistry>();
        var v = await registry.RegisterAsync(Train(5), m => ModelArtifact.ServingEntries(m, definitions: null, flat: Input));
        await services.Get<IScoringService>().ReloadAsync();
        return (services, services.Get<IScoringService>().ChampionVersion!);
    }

    private static Lead NewLead(string id, int visits, string source) => new()
    {
        Id = id, CreatedAt = T0.AddDays(-3),
        Attributes = new Dictionary<string, string?> { ["visits"] = visits.ToString(CultureInfo.InvariantCulture), ["source"] = source },
    };

    private static async Task<List<LoggedPrediction>> LoggedAsync(ILeadStore store)
    {
        var all = new List<LoggedPrediction>();
        await foreach (var p in store.StreamPredictionsAsync(T0.AddYears(-1), T0.AddYears(1))) all.Add(p);
        return all;
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Online_scores_are_logged_with_time_slot_version_source_and_the_feature_row(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var (services, champion) = await SetUpAsync(store, time);
        var scoring = services.Get<IScoringService>();

        var named = scoring.Score(NewLead("crm-17", 12, "event"), [], explain: true, T0);
        time.Advance(TimeSpan.FromMinutes(1));
        var anonymous = scoring.Score(NewLead(ScoringService.AnonymousLeadId, 3, "newsletter"), [], explain: false, T0);
        await services.Get<PredictionLogger>().FlushAsync();

        var logged = await LoggedAsync(store);
        logged.Count.ShouldBe(2);
        logged[0].ShouldBe(new LoggedPrediction
        {
            PredictedAt = T0, LeadId = "crm-17", ModelVersion = champion, Slot = PredictionSlots.Champion, Probability = named.Probability, Grade = named.Grade,
            Source = PredictionSources.Api, HorizonDays = scoring.Champion!.HorizonDays, Features = logged[0].Features,
        });
        logged[1].LeadId.ShouldBeNull("a lead scored without an id is logged without one");
        logged[1].PredictedAt.ShouldBe(T0.AddMinutes(1));
        logged[1].Probability.ShouldBe(anonymous.Probability);
        // The row in the model's feature order: visits as a number, source as its code (an unseen source as "other").
        var codec = new FeatureRowCodec(scoring.Champion!.Engine.Encoder);
        var values = new float[2];
        codec.TryDecode(logged[0].Features, values).ShouldBeTrue();
        values[0].ShouldBe(12f);
        codec.Category(1, values[1]).ShouldBe("event");
        codec.TryDecode(logged[1].Features, values).ShouldBeTrue();
        codec.Category(1, values[1]).ShouldBe(FeatureRowCodec.OtherLabel);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Stored_lead_rescoring_logs_the_champion_and_every_loaded_slot(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var (services, champion) = await SetUpAsync(store, time);
        var challenger = await services.Get<ModelRegistry>().RegisterAsync(Train(9), m => ModelArtifact.ServingEntries(m, definitions: null, flat: Input));
        // Registering may make the new version champion (the champion rule); the test wants it as the challenger.
        await store.SetAliasAsync(ModelAliases.Champion, champion);
        await store.SetAliasAsync(ServingModels.ChallengerAlias, challenger.Version);
        var scoring = services.Get<IScoringService>();
        await scoring.ReloadAsync();
        scoring.ChampionVersion.ShouldBe(champion);
        await store.UpsertLeadsAsync([NewLead("a1", 15, "event"), NewLead("a2", 2, "web"), NewLead("a3", 8, "referral")]);

        await scoring.RescoreAsync(["a1", "a2"], ScoreCause.NewData);
        time.Advance(TimeSpan.FromHours(1));
        var n = await scoring.RescoreAllAsync(ScoreCause.TimePassing);
        time.Advance(TimeSpan.FromHours(1));
        scoring.Score(NewLead("x", 5, "web"), [], explain: false, time.GetUtcNow());
        await services.Get<PredictionLogger>().FlushAsync();

        n.ShouldBe(3);
        var logged = await LoggedAsync(store);
        var champ = logged.Where(p => p.Slot == PredictionSlots.Champion).ToList();
        champ.Select(p => (p.LeadId, p.Source, p.ModelVersion)).ShouldBe([
            ("a1", PredictionSources.Rescore, champion), ("a2", PredictionSources.Rescore, champion),
            ("a1", PredictionSources.Rescore, champion), ("a2", PredictionSources.Rescore, champion), ("a3", PredictionSources.Rescore, champion),
            ("x", PredictionSources.Api, champion)]);
        logged.Where(p => p.Slot == PredictionSlots.Challenger).Select(p => (p.LeadId, p.ModelVersion)).ShouldBe(
            champ.Select(p => (p.LeadId, challenger.Version)), "the challenger is scored and logged beside the champion on every path");
        var stored = (await store.GetLatestScoreAsync("a3")).ShouldNotBeNull();
        champ.Single(p => p.LeadId == "a3").Probability.ShouldBe(stored.Probability);
        logged.All(p => p.Features is { Length: 8 }).ShouldBeTrue();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_full_channel_drops_and_counts_instead_of_blocking_and_bulk_paths_write_to_make_room(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var (services, _) = await SetUpAsync(store, time, new() { ["LeadScore:Monitoring:ChannelCapacity"] = "3", ["LeadScore:Monitoring:WriteBatchSize"] = "2" });
        var scoring = services.Get<IScoringService>();
        var log = services.Get<PredictionLogger>();

        // Nothing drains (no background writer here): three fit, the other four are dropped, and the requests still get their scores.
        for (var i = 0; i < 7; i++) scoring.Score(NewLead($"r{i}", i, "web"), [], explain: false, T0).Probability.ShouldBeInRange(0, 1);
        log.Dropped.ShouldBe(4);
        log.Pending.ShouldBe(3);

        // A bulk path never drops: it writes batches itself when the channel is full.
        await store.UpsertLeadsAsync(Enumerable.Range(0, 10).Select(i => NewLead($"s{i:D2}", i, "event")).ToList());
        await scoring.RescoreAllAsync(ScoreCause.Manual);
        log.Dropped.ShouldBe(4);
        await log.FlushAsync();

        log.Pending.ShouldBe(0);
        log.Written.ShouldBe(13);
        (await store.CountPredictionsAsync()).ShouldBe(13);
        (await LoggedAsync(store)).Where(p => p.Source == PredictionSources.Api).Select(p => p.LeadId).ShouldBe(["r0", "r1", "r2"]);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Feature_values_are_kept_for_the_configured_share_of_predictions_and_logging_can_be_turned_off(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var (services, _) = await SetUpAsync(store, time, new() { ["LeadScore:Monitoring:FeatureSampleRate"] = "0.25" });
        var scoring = services.Get<IScoringService>();
        for (var i = 0; i < 40; i++) scoring.Score(NewLead($"r{i}", i % 20, "web"), [], explain: false, T0);
        await services.Get<PredictionLogger>().FlushAsync();
        var logged = await LoggedAsync(store);
        logged.Count.ShouldBe(40);
        logged.Count(p => p.Features is not null).ShouldBe(10);

        var (off, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _o = off;
        var (offServices, _) = await SetUpAsync(off, time, new() { ["LeadScore:Monitoring:PredictionLog"] = "false" });
        offServices.Get<IScoringService>().Score(NewLead("r", 1, "web"), [], explain: false, T0);
        await offServices.Get<PredictionLogger>().FlushAsync();
        (await off.CountPredictionsAsync()).ShouldBe(0);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Online_feature_rows_are_capped_per_second_by_the_previous_seconds_volume_with_their_weight_and_bulk_paths_are_not(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var (services, _) = await SetUpAsync(store, time, new() { ["LeadScore:Monitoring:FeatureRowsPerSecond"] = "20" });
        var scoring = services.Get<IScoringService>();
        void Second(int second, int requests)
        {
            for (var i = 0; i < requests; i++)
            {
                time.Set(T0.AddSeconds(second).AddMilliseconds(i));
                scoring.Score(NewLead($"s{second}-{i:D3}", i % 20, "web"), [], explain: false, time.GetUtcNow());
            }
        }
        Second(0, 100); // nothing before it: all kept
        Second(1, 100); // 100 the second before: 20 / 100 of them, each standing for 5
        Second(2, 10);  // still 20 / 100 (the budget follows the previous second)
        Second(4, 10);  // a quiet second before it: all kept again
        await store.UpsertLeadsAsync(Enumerable.Range(0, 150).Select(i => NewLead($"b{i:D3}", i % 20, "event")).ToList());
        await scoring.RescoreAllAsync(ScoreCause.Manual); // a bulk path, at second 4 too: never capped
        await services.Get<PredictionLogger>().FlushAsync();

        var logged = await LoggedAsync(store);
        logged.Count.ShouldBe(370, "every probability is logged");
        List<LoggedPrediction> In(int second) => [.. logged.Where(p => p.Source == PredictionSources.Api && p.PredictedAt >= T0.AddSeconds(second) && p.PredictedAt < T0.AddSeconds(second + 1))];
        In(0).ShouldAllBe(p => p.Features != null && p.FeatureWeight == null);
        var thinned = In(1).Where(p => p.Features != null).ToList();
        thinned.Count.ShouldBeInRange(10, 30); // Binomial(100, 0.2), drawn by a hash of the sequence number
        thinned.ShouldAllBe(p => p.FeatureWeight == 5);
        In(1).Where(p => p.Features == null).ShouldAllBe(p => p.FeatureWeight == null);
        In(2).Count(p => p.Features != null).ShouldBeLessThan(10);
        In(2).Where(p => p.Features != null).ShouldAllBe(p => p.FeatureWeight == 5);
        In(4).ShouldAllBe(p => p.Features != null && p.FeatureWeight == null);
        var bulk = logged.Where(p => p.Source == PredictionSources.Rescore).ToList();
        bulk.Count.ShouldBe(150);
        bulk.ShouldAllBe(p => p.Features != null && p.FeatureWeight == null);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_feature_sample_rate_below_one_records_its_weight_and_the_budget_combines_with_it(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var (services, _) = await SetUpAsync(store, time, new()
        {
            ["LeadScore:Monitoring:FeatureSampleRate"] = "0.5", ["LeadScore:Monitoring:FeatureRowsPerSecond"] = "10",
        });
        var scoring = services.Get<IScoringService>();
        for (var second = 0; second < 2; second++)
            for (var i = 0; i < 80; i++)
            {
                time.Set(T0.AddSeconds(second).AddMilliseconds(i));
                scoring.Score(NewLead($"s{second}-{i:D3}", i % 20, "web"), [], explain: false, time.GetUtcNow());
            }
        await services.Get<PredictionLogger>().FlushAsync();

        var logged = await LoggedAsync(store);
        logged.Count.ShouldBe(160);
        var first = logged.Where(p => p.PredictedAt < T0.AddSeconds(1) && p.Features != null).ToList();
        first.Count.ShouldBe(40); // every other one
        first.ShouldAllBe(p => p.FeatureWeight == 2);
        // 40 kept by the rate the second before, over a budget of 10: a quarter of the rate's rows, each standing for 2 x 4.
        var second2 = logged.Where(p => p.PredictedAt >= T0.AddSeconds(1) && p.Features != null).ToList();
        second2.Count.ShouldBeInRange(3, 20);
        second2.ShouldAllBe(p => p.FeatureWeight == 8);
    }
}
