using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Application.Modeling;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests;

/// <summary>The registry and the champion rule, on SQLite and PostgreSQL.</summary>
public sealed class ModelRegistryTests
{
    private static TrainingResult Train(TrainerOptions trainer, IReadOnlyList<ExcludedFeature>? excluded = null) =>
        new ModelingContext().Train(SmallModels.VisitsAndSource(rows: 1200), new TrainingOptions { Trainer = trainer, ImportanceRows = 0, ExcludedFeatures = excluded ?? [] });

    private static readonly TrainerOptions Good = new LogisticOptions();
    // One tiny tree: ranks leads far more coarsely than the logistic model, so its AUC is lower on the same rows.
    private static readonly TrainerOptions Poor = new FastForestOptions { NumberOfTrees = 1, NumberOfLeaves = 2, MinimumExampleCountPerLeaf = 200 };

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task First_model_becomes_champion_and_a_worse_one_stays_a_candidate(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var registry = AppServices.For(store).Get<ModelRegistry>();

        var first = await registry.RegisterAsync(Train(Good));
        first.ShouldBe(first with { Version = "v1", Promoted = true });
        first.Decision.ShouldContain("no champion");

        var poor = Train(Poor);
        var second = await registry.RegisterAsync(poor);
        second.Version.ShouldBe("v2");
        second.Promoted.ShouldBeFalse();
        second.ChampionAuc!.Value.ShouldBeGreaterThan(second.NewAuc);
        (await store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1");

        var third = await registry.RegisterAsync(Train(Good));
        third.Promoted.ShouldBeTrue("as good as the champion on the same rows");
        (await store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v3");

        var list = await registry.ListAsync();
        list.Select(m => m.Version).ShouldBe(["v3", "v2", "v1"]);
        list[0].Aliases.ShouldContain(ModelAliases.Champion);
        list[1].Auc!.Value.ShouldBe(poor.Metrics.Auc, 1e-9);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Promote_and_rollback_move_the_champion_and_show_reads_the_card(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var registry = AppServices.For(store).Get<ModelRegistry>();
        await registry.RegisterAsync(Train(Good));
        await registry.RegisterAsync(Train(Poor));

        (await registry.PromoteAsync("2")).ShouldBe("v2");
        (await registry.ShowAsync("champion")).Card.Algorithm.ShouldBe("fastforest");
        (await registry.RollbackAsync()).ShouldBe(("v2", "v1"));
        (await registry.ShowAsync("champion")).Card.Version.ShouldBe("v1");

        await registry.PromoteAsync("v2", "challenger");
        (await store.GetAliasAsync("challenger")).ShouldBe("v2");
        var loaded = await registry.LoadAsync("challenger");
        loaded.Card.Version.ShouldBe("v2");
        loaded.Predict(SmallModels.VisitsAndSource(9, rows: 1200)).Length.ShouldBe(1200);

        await Should.ThrowAsync<NotFoundException>(() => registry.PromoteAsync("v9"));
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_model_that_cannot_be_compared_on_the_same_rows_stays_a_candidate(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var registry = AppServices.For(store).Get<ModelRegistry>();
        await registry.RegisterAsync(Train(Good));

        var r = await registry.RegisterAsync(Train(Good, [new ExcludedFeature("visits", "test")]));
        r.Promoted.ShouldBeFalse();
        r.Decision.ShouldContain("visits");
        await Should.ThrowAsync<LeadScoreException>(() => registry.RollbackAsync());
    }
}
