using System.Globalization;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Monitoring;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Monitoring;

/// <summary>
/// Drift over a log whose feature rows are capped per second (MonitoringOptions.FeatureRowsPerSecond) gives the verdicts of
/// the full log, even when the traffic's intensity goes with a feature: here events arrive in bursts (so their rows are
/// thinned hard) and the other sources one at a time. The rows' weights are what keeps it unbiased: the same sampled rows
/// read without their weights show a source drift that is not there.
/// </summary>
public sealed class SampledPredictionLogTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero); // a Monday
    private const int Weeks = 12, DriftWeek = 6, LeadsPerWeek = 3000, Burst = 50, Cap = 20;
    private static readonly string[] Sources = ["web", "event", "referral"];

    private static readonly FlatModelInput Input = FlatModelInput.From(
        [new ColumnSchema { Name = "visits", Kind = ColumnKind.Numeric }, new ColumnSchema { Name = "pricing", Kind = ColumnKind.Numeric },
         new ColumnSchema { Name = "source", Kind = ColumnKind.Categorical }],
        ImportMapping.Default);

    /// <summary>A lead of the world: sources evenly mixed, or 70% events after the covariate drift.</summary>
    private static (double Visits, double Pricing, string Source, double P) Draw(Random r, bool drifted)
    {
        var source = drifted ? (r.NextDouble() < 0.7 ? "event" : Sources[r.Next(3)]) : Sources[r.Next(3)];
        var visits = r.Next(0, 20);
        var pricing = r.Next(0, 6);
        var logit = -2.2 + 0.12 * (visits - 10) + 0.45 * pricing + (source == "event" ? 0.5 : 0);
        return (visits, pricing, source, 1 / (1 + Math.Exp(-logit)));
    }

    private static readonly Lazy<TrainingResult> Model = new(() =>
    {
        var r = new Random(11);
        var f = new FeatureFrame([
            new FeatureInfo("visits", FeatureKind.Numeric, "web visits"),
            new FeatureInfo("pricing", FeatureKind.Numeric, "pricing-page visits"),
            new FeatureInfo("source", FeatureKind.Categorical, "lead source"),
        ]) { Horizon = TimeSpan.FromDays(30), AsOf = T0 };
        for (var i = 0; i < 6000; i++)
        {
            var (v, p, s, prob) = Draw(r, false);
            f.Add($"T{i}", [FeatureValue.Of(v), FeatureValue.Of(p), FeatureValue.Of(s)], r.NextDouble() < prob, T0.AddDays(-400 + i / 20.0));
        }
        return new ModelingContext().Train(f, new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 500 });
    });

    private static async Task<(MonitoringService Monitoring, IServiceProvider Services)> ServeAsync(ILeadStore store, ManualTime time, Dictionary<string, string?> settings)
    {
        var services = AppServices.For(store, time: time, settings: settings);
        var result = Model.Value;
        await services.Get<ModelRegistry>().RegisterAsync(result, m => ModelArtifact.ServingEntries(m, null, Input)
            .Concat(ModelArtifact.ReferenceEntries(result)).ToDictionary(kv => kv.Key, kv => kv.Value));
        await services.Get<IScoringService>().ReloadAsync();
        return (services.Get<MonitoringService>(), services);
    }

    /// <summary>
    /// Scores the weeks through the API use case in time order: each week's events in bursts of <see cref="Burst"/> a
    /// second (up to 20 s each, an hour apart), the other leads one every 3.36 minutes. The same seed gives every log the same requests.
    /// </summary>
    private static async Task<MonitoringService> SimulateAsync(ILeadStore store, ManualTime time, int featureRowsPerSecond)
    {
        var (monitoring, services) = await ServeAsync(store, time, new() { ["LeadScore:Monitoring:FeatureRowsPerSecond"] = featureRowsPerSecond.ToString(CultureInfo.InvariantCulture) });
        var scoring = services.Get<IScoringService>();
        var log = services.Get<PredictionLogger>();
        var r = new Random(21);
        for (var week = 0; week < Weeks; week++)
        {
            var start = T0.AddDays(7 * week);
            var leads = new List<(DateTimeOffset At, string Id, double Visits, double Pricing, string Source)>();
            int events = 0, others = 0;
            for (var i = 0; i < LeadsPerWeek; i++)
            {
                var (v, p, s, _) = Draw(r, week >= DriftWeek);
                var at = s == "event"
                    ? start.AddDays(2).AddHours(events / 1000).AddSeconds(events % 1000 / Burst).AddMilliseconds(1000 / Burst * (events++ % Burst))
                    : start.AddMinutes(3.36 * others++);
                leads.Add((at, $"w{week:D2}-{i:D3}", v, p, s));
            }
            foreach (var (at, id, v, p, s) in leads.OrderBy(l => l.At))
            {
                time.Set(at);
                scoring.Score(new Lead
                {
                    Id = id, CreatedAt = at,
                    Attributes = new Dictionary<string, string?> { ["visits"] = v.ToString(CultureInfo.InvariantCulture), ["pricing"] = p.ToString(CultureInfo.InvariantCulture), ["source"] = s },
                }, [], explain: false, at);
            }
            await log.FlushAsync();
        }
        time.Set(T0.AddDays(7 * Weeks + 31));
        return monitoring;
    }

    private static string Flags(MonitoringWindow w) =>
        $"{w.Drift!.DriftedImportanceShare:F2} " + string.Join(", ", w.Drift!.Features.Select(f => $"{f.Feature} {f.Test} p={f.PValue:F3} {(f.Drifted ? "drifted" : "-")}")) + $" ({w.WithFeatures} rows)";

    private static bool SourceDrifted(MonitoringWindow w) => w.Drift!.Features.Single(f => f.Feature == "source").Drifted;

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_log_capped_per_second_gives_the_full_logs_drift_verdicts_and_its_weights_are_what_keeps_it_unbiased(string backend)
    {
        var time = new ManualTime(T0);
        var (full, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _f = full;
        var (capped, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _c = capped;
        var fullResult = await (await SimulateAsync(full, time, featureRowsPerSecond: 0)).RunAsync(new MonitoringRequest { RaiseAlerts = false });
        var cappedResult = await (await SimulateAsync(capped, time, featureRowsPerSecond: Cap)).RunAsync(new MonitoringRequest { RaiseAlerts = false });

        // The cap did thin the log: every probability is there, the feature rows are far fewer and stand for the rest.
        (await capped.CountPredictionsAsync()).ShouldBe(Weeks * LeadsPerWeek);
        var rows = new List<LoggedPrediction>();
        await foreach (var p in capped.StreamPredictionsAsync(T0, T0.AddDays(7 * Weeks))) rows.Add(p);
        var withFeatures = rows.Where(p => p.Features is not null).ToList();
        withFeatures.Count.ShouldBeLessThan(rows.Count * 85 / 100);
        withFeatures.ShouldContain(p => p.FeatureWeight == (double)Burst / Cap);
        withFeatures.Sum(p => p.FeatureWeight ?? 1).ShouldBeInRange(rows.Count * 0.95, rows.Count * 1.05, "the weights add up to the predictions they stand for");

        fullResult.Windows.Count.ShouldBe(Weeks);
        cappedResult.Windows.Count.ShouldBe(Weeks);
        cappedResult.Windows.ShouldAllBe(w => w.WithFeatures < w.Predictions);
        for (var i = 0; i < Weeks; i++)
        {
            var (a, b) = (fullResult.Windows[i], cappedResult.Windows[i]);
            SourceDrifted(a).ShouldBe(i >= DriftWeek, $"full log, week {i}");
            SourceDrifted(b).ShouldBe(i >= DriftWeek, $"capped log, week {i}");
            b.Drift!.DatasetDrift.ShouldBe(a.Drift!.DatasetDrift, $"dataset drift, week {i}: full {Flags(a)}, capped {Flags(b)}");
        }

        // The same sampled rows without their weights: the bursts' events are under-represented, and the source mix
        // "drifts" before anything moved. This is what the weighted sample corrects.
        var (stripped, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _u = stripped;
        var (monitoring, _) = await ServeAsync(stripped, time, []);
        await stripped.AppendPredictionsAsync([.. rows.Select(p => p with { FeatureWeight = null })]);
        var unweighted = await monitoring.RunAsync(new MonitoringRequest { RaiseAlerts = false });
        unweighted.Windows.Take(DriftWeek).Count(SourceDrifted).ShouldBeGreaterThanOrEqualTo(DriftWeek - 1);
    }
}
