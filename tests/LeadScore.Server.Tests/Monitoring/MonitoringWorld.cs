using LeadScore.Application.Modeling;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;

namespace LeadScore.Server.Tests.Monitoring;

/// <summary>
/// A small monitored world: a logistic champion (visits, source; 30-day horizon) trained with its reference, and eight
/// weeks of its predictions written to the log with the store's bulk append, outcomes drawn from the same truth. From
/// week <see cref="DriftWeek"/> the leads change (more visits, mostly events): both inputs drift, so the dataset drifts.
/// </summary>
internal static class MonitoringWorld
{
    public static readonly DateTimeOffset T0 = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero); // a Monday
    public const int Weeks = 8, DriftWeek = 4, PerWeek = 400, HorizonDays = 30;
    /// <summary>When every cohort has matured.</summary>
    public static DateTimeOffset After => T0.AddDays(7 * Weeks + HorizonDays + 1);
    private static readonly string[] Sources = ["web", "event", "referral"];

    private static (double Visits, string Source, double P) Draw(Random r, bool drifted)
    {
        var source = drifted && r.NextDouble() < 0.7 ? "event" : Sources[r.Next(3)];
        var visits = r.Next(0, 20) + (drifted ? 6 : 0);
        var logit = -1.5 + 0.2 * (visits - 10) + (source == "event" ? 0.8 : 0);
        return (visits, source, 1 / (1 + Math.Exp(-logit)));
    }

    private static readonly Lazy<TrainingResult> Model = new(() =>
    {
        var r = new Random(3);
        var f = new FeatureFrame([
            new FeatureInfo("visits", FeatureKind.Numeric, "web visits"),
            new FeatureInfo("source", FeatureKind.Categorical, "lead source"),
        ]) { Horizon = TimeSpan.FromDays(HorizonDays), AsOf = T0 };
        for (var i = 0; i < 3000; i++)
        {
            var (v, s, p) = Draw(r, false);
            f.Add($"T{i}", [FeatureValue.Of(v), FeatureValue.Of(s)], r.NextDouble() < p, T0.AddDays(-300 + i / 10.0));
        }
        return new ModelingContext().Train(f, new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 500 });
    });

    private static readonly FlatModelInput Input = FlatModelInput.From(
        [new ColumnSchema { Name = "visits", Kind = ColumnKind.Numeric }, new ColumnSchema { Name = "source", Kind = ColumnKind.Categorical }], ImportMapping.Default);

    /// <summary>Registers the champion (v1) and logs its eight weeks; returns the version.</summary>
    public static async Task<string> SeedAsync(ILeadStore store, bool drift = true)
    {
        var result = Model.Value;
        var reg = await new ModelRegistry(store).RegisterAsync(result, m => ModelArtifact.ServingEntries(m, null, Input)
            .Concat(ModelArtifact.ReferenceEntries(result)).ToDictionary(kv => kv.Key, kv => kv.Value));
        var version = await store.GetAliasAsync(PredictionSlots.Champion) ?? throw new InvalidOperationException("no champion after registering");
        var model = ServableModel.Load(version, (await store.GetModelArtifactAsync(version))!);
        var codec = new FeatureRowCodec(model.Engine.Encoder);
        var r = new Random(17);
        var logged = new List<LoggedPrediction>();
        var outcomes = new List<Outcome>();
        var row = new FeatureValue[codec.Features.Count];
        for (var week = 0; week < Weeks; week++)
        {
            for (var i = 0; i < PerWeek; i++)
            {
                var at = T0.AddDays(7 * week).AddMinutes(i * 25);
                var (v, s, p) = Draw(r, drift && week >= DriftWeek);
                for (var j = 0; j < row.Length; j++) row[j] = codec.Features[j].Name == "visits" ? FeatureValue.Of(v) : FeatureValue.Of(s);
                var prob = model.Engine.Probability(row);
                var id = $"w{week}-{i:D3}";
                logged.Add(new LoggedPrediction
                {
                    PredictedAt = at, LeadId = id, ModelVersion = version, Slot = PredictionSlots.Champion, Probability = prob,
                    Grade = model.Engine.Grades.GradeOf(prob), HorizonDays = model.HorizonDays ?? HorizonDays, Source = PredictionSources.Api, Features = codec.Encode(row),
                });
                if (r.NextDouble() < p) outcomes.Add(new Outcome { LeadId = id, Kind = OutcomeKind.Converted, At = at.AddDays(1 + r.Next(HorizonDays - 2)) });
            }
        }
        await store.AppendPredictionsAsync(logged);
        await store.InsertOutcomesAsync(outcomes);
        return reg.Version;
    }
}
