using System.Text.Json;
using LeadScore.Application.Fairness;
using LeadScore.Application.Lifecycle;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Lifecycle;

/// <summary>
/// The gate's <c>fairness_regression</c> rule in the loop, on the generator's group effect (US leads sign up with free-mail
/// addresses, and free-mail leads convert less): a champion trained without the e-mail and enrichment features grades US
/// leads like the others; a policy candidate that uses them grades US leads A/B far less often, so the gate keeps it out.
/// </summary>
public sealed class FairnessGateTests
{
    /// <summary>The features through which free mail (and so the US group) shows.</summary>
    private static readonly IReadOnlyList<string> Proxies =
        ["email_free_mail", "email_matches_company", "company_employees", "company_size_band", "company_industry", "company_revenue_band",
         "intent_score", "intent_change", "enrichment_age_days", "technology_count"];

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_candidate_that_puts_a_group_below_the_80_percent_rule_where_the_champion_did_not_stays_a_candidate(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 3000, days: 200, groupEffect: SyntheticGenerator.GroupEffectCountry);
        await w.AtDayAsync(150);
        await w.Services.Get<FairnessService>().SetAsync(new FairnessSettings { Sensitive = ["country"], MinGroupSize = 30 });
        (await w.TrainByHandAsync(new LogisticOptions(), Proxies)).Registration.Version.ShouldBe("v1");

        await w.PolicyAsync(("gate", "auc >= champion - 0.5; fairness_regression <= 0.05"), ("challenger.mode", "none"), ("training.algorithm", "logistic"),
            ("training.time_budget_seconds", "0"));
        var job = await w.ScheduleAndRunAsync();

        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1", await w.DescribeAsync());
        var gate = (await w.HistoryAsync()).Single(e => e.Kind == LifecycleEventKinds.Gate);
        gate.Version.ShouldBe("v2");
        gate.Reason.ShouldStartWith("failed: fairness_regression <= 0.05: country = US: A/B ratio ");
        gate.Reason.ShouldContain("where the champion's was");
        var evaluation = (await w.Services.Get<LifecycleHistory>().GetEvaluationAsync(gate.EvaluationId!))!;
        var rules = JsonDocument.Parse(evaluation.RulesJson).RootElement;
        rules[0].GetProperty("passed").GetBoolean().ShouldBeTrue("the AUC rule passes");
        rules[1].GetProperty("rule").GetString().ShouldBe("fairness_regression <= 0.05");
        rules[1].GetProperty("passed").GetBoolean().ShouldBeFalse();
        var fairness = JsonDocument.Parse(evaluation.FiguresJson).RootElement.GetProperty("fairness");
        fairness.GetProperty("ratio_threshold").GetDouble().ShouldBe(0.8);
        var us = fairness.GetProperty("attributes")[0].GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("group").GetString() == "US");
        us.GetProperty("champion_ab_ratio").GetDouble().ShouldBeGreaterThanOrEqualTo(0.8);
        us.GetProperty("candidate_ab_ratio").GetDouble().ShouldBeLessThan(0.8);
        fairness.GetProperty("crossings").GetArrayLength().ShouldBeGreaterThan(0);
    }
}
