using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Quickstart;

/// <summary>The main job, end to end on a small demo: generate, import, train, evaluate, summary, curl; then a second run reuses.</summary>
public sealed class QuickstartTests
{
    [Fact]
    public async Task Quickstart_without_serving_trains_a_champion_prints_the_summary_and_reuses_the_workspace()
    {
        var ws = TestPaths.NewTempDir();
        var (code, output, err) = await CliErrorTests.RunAsync("quickstart", "--no-serve", "--leads", "1500", "--time-budget", "5", "--workspace", ws);
        code.ShouldBe(0, err);
        output.ShouldContain("== Model v1");
        output.ShouldMatch(@"AUC 0\.\d{3}");
        output.ShouldContain("Top features");
        output.ShouldContain("Example open leads");
        output.ShouldContain("Leakage audit excluded 'stage'");
        output.ShouldContain("curl -s -X POST http://127.0.0.1:5080/api/v1/score -H 'X-Api-Key: lsk_");
        // Nothing is serving with --no-serve: the output says how to start the server instead of pointing at a running one.
        output.ShouldContain("Start the server with ./leadscore serve, then score a lead:");
        output.ShouldNotContain("against the running server");
        File.Exists(Path.Combine(ws, "features.json")).ShouldBeTrue();
        File.Exists(Path.Combine(ws, "report", "index.html")).ShouldBeTrue();

        await using (var store = await LeadStore.OpenAsync(ws))
        {
            (await store.CountLeadsAsync()).ShouldBe(1500);
            (await store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1");
            (await store.ListTopScoresAsync(null, 5000)).Count.ShouldBe(1500);
        }

        var again = await CliErrorTests.RunAsync("quickstart", "--no-serve", "--workspace", ws);
        again.Code.ShouldBe(0, again.Err);
        again.Out.ShouldContain("Reusing the workspace");
        again.Out.ShouldContain("== Model v1");
    }
}
