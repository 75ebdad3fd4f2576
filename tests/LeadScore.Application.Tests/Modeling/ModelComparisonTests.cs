using LeadScore.Application.Modeling;
using LeadScore.Application.Tests.Lifecycle;
using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Modeling;

/// <summary>
/// <c>models compare</c> (issue 17): two versions re-evaluated on the same rows, the most recent matured hold-out neither
/// trained on, with DeLong's test of the AUC difference, instead of two cards' figures from different test sets.
/// </summary>
public sealed class ModelComparisonTests
{
    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Two_versions_trained_months_apart_are_judged_on_the_rows_after_both_trained(string backend)
    {
        // Given a poor model trained at day 150 and a good one at day 260 on the data of then.
        await using var w = await LoopWorld.CreateAsync(backend, leads: 2500, days: 260);
        await w.AtDayAsync(150);
        var v1 = await w.TrainPoorByHandAsync();
        await w.AtDayAsync(260);
        var v2 = await w.TrainByHandAsync(new LogisticOptions());
        v1.Registration.Version.ShouldBe("v1");
        v2.Registration.Version.ShouldBe("v2");
        v1.Card.TestIdsHash.ShouldNotBe(v2.Card.TestIdsHash, "their own test sets differ, so their cards' AUCs do not compare");

        // When they are compared now.
        var comparison = w.Services.Get<ModelComparison>();
        var c = await comparison.CompareAsync("v1", "v2");

        // Then the rows are v2's own held-out rows (the later test set; v1's data ended long before), so v2's figure there
        // is its card's, and v1 is judged on the very same rows.
        c.From.ShouldBeGreaterThanOrEqualTo(v2.Card.TestFrom!.Value);
        c.From.ShouldBeGreaterThan(v1.Card.DataTo!.Value, "v1 never saw these rows");
        c.Rows.ShouldBe(v2.Card.RowsTest);
        c.Positives.ShouldBe(v2.Card.PositivesTest);
        c.B.Auc.ShouldBe(v2.Card.Metrics.Auc, 1e-9);
        c.B.LogLoss.ShouldBe(v2.Card.Metrics.LogLoss, 1e-9);
        c.B.CardAuc.ShouldBe(v2.Card.Metrics.Auc);
        c.A.CardAuc.ShouldBe(v1.Card.Metrics.Auc);
        c.CardsShareTestSet.ShouldBeFalse();
        c.HorizonDays.ShouldBe(30);
        c.Rule.ShouldContain("v2 trained on rows before");
        // B - A, as DeLong measured it on these rows.
        c.Test.AucA.ShouldBe(c.B.Auc, 1e-12);
        c.Test.AucB.ShouldBe(c.A.Auc, 1e-12);
        c.Test.Difference.ShouldBe(c.B.Auc - c.A.Auc, 1e-12);
        c.Test.Difference.ShouldBeGreaterThan(0, "the one tiny tree without the strongest features ranks worse");
        c.Test.StandardError.ShouldBeGreaterThan(0);
        c.Test.PValueTwoSided.ShouldBeInRange(0, 1);
        c.A.Ece.ShouldBeInRange(0, 1);
        c.A.PrAuc.ShouldBeInRange(0, 1);

        // Swapping the two swaps the sign and nothing else.
        var swapped = await comparison.CompareAsync("v2", "v1");
        swapped.Rows.ShouldBe(c.Rows);
        swapped.Test.Difference.ShouldBe(-c.Test.Difference, 1e-12);
        swapped.Test.PValueTwoSided.ShouldBe(c.Test.PValueTwoSided, 1e-12);

        // A version against itself is refused, naming both.
        (await Should.ThrowAsync<LeadScoreException>(() => comparison.CompareAsync("v2", "champion"))).Message.ShouldContain("are the same version (v2)");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Versions_trained_on_the_same_data_are_judged_on_their_shared_test_set(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 1500, days: 200);
        await w.AtDayAsync(200);
        var v1 = await w.TrainByHandAsync(new LogisticOptions());
        var v2 = await w.TrainPoorByHandAsync();
        v1.Card.TestIdsHash.ShouldBe(v2.Card.TestIdsHash);

        var c = await w.Services.Get<ModelComparison>().CompareAsync("v1", "v2");

        c.CardsShareTestSet.ShouldBeTrue();
        c.Rows.ShouldBe(v1.Card.RowsTest);
        c.A.Auc.ShouldBe(v1.Card.Metrics.Auc, 1e-9, "on its own test set a version's figure is its card's");
        c.B.Auc.ShouldBe(v2.Card.Metrics.Auc, 1e-9);
        c.Test.Difference.ShouldBe(v2.Card.Metrics.Auc - v1.Card.Metrics.Auc, 1e-9);
        c.Notes.ShouldBeEmpty();
    }
}
