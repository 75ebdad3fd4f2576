using LeadScore.Application.Modeling;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;

namespace LeadScore.Application.Tests;

/// <summary>
/// The small seeded model many application tests serve: a logistic regression on a flat table of web visits and lead
/// source, compiled for serving and registered the way the registry stores servable models (one place, so the tests that
/// re-score, route or log against it share one world).
/// </summary>
internal static class SmallModels
{
    /// <summary>How the flat model reads a lead's attributes: "visits" a number, "source" a category; "" and "unknown" missing.</summary>
    public static readonly FlatModelInput Input = FlatModelInput.From(
        [new ColumnSchema { Name = "visits", Kind = ColumnKind.Numeric }, new ColumnSchema { Name = "source", Kind = ColumnKind.Categorical }],
        ImportMapping.Default with { Missing = ["", "unknown"] });

    /// <summary>
    /// <paramref name="rows"/> leads with 0-19 visits and a source among web, event and referral (the source a segment):
    /// P(convert) = logistic((visits - 10) / 3 + <paramref name="eventEffect"/> for an event lead). Seeded.
    /// </summary>
    public static FeatureFrame VisitsAndSource(int seed = 5, int rows = 600, double eventEffect = 1)
    {
        var rng = new Random(seed);
        var f = new FeatureFrame([
            new FeatureInfo("visits", FeatureKind.Numeric, "web visits"),
            new FeatureInfo("source", FeatureKind.Categorical, "lead source") { IsSegment = true },
        ]);
        string[] sources = ["web", "event", "referral"];
        for (var i = 0; i < rows; i++)
        {
            var visits = rng.Next(0, 20);
            var src = sources[rng.Next(3)];
            var y = rng.NextDouble() < 1 / (1 + Math.Exp(-(visits - 10) / 3.0 - (src == "event" ? eventEffect : 0)));
            f.Add($"L{i}", [FeatureValue.Of(visits), FeatureValue.Of(src)], y);
        }
        return f;
    }

    /// <summary>The logistic regression trained on <see cref="VisitsAndSource"/> (600 rows).</summary>
    public static TrainingResult Logistic(int seed = 5, double eventEffect = 1) =>
        new ModelingContext().Train(VisitsAndSource(seed, eventEffect: eventEffect), new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 0 });

    /// <summary>Trains <see cref="Logistic"/> and registers it, servable on <see cref="Input"/>, as the next version.</summary>
    public static Task<RegistrationResult> RegisterAsync(ModelRegistry registry, int seed = 5, double eventEffect = 1, bool championRule = true) =>
        registry.RegisterAsync(Logistic(seed, eventEffect), m => ModelArtifact.ServingEntries(m, definitions: null, flat: Input), championRule: championRule);
}
