using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Storage;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>Seeds for the monitoring, lifecycle and governance pages: a lifecycle with a gate and a challenger, a champion whose card has a fairness section.</summary>
internal static class DashboardOperationsKit
{
    public const string GateRule = "auc >= champion + 0.005";

    /// <summary>
    /// v1 and v2 trained (v1 champion as the first model); v2 promoted (one promotion in the history); v1 rolled in as a split challenger at 10% with
    /// one look; a gate evaluation of v2 with its rule and figures, linked from a gate event. Returns the gate evaluation's id.
    /// </summary>
    public static async Task<string> SeedLifecycleAsync(LeadScoreApplication app)
    {
        await TestModels.TrainAndRegisterAsync(app.Store, seed: 5);
        await TestModels.TrainAndRegisterAsync(app.Store, seed: 9, trees: 10);
        var lifecycle = app.Service<ModelLifecycle>();
        await lifecycle.PromoteAsync("v2", reason: "passed the gate");
        await lifecycle.PromoteAsync("v1", ServingModels.ChallengerAlias);
        var log = (ILifecycleLog)app.Store;
        var rules = JsonSerializer.Serialize(new[] { new { rule = GateRule, passed = true, candidate = 0.8123, champion = 0.8011 } });
        var gate = new ModelEvaluation
        {
            Id = "eval_gate_v2", At = TestData.T0.AddDays(10), Kind = "gate", Candidate = "v2", Champion = "v1", Passed = true, Rows = 480,
            Summary = "v2 passed every rule on 480 held-out leads", FiguresJson = """{"auc":0.8123,"ece":0.021}""", RulesJson = rules,
        };
        await log.SaveEvaluationAsync(gate);
        await log.AddLifecycleEventAsync(new LifecycleEvent { At = TestData.T0.AddDays(10), Kind = LifecycleEventKinds.Gate, Version = "v2", Previous = "v1", Reason = "gate passed", EvaluationId = gate.Id });
        await log.SaveEvaluationAsync(new ModelEvaluation
        {
            Id = "eval_look_v1", At = TestData.T0.AddDays(12), Kind = "challenge", Candidate = "v1", Champion = "v2", Passed = false, Rows = 300,
            Summary = "look 1 at information 30%: realized AUC of each arm on the leads it served: challenger 0.7900 vs champion 0.8100",
            FiguresJson = """{"challenger_auc":0.79,"champion_auc":0.81}""",
            RulesJson = """[{"rule":"one-sided p <= alpha spent at this look","passed":false,"alpha_this_look":0.0001}]""",
        });
        await app.Service<LifecycleStateStore>().UpdateAsync(s => s with
        {
            Challenge = new ChallengeState
            {
                Version = "v1", Champion = "v2", Mode = "split", SplitPercent = 10, StartedAt = TestData.T0.AddDays(11), DecisionDelayDays = 0, HorizonDays = 30,
                AlphaSpent = 0.0001, LastInformation = 0.3, Looks = 1,
            },
        });
        return gate.Id;
    }

    private static readonly JsonSerializerOptions CardJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// The champion (trained, promoted) is re-registered as v9 with a fairness section on its card, computed by the analyzer on
    /// 410 rows: country DE (A/B half the time), FR (A/B a fifth of the time: below the 80% rule) and LU (10 rows: too few to show).
    /// </summary>
    public static async Task<FairnessReport> SeedFairChampionAsync(ILeadStore store)
    {
        await TestModels.TrainAndRegisterAsync(store, seed: 5);
        var grades = new List<string>();
        var outcomes = new List<bool?>();
        var country = new List<string>();
        void Add(string group, int rows, int ab)
        {
            for (var i = 0; i < rows; i++)
            {
                grades.Add(i < ab ? (i % 2 == 0 ? "A" : "B") : (i % 2 == 0 ? "C" : "D"));
                outcomes.Add(i % 3 == 0);
                country.Add(group);
            }
        }
        Add("DE", 200, 100);
        Add("FR", 200, 40);
        Add("LU", 10, 5);
        var report = FairnessAnalyzer.Analyze(grades, null, outcomes, [new GroupColumn("country", FairnessRole.Sensitive, country)]) with
        {
            AttributesFrom = "declared in settings",
            Proxies = [new ProxyAssociation("region", "country", ProxyAssociation.CramersV, 0.91, true)],
        };
        var v1 = (await store.GetModelAsync("v1"))!;
        var card = JsonNode.Parse(v1.CardJson)!.AsObject();
        card["version"] = "v9";
        card["fairness"] = JsonSerializer.SerializeToNode(report, CardJson);
        await store.SaveModelAsync(v1 with { Version = "v9", CardJson = card.ToJsonString() }, (await store.GetModelArtifactAsync("v1"))!);
        await store.SetAliasAsync(ModelAliases.Champion, "v9");
        return report;
    }
}
