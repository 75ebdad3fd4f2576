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
/// addresses, and free-mail leads convert less, so a model grades them A/B far less often): a champion trained with group-aware
/// grade thresholds for country grades US leads A/B more often; a policy candidate trained after mitigation was turned off undoes
/// that on the same hold-out (US is the largest group there, each lead counted once): its A/B ratio falls below 0.8 where the
/// champion's was not, and its equalized-odds gap widens by more than the margin, so the gate keeps it out. The reason names
/// the crossing first (the widening alone is tested on fixed tables in the engine's tests).
/// </summary>
public sealed class FairnessGateTests
{
    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_candidate_that_undoes_the_champions_mitigation_widens_a_gap_beyond_the_margin_and_stays_a_candidate(string backend)
    {
        await using var w = await LoopWorld.CreateAsync(backend, leads: 3000, days: 200, groupEffect: SyntheticGenerator.GroupEffectCountry);
        await w.AtDayAsync(150);
        var settings = w.Services.Get<FairnessService>();
        await settings.SetAsync(new FairnessSettings { Sensitive = ["country"], MinGroupSize = 30, Mitigate = "country" });
        (await w.TrainByHandAsync(new LogisticOptions())).Registration.Version.ShouldBe("v1");
        await settings.SetAsync(new FairnessSettings { Sensitive = ["country"], MinGroupSize = 30 });

        await w.PolicyAsync(("gate", "auc >= champion - 0.5; fairness_regression <= 0.05"), ("challenger.mode", "none"), ("training.algorithm", "logistic"),
            ("training.time_budget_seconds", "0"));
        var job = await w.ScheduleAndRunAsync();

        job!.Status.ShouldBe(JobStatus.Succeeded, job.Message);
        (await w.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1", await w.DescribeAsync());
        var gate = (await w.HistoryAsync()).Single(e => e.Kind == LifecycleEventKinds.Gate);
        gate.Version.ShouldBe("v2");
        var evaluationFirst = (await w.Services.Get<LifecycleHistory>().GetEvaluationAsync(gate.EvaluationId!))!;
        gate.Reason.ShouldStartWith("failed: fairness_regression <= 0.05: country = US: A/B ratio ", Case.Sensitive, evaluationFirst.FiguresJson);
        gate.Reason.ShouldContain("is below 0.8 where the champion's was ");
        var evaluation = (await w.Services.Get<LifecycleHistory>().GetEvaluationAsync(gate.EvaluationId!))!;
        var rules = JsonDocument.Parse(evaluation.RulesJson).RootElement;
        rules[0].GetProperty("passed").GetBoolean().ShouldBeTrue("the AUC rule passes");
        rules[1].GetProperty("rule").GetString().ShouldBe("fairness_regression <= 0.05");
        rules[1].GetProperty("passed").GetBoolean().ShouldBeFalse();
        var fairness = JsonDocument.Parse(evaluation.FiguresJson).RootElement.GetProperty("fairness");
        fairness.GetProperty("ratio_threshold").GetDouble().ShouldBe(0.8);
        var us = fairness.GetProperty("attributes")[0].GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("group").GetString() == "US");
        us.GetProperty("candidate_ab_ratio").GetDouble().ShouldBeLessThan(us.GetProperty("champion_ab_ratio").GetDouble());
        fairness.GetProperty("widening").GetDouble().ShouldBeGreaterThan(0.05);
        fairness.GetProperty("widest").GetString()!.ShouldStartWith("country = US: ");
        fairness.GetProperty("crossings")[0].GetString()!.ShouldStartWith("country = US: A/B ratio ");
        // The same rule with a margin wider than the widening would have let the AUC decide.
        rules[1].GetProperty("candidate").GetDouble().ShouldBe(fairness.GetProperty("widening").GetDouble(), 1e-12);
    }
}
