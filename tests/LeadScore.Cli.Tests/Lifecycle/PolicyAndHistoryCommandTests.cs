using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Lifecycle;

/// <summary>./leadscore policy show|set and models history, as a user runs them.</summary>
public sealed class PolicyAndHistoryCommandTests
{
    [Fact]
    public async Task Policy_set_validates_and_saves_and_history_lists_trainings_and_promotions()
    {
        var ws = TestPaths.NewTempDir();
        var show = await CliErrorTests.RunAsync("policy", "show", "--workspace", ws);
        show.Code.ShouldBe(0, show.Err);
        show.Err.ShouldContain("the default policy");
        JsonDocument.Parse(show.Out).RootElement.GetProperty("challenger").GetProperty("mode").GetString().ShouldBe("shadow");

        var set = await CliErrorTests.RunAsync("policy", "set", "schedule.cron=0 3 * * 1", "challenger.mode=split", "challenger.split_percent=20",
            "gate=auc >= champion + 0.01; ece <= 0.05", "--workspace", ws);
        set.Code.ShouldBe(0, set.Err);
        set.Err.ShouldContain("policy saved (version 1)");
        var saved = JsonDocument.Parse((await CliErrorTests.RunAsync("policy", "show", "--workspace", ws)).Out).RootElement;
        saved.GetProperty("schedule").GetProperty("cron").GetString().ShouldBe("0 3 * * 1");
        saved.GetProperty("challenger").GetProperty("split_percent").GetDouble().ShouldBe(20);
        saved.GetProperty("gate").GetArrayLength().ShouldBe(2);

        // All or none: one bad field and nothing changes.
        var bad = await CliErrorTests.RunAsync("policy", "set", "challenger.split_percent=5", "challenger.mode=canary", "--workspace", ws);
        bad.Code.ShouldBe(ExitCodes.Failure);
        bad.Err.ShouldContain("challenger.mode");
        bad.Err.ShouldContain("'canary' is not one of none, shadow, split");
        var noEquals = await CliErrorTests.RunAsync("policy", "set", "challenger.mode", "--workspace", ws);
        noEquals.Code.ShouldBe(ExitCodes.Failure);
        noEquals.Err.ShouldContain("expected FIELD=VALUE");
        JsonDocument.Parse((await CliErrorTests.RunAsync("policy", "show", "--workspace", ws)).Out).RootElement
            .GetProperty("challenger").GetProperty("split_percent").GetDouble().ShouldBe(20);

        // History: empty, then a training and its promotion.
        (await CliErrorTests.RunAsync("models", "history", "--workspace", ws)).Out.ShouldContain("No lifecycle events yet");
        var data = TestPaths.NewTempDir();
        (await CliErrorTests.RunAsync("generate", "--leads", "600", "--seed", "3", "--out", data)).Code.ShouldBe(0);
        foreach (var (kind, file) in new[] { ("leads", "leads.csv"), ("activities", "activities_web.csv"), ("enrichment", "enrichment.csv"), ("outcomes", "outcomes.csv") })
            (await CliErrorTests.RunAsync("import", kind, Path.Combine(data, file), "--workspace", ws)).Code.ShouldBe(0, file);
        var train = await CliErrorTests.RunAsync("train", "--algorithm", "logistic", "--time-budget", "0", "--workspace", ws);
        train.Code.ShouldBe(0, train.Err);
        var table = await CliErrorTests.RunAsync("models", "history", "--workspace", ws);
        table.Out.ShouldContain("training");
        table.Out.ShouldContain("promotion");
        table.Out.ShouldContain("the workspace had no champion");
        var json = JsonDocument.Parse((await CliErrorTests.RunAsync("models", "history", "--json", "--workspace", ws)).Out).RootElement;
        json.GetArrayLength().ShouldBe(2);
        json[0].GetProperty("kind").GetString().ShouldBe("training");
        json[0].GetProperty("figures").GetProperty("auc").GetDouble().ShouldBeGreaterThan(0.5);
        json[1].GetProperty("kind").GetString().ShouldBe("promotion");
        json[1].GetProperty("version").GetString().ShouldBe("v1");
    }
}
