using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Application.Modeling;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests;

/// <summary>Training rows use the attribute values known at the decision time, not a value overwritten later.</summary>
public sealed class PointInTimeAttributeTests
{
    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_field_overwritten_after_the_decision_time_does_not_reach_the_training_row(string backend)
    {
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var created = DateTimeOffset.UtcNow.AddDays(-60);
        Lead L(string id, string tier) => new()
        {
            Id = id, CreatedAt = created,
            Attributes = new Dictionary<string, string?> { ["tier"] = tier },
        };
        // Given: both leads imported as "bronze"; they convert/lose 30 days in; then the CRM overwrites L1's tier.
        await store.UpsertLeadsAsync([L("L1", "bronze"), L("L2", "bronze")]);
        await store.InsertOutcomesAsync([
            new Outcome { LeadId = "L1", Kind = OutcomeKind.Converted, At = created.AddDays(30) },
            new Outcome { LeadId = "L2", Kind = OutcomeKind.Lost, At = created.AddDays(30) },
        ]);
        await store.UpsertLeadsAsync([L("L1", "gold")]);

        var defs = new FeatureDefinitions { LeadAge = false, Attributes = [new AttributeFeature { Column = "tier", Kind = AttributeKind.Categorical, Values = ["bronze", "gold"] }] };
        var set = await AppServices.For(store, ws).Get<TrainingService>().BuildTrainingSetAsync(defs, TimeSpan.FromDays(14));

        // Then: L1's row (as of day 14) holds the value known then, though the record now says "gold".
        var i = set.Frame.Ids.IndexOf("L1");
        set.Frame.Rows[i][set.Frame.IndexOf("tier")].Category.ShouldBe("bronze");
        (await store.GetLeadAsync("L1"))!.Get("tier").ShouldBe("gold");
    }
}
