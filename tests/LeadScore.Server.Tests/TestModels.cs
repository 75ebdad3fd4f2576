using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;
using LeadScore.Application.Modeling;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Server.Tests;

/// <summary>
/// Real models for API tests: a seeded model trained on a small flat table (visits, source), compiled
/// and registered the way the registry stores servable models, then loaded by the real scoring service.
/// </summary>
public static class TestModels
{
    public static FeatureFrame Frame(int seed = 5, int rows = 1200)
    {
        var rng = new Random(seed);
        var f = new FeatureFrame([
            new FeatureInfo("visits", FeatureKind.Numeric, "web visits") { Phrase = "Visited the site {value} times" },
            new FeatureInfo("source", FeatureKind.Categorical, "lead source") { IsSegment = true },
        ]);
        string[] sources = ["web", "event", "referral"];
        for (var i = 0; i < rows; i++)
        {
            var visits = rng.Next(0, 20);
            var src = sources[rng.Next(3)];
            var y = rng.NextDouble() < 1 / (1 + Math.Exp(-(visits - 10) / 2.0 - (src == "event" ? 1.5 : 0)));
            f.Add($"L{i}", [FeatureValue.Of(visits), FeatureValue.Of(src)], y);
        }
        return f;
    }

    private static readonly ColumnSchema[] Schema =
    [
        new() { Name = "visits", Kind = ColumnKind.Numeric },
        new() { Name = "source", Kind = ColumnKind.Categorical },
    ];

    /// <summary>Trains (seeded, a few small trees), registers as the next version through the real registry and artifact writer, and returns it.</summary>
    public static async Task<RegistrationResult> TrainAndRegisterAsync(ILeadStore store, int seed = 5, int trees = 20)
    {
        var result = new ModelingContext().Train(Frame(seed), new TrainingOptions
        {
            Trainer = new LightGbmOptions { NumberOfTrees = trees, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 20 },
            ImportanceRows = 0,
            Seed = seed,
        });
        var input = FlatModelInput.From(Schema, ImportMapping.Default with { Missing = ["", "unknown"] });
        return await new ModelRegistry(store).RegisterAsync(result, m => ModelArtifact.ServingEntries(m, definitions: null, flat: input));
    }

    /// <summary>Registers a champion on the store (for a server started on it next).</summary>
    public static Task SeedChampionAsync(ILeadStore store) => TrainAndRegisterAsync(store);
}
