using LeadScore.Application.Fairness;
using LeadScore.Application.Modeling;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests;

/// <summary>Fairness at training on generated data, with and without the generator's built-in group effect, on SQLite and PostgreSQL.</summary>
public sealed class FairnessTrainingTests
{
    private const int Leads = 4000;

    private static async Task<(ILeadStore Store, IServiceProvider Services)> SeedAsync(string backend, string? groupEffect, CancellationToken ct)
    {
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = Leads, Seed = 11, GroupEffect = groupEffect });
        await store.UpsertLeadsAsync(data.Leads, ct);
        await store.InsertActivitiesAsync(data.Activities, ct);
        await store.UpsertEnrichmentAsync(data.Enrichment, ct);
        await store.InsertOutcomesAsync(data.Outcomes, ct);
        return (store, AppServices.For(store, ws));
    }

    private static Task<TrainingRun> TrainAsync(IServiceProvider services, CancellationToken ct, IReadOnlyList<ExcludedFeature>? excluded = null) =>
        services.Get<TrainingService>().TrainWorkspaceAsync(new WorkspaceTrainingRequest
        {
            Options = new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 0, ExcludedFeatures = excluded ?? [] },
        }, null, ct);

    private static readonly FairnessSettings CountryAndSize = new() { Sensitive = ["country"], Watch = ["company_size"] };

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task With_the_group_effect_the_80_percent_flag_and_the_proxy_alert_fire(string backend)
    {
        var ct = TestContext.Current.CancellationToken;
        var (store, services) = await SeedAsync(backend, SyntheticGenerator.GroupEffectCountry, ct);
        await using var _ = store;
        await services.Get<FairnessService>().SetAsync(CountryAndSize, ct);

        var run = await TrainAsync(services, ct);

        var f = run.Card.Fairness.ShouldNotBeNull();
        f.AttributesFrom.ShouldBe("declared in settings");
        var country = f.Attributes.Single(a => a.Attribute == "country");
        var us = country.Groups.Single(g => g.Group == "US");
        us.Flagged.ShouldBeTrue($"US ratio {us.AbRatio}, p {us.AbPValue}");
        f.Flags.ShouldContain(s => s.StartsWith("country = US: ", StringComparison.Ordinal) && s.Contains("below the 80% rule", StringComparison.Ordinal));
        var proxy = f.Proxies.Single(p => p.Feature == "email_free_mail");
        proxy.Alert.ShouldBeTrue($"association {proxy.Value}");
        f.Flags.ShouldContain(s => s.StartsWith("email_free_mail may stand in for country", StringComparison.Ordinal));
        // The stored card carries the section too.
        var stored = ModelCard.FromJson((await store.GetModelAsync(run.Registration.Version, ct))!.CardJson);
        stored.Fairness.ShouldNotBeNull().Flags.ShouldBe(f.Flags);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Without_the_group_effect_neither_fires(string backend)
    {
        var ct = TestContext.Current.CancellationToken;
        var (store, services) = await SeedAsync(backend, null, ct);
        await using var _ = store;
        await services.Get<FairnessService>().SetAsync(CountryAndSize, ct);

        // Country left out of the model's features: here it is unrelated to conversion, but a model that takes it as a feature
        // fits a coefficient per country to the noise of a few hundred leads and then grades those countries apart for real
        // (seed 11: AU, 42 held-out leads, 0.45 of the best group's A/B share, p = 0.0002), which the check rightly reports.
        // Without it, the grades depend on country only by chance, and the check must stay quiet.
        var run = await TrainAsync(services, ct, [new ExcludedFeature(LeadFields.Country, "the sensitive attribute, unrelated to conversion here")]);

        var f = run.Card.Fairness.ShouldNotBeNull();
        var country = f.Attributes.Single(a => a.Attribute == "country");
        country.Groups.ShouldAllBe(g => !g.Flagged);
        country.Groups.Count(g => !g.TooFew).ShouldBeGreaterThan(1, "several countries are large enough to compare");
        f.Proxies.ShouldAllBe(p => !p.Alert);
        f.Flags.ShouldBeEmpty();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Mitigation_on_grades_with_group_bands_and_off_keeps_the_models_bands(string backend)
    {
        var ct = TestContext.Current.CancellationToken;
        var (store, services) = await SeedAsync(backend, SyntheticGenerator.GroupEffectCountry, ct);
        await using var _ = store;
        var fairness = services.Get<FairnessService>();
        await fairness.SetAsync(CountryAndSize, ct);
        var off = await TrainAsync(services, ct);
        await fairness.SetAsync(CountryAndSize with { Mitigate = "country" }, ct);
        var on = await TrainAsync(services, ct);

        // The card shows the effect either way; only the second model applies it.
        var effectOff = off.Card.Fairness!.Mitigation.Single(m => m.Attribute == "country");
        var effectOn = on.Card.Fairness!.Mitigation.Single(m => m.Attribute == "country");
        effectOff.Applied.ShouldBeFalse();
        effectOn.Applied.ShouldBeTrue();
        effectOn.LowestRatioAfter!.Value.ShouldBeGreaterThan(effectOn.LowestRatioBefore!.Value);
        effectOn.AbCut["US"].ShouldBeLessThan(effectOn.ModelAbCut, "the US group converts less, so its A/B cut comes down to match the overall share");

        var servedOff = ServableModel.Load(off.Registration.Version, (await store.GetModelArtifactAsync(off.Registration.Version, ct))!);
        var servedOn = ServableModel.Load(on.Registration.Version, (await store.GetModelArtifactAsync(on.Registration.Version, ct))!);
        servedOff.GroupGrades.ShouldBeNull();
        var groups = servedOn.GroupGrades.ShouldNotBeNull();
        groups.Attribute.ShouldBe("country");

        var changed = 0;
        var asOf = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await foreach (var lead in store.StreamLeadsAsync(ct))
        {
            var a = servedOff.Score(lead, [], [], asOf, explain: false);
            var b = servedOn.Score(lead, [], [], asOf, explain: false);
            // Same data, same seed: the same model, so the same score; only the grade read on it may differ.
            b.Score.ShouldBe(a.Score);
            a.Grade.ShouldBe(servedOff.Engine.Grades.GradeOfScore(a.Score));
            b.Grade.ShouldBe(groups.BandsFor(lead, servedOn.Engine.Grades).GradeOfScore(b.Score));
            if (a.Grade != b.Grade) changed++;
        }
        changed.ShouldBeGreaterThan(0);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Settings_are_suggested_from_the_schema_until_declared_and_contradictions_are_refused(string backend)
    {
        var ct = TestContext.Current.CancellationToken;
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var services = AppServices.For(store);
        await LeadScore.Application.Ingestion.LeadSchema.MergeAsync(store, [
            new ColumnSchema { Name = "country", Kind = ColumnKind.Categorical }, new ColumnSchema { Name = "Age Band", Kind = ColumnKind.Categorical },
            new ColumnSchema { Name = "company_size", Kind = ColumnKind.Categorical }, new ColumnSchema { Name = "email", Kind = ColumnKind.Text, IsPersonal = true },
            new ColumnSchema { Name = "source", Kind = ColumnKind.Categorical },
        ], DateTimeOffset.UnixEpoch, ct);
        var fairness = services.Get<FairnessService>();

        var suggested = await fairness.GetAsync(ct);
        suggested.Declared.ShouldBeFalse();
        suggested.Effective.Sensitive.ShouldBe(["Age Band", "country"]); // the schema is kept in name order
        suggested.Effective.Watch.ShouldBe(["company_size"]);
        suggested.Effective.Mitigate.ShouldBeNull();

        var declared = await fairness.SetAsync(new FairnessSettings { Sensitive = [" country "], MinGroupSize = 50 }, ct);
        declared.Declared.ShouldBeTrue();
        declared.Version.ShouldBe(1);
        declared.Effective.Sensitive.ShouldBe(["country"]);
        declared.Effective.Watch.ShouldBeEmpty();
        declared.Effective.MinGroupSize.ShouldBe(50);
        declared.Suggested.Sensitive.ShouldBe(["Age Band", "country"]);

        var both = await Should.ThrowAsync<LeadScoreException>(() => fairness.SetAsync(new FairnessSettings { Sensitive = ["country"], Watch = ["country"] }, ct));
        both.Message.ShouldContain("both sensitive and watched");
        var mitigateWatch = await Should.ThrowAsync<LeadScoreException>(() => fairness.SetAsync(new FairnessSettings { Watch = ["company_size"], Mitigate = "company_size" }, ct));
        mitigateWatch.Field.ShouldBe("mitigate");
        (await fairness.GetAsync(ct)).Version.ShouldBe(1, "a refused change saves nothing");
    }
}
