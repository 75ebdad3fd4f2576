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

/// <summary>
/// A simulated year of weekly API scoring on a manual clock, monitored over the prediction log: quiet without drift,
/// covariate drift flagged in the first full window after it, concept drift caught once cohorts mature.
/// </summary>
public sealed class MonitoringServiceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero); // a Monday
    private const int HorizonDays = 30;
    private static readonly string[] Sources = ["web", "event", "referral"];

    private static readonly FlatModelInput Input = FlatModelInput.From(
        [new ColumnSchema { Name = "visits", Kind = ColumnKind.Numeric }, new ColumnSchema { Name = "pricing", Kind = ColumnKind.Numeric },
         new ColumnSchema { Name = "source", Kind = ColumnKind.Categorical }],
        ImportMapping.Default);

    /// <summary>The world: source mix (covariate drift moves it to events) and the truth (concept drift removes pricing's effect).</summary>
    private static (double Visits, double Pricing, string Source, double P) Draw(Random r, bool covariate, bool concept)
    {
        var source = covariate ? (r.NextDouble() < 0.7 ? "event" : Sources[r.Next(3)]) : Sources[r.Next(3)];
        var visits = r.Next(0, 20);
        var pricing = r.Next(0, 6);
        var logit = -2.2 + 0.12 * (visits - 10) + (concept ? 0.45 * 2.5 : 0.45 * pricing) + (source == "event" ? 0.5 : 0);
        return (visits, pricing, source, 1 / (1 + Math.Exp(-logit)));
    }

    private static TrainingResult Train()
    {
        var r = new Random(11);
        var f = new FeatureFrame([
            new FeatureInfo("visits", FeatureKind.Numeric, "web visits"),
            new FeatureInfo("pricing", FeatureKind.Numeric, "pricing-page visits"),
            new FeatureInfo("source", FeatureKind.Categorical, "lead source"),
        ]) { Horizon = TimeSpan.FromDays(HorizonDays), AsOf = T0 };
        for (var i = 0; i < 6000; i++)
        {
            var (v, p, s, prob) = Draw(r, false, false);
            f.Add($"T{i}", [FeatureValue.Of(v), FeatureValue.Of(p), FeatureValue.Of(s)], r.NextDouble() < prob, T0.AddDays(-400 + i / 20.0));
        }
        return new ModelingContext().Train(f, new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 500 });
    }

    private static readonly Lazy<TrainingResult> Model = new(Train);

    /// <summary>Scores 52 weeks of leads through the API use case, recording each lead's outcome as the world decides it.</summary>
    private static async Task<(MonitoringService Monitoring, ManualTime Time, ILeadStore Store)> SimulateAsync(string backend, int? driftWeek, bool covariate, bool concept)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        var services = AppServices.For(store, time: time);
        var result = Model.Value;
        await services.Get<ModelRegistry>().RegisterAsync(result, m => ModelArtifact.ServingEntries(m, null, Input)
            .Concat(ModelArtifact.ReferenceEntries(result)).ToDictionary(kv => kv.Key, kv => kv.Value));
        var scoring = services.Get<IScoringService>();
        await scoring.ReloadAsync();
        var log = services.Get<PredictionLogger>();
        var r = new Random(21);
        var outcomes = new List<Outcome>();
        for (var week = 0; week < 52; week++)
        {
            var drifted = driftWeek is { } d && week >= d;
            for (var i = 0; i < 600; i++)
            {
                time.Set(T0.AddDays(7 * week).AddMinutes(i * 16.8));
                var (v, p, s, prob) = Draw(r, drifted && covariate, drifted && concept);
                var id = $"w{week:D2}-{i:D3}";
                scoring.Score(new Lead
                {
                    Id = id, CreatedAt = time.GetUtcNow(),
                    Attributes = new Dictionary<string, string?> { ["visits"] = v.ToString(CultureInfo.InvariantCulture), ["pricing"] = p.ToString(CultureInfo.InvariantCulture), ["source"] = s },
                }, [], explain: false, time.GetUtcNow());
                if (r.NextDouble() < prob) outcomes.Add(new Outcome { LeadId = id, Kind = OutcomeKind.Converted, At = time.GetUtcNow().AddDays(1 + r.Next(HorizonDays - 2)) });
            }
            await log.FlushAsync();
        }
        await store.InsertOutcomesAsync(outcomes);
        time.Set(T0.AddDays(7 * 52 + HorizonDays + 1));
        return (services.Get<MonitoringService>(), time, store);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Without_drift_a_year_of_weekly_windows_stays_quiet_and_CBPE_tracks_the_realized_AUC(string backend)
    {
        var (monitoring, _, store) = await SimulateAsync(backend, null, false, false);
        await using var _s = store;

        var result = await monitoring.RunAsync(new MonitoringRequest());

        result.HasReference.ShouldBeTrue(result.Message);
        result.Windows.Count.ShouldBe(52);
        var featureWindows = result.Windows.SelectMany(w => w.Drift!.Features).ToList();
        featureWindows.Count(f => f.Drifted).ShouldBeLessThanOrEqualTo((int)(0.05 * featureWindows.Count));
        result.Windows.ShouldAllBe(w => !w.Drift!.DatasetDrift);
        result.NewAlerts.ShouldBeEmpty();
        // CBPE estimates the AUC a cohort should reach; a 600-lead cohort's realized AUC scatters around it by about 0.02 (label noise).
        result.Windows.ShouldAllBe(w => w.CohortMatured);
        var gaps = result.Windows.Select(w => Math.Abs(w.Estimated!.Auc - w.Realized!.Auc)).ToList();
        gaps.Average().ShouldBeLessThan(0.03);
        gaps.Max().ShouldBeLessThan(0.06);
        // On four-week cohorts (2,400 leads, sampling error about 0.01) every matured cohort's estimate is within 0.03.
        var monthly = await monitoring.RunAsync(new MonitoringRequest { WindowDays = 28, RaiseAlerts = false });
        monthly.Windows.Count.ShouldBe(13);
        monthly.Windows.ShouldAllBe(w => w.CohortMatured);
        monthly.Windows.ShouldAllBe(w => Math.Abs(w.Estimated!.Auc - w.Realized!.Auc) < 0.03,
            string.Join(", ", monthly.Windows.Select(w => $"{w.Estimated!.Auc:F3}/{w.Realized!.Auc:F3}")));
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Covariate_drift_flags_the_shifted_feature_from_the_first_full_window_after_it_and_no_other(string backend)
    {
        var (monitoring, _, store) = await SimulateAsync(backend, 26, covariate: true, concept: false);
        await using var _s = store;

        var result = await monitoring.RunAsync(new MonitoringRequest());
        var again = await monitoring.RunAsync(new MonitoringRequest());

        var first = result.Windows.Single(w => w.Start == T0.AddDays(7 * 26));
        first.Drift!.Features.Where(f => f.Drifted).Select(f => f.Feature).ShouldBe(["source"], "the first full window after the drift flags the shifted feature only");
        result.Windows.Skip(26).ShouldAllBe(w => w.Drift!.Features.Single(f => f.Feature == "source").Drifted);
        result.Windows.Take(26).Count(w => w.Drift!.Features.Single(f => f.Feature == "source").Drifted).ShouldBeLessThanOrEqualTo(1);
        var others = result.Windows.SelectMany(w => w.Drift!.Features.Where(f => f.Feature != "source")).ToList();
        others.Count(f => f.Drifted).ShouldBeLessThanOrEqualTo((int)(0.05 * others.Count), "the features that did not move stay within the noise rate");
        first.Drift!.Features.Single(f => f.Feature == "source").Explanation.ShouldContain("event");
        // Dataset drift (and its alert) follows the share of the model's importance the drifted features carry.
        result.NewAlerts.Count(a => a.Kind == MonitoringService.DriftDetected).ShouldBe(result.Windows.Count(w => w.Drift!.DatasetDrift));
        result.Windows.Take(26).ShouldAllBe(w => !w.Drift!.DatasetDrift);
        again.NewAlerts.ShouldBeEmpty("one alert per kind, window and model");
        (await store.ListAlertsAsync(limit: 1000)).Count.ShouldBe(result.NewAlerts.Count);
        (await monitoring.RunAsync(new MonitoringRequest { Since = T0.AddDays(7 * 26), WindowDays = 14 })).Windows[0].Drift!.Features.Single(f => f.Feature == "source").Drifted.ShouldBeTrue();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Concept_drift_raises_performance_dropped_once_cohorts_mature_while_data_drift_stays_quiet(string backend)
    {
        var (monitoring, time, store) = await SimulateAsync(backend, 26, covariate: false, concept: true);
        await using var _s = store;

        // Before the first drifted cohort has matured, nothing can be said about its performance.
        time.Set(T0.AddDays(7 * 27 + 2));
        var early = await monitoring.RunAsync(new MonitoringRequest { RaiseAlerts = false });
        early.Windows.Where(w => w.Start >= T0.AddDays(7 * 26)).ShouldAllBe(w => w.Concept == null);
        time.Set(T0.AddDays(7 * 52 + HorizonDays + 1));
        var result = await monitoring.RunAsync(new MonitoringRequest());

        result.Windows.ShouldAllBe(w => !w.Drift!.DatasetDrift);
        var dropped = result.NewAlerts.Where(a => a.Kind == MonitoringService.PerformanceDropped).Select(a => a.WindowStart).ToList();
        dropped.ShouldNotBeEmpty();
        dropped.ShouldAllBe(s => s >= T0.AddDays(7 * 26));
        dropped.Count.ShouldBeGreaterThan(13, "most drifted cohorts fall short");
        result.NewAlerts.ShouldNotContain(a => a.Kind == MonitoringService.DriftDetected);
    }
}
