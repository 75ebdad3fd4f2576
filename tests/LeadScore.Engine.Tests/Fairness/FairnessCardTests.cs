using System.Text.Json.Nodes;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Fairness;

/// <summary>The model card's optional fairness section: written, read back, and absent from older cards.</summary>
public sealed class FairnessCardTests
{
    private static ModelCard Card()
    {
        // A small trained model's card, so every required field is the real thing.
        var rng = new Random(3);
        var f = new FeatureFrame([new FeatureInfo("visits", FeatureKind.Numeric, "web visits"), new FeatureInfo("country", FeatureKind.Categorical, "country")]);
        for (var i = 0; i < 600; i++)
        {
            var visits = rng.Next(0, 20);
            f.Add($"L{i}", [FeatureValue.Of(visits), FeatureValue.Of(i % 3 == 0 ? "US" : "DE")], rng.NextDouble() < visits / 20.0);
        }
        var result = new ModelingContext().Train(f, new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 0 });
        var groups = result.Test.Rows.Select(r => r[1].Category!).ToArray();
        var report = FairnessAnalyzer.Analyze(result.TestProbabilities, result.Model.Grades, result.Test.Labels.Select(l => (bool?)l).ToArray(),
            [new GroupColumn("country", FairnessRole.Sensitive, groups)], features: result.Test);
        return result.Model.Card with { Fairness = report };
    }

    [Fact]
    public void A_card_with_a_fairness_section_round_trips()
    {
        var card = Card();
        var json = card.ToJson();
        json.ShouldContain("\"fairness\": {");
        json.ShouldContain("\"role\": \"sensitive\"");
        var back = ModelCard.FromJson(json);
        back.ToJson().ShouldBe(json);
        var country = back.Fairness.ShouldNotBeNull().Attributes.Single();
        country.Groups.Select(g => g.Group).ShouldBe(["DE", "US"]);
        back.Fairness.DirectUse.ShouldBe(["country"]);
    }

    [Fact]
    public void A_card_written_before_fairness_still_loads_without_the_section()
    {
        var node = JsonNode.Parse(Card().ToJson())!.AsObject();
        node.Remove("fairness");
        var old = ModelCard.FromJson(node.ToJsonString());
        old.Fairness.ShouldBeNull();
        old.ToJson().ShouldContain("\"fairness\": null");
    }
}
