using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Lifecycle;

/// <summary>./leadscore simulate: bad input, and a short run whose kept workspace the other commands read.</summary>
public sealed class SimulateCommandTests
{
    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => CliErrorTests.RunAsync(args);

    [Theory]
    [InlineData(new[] { "--days", "0" }, "--days must be between 30 and 3650 (got 0)")]
    [InlineData(new[] { "--days", "-5" }, "--days must be between 30 and 3650 (got -5)")]
    [InlineData(new[] { "--leads-per-day", "0" }, "--leads-per-day must be between 1 and 5000 (got 0)")]
    [InlineData(new[] { "--drift", "concept", "--drift-at", "400" }, "--drift-at must be a day of the simulation, 1 to 365 (got 400)")]
    [InlineData(new[] { "--days", "100", "--drift", "concept", "--drift-at", "101" }, "--drift-at must be a day of the simulation, 1 to 100 (got 101)")]
    [InlineData(new[] { "--drift", "concept" }, "--drift concept needs the day it starts (--drift-at DAY)")]
    [InlineData(new[] { "--drift-at", "10" }, "--drift-at needs a drift scenario")]
    [InlineData(new[] { "--policy", "challenger.mode" }, "--policy 'challenger.mode': expected FIELD=VALUE")]
    [InlineData(new[] { "--drift", "concept", "--drift-at", "100", "--concept-strength", "0" }, "--concept-strength must be above 0 and at most 10 (got 0)")]
    [InlineData(new[] { "--drift", "concept", "--drift-at", "100", "--concept-strength", "11" }, "--concept-strength must be above 0 and at most 10 (got 11)")]
    [InlineData(new[] { "--concept-strength", "2" }, "--concept-strength needs --drift concept")]
    [InlineData(new[] { "--concept-strength", "3" }, "--concept-strength needs --drift concept")]
    [InlineData(new[] { "--drift", "concept", "--drift-at", "100", "--concept-strength", "NaN" }, "--concept-strength must be above 0 and at most 10 (got NaN)")]
    [InlineData(new[] { "--drift", "delay", "--drift-at", "100", "--concept-strength", "2" }, "--concept-strength needs --drift concept")]
    public async Task Bad_options_are_one_clear_error_and_nothing_runs(string[] args, string message)
    {
        var ws = Path.Combine(TestPaths.NewTempDir(), "kept");
        var (code, output, err) = await RunAsync(["simulate", .. args, "--workspace", ws]);
        code.ShouldBe(ExitCodes.Failure, err);
        err.ShouldContain(message);
        err.ShouldNotContain("   at ");
        output.ShouldBeEmpty();
        Directory.Exists(ws).ShouldBeFalse("nothing was created");
    }

    [Theory]
    [InlineData(new[] { "--drift", "sideways" }, "sideways")]
    [InlineData(new[] { "--days", "many" }, "many")]
    [InlineData(new[] { "--frobnicate" }, "--frobnicate")]
    public async Task Unknown_options_and_values_are_usage_errors(string[] args, string named)
    {
        var (code, _, err) = await RunAsync(["simulate", .. args]);
        code.ShouldBe(ExitCodes.Usage, err);
        err.ShouldContain(named);
        err.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task A_bad_policy_field_names_the_field_and_leaves_no_throwaway_workspace()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "leadscore-simulate-*").Length;
        var (code, _, err) = await RunAsync("simulate", "--days", "30", "--leads-per-day", "2", "--policy", "challenger.mode=canary");
        code.ShouldBe(ExitCodes.Failure, err);
        err.ShouldContain("challenger.mode");
        err.ShouldContain("'canary' is not one of none, shadow, split");
        Directory.GetDirectories(Path.GetTempPath(), "leadscore-simulate-*").Length.ShouldBeLessThanOrEqualTo(before);
    }

    [Fact]
    public async Task With_a_workspace_the_simulated_workspace_is_kept_and_models_history_and_monitor_read_it()
    {
        // Given a short simulation (30 days, 10 leads a day after 120 days of history) into a folder to keep
        var ws = Path.Combine(TestPaths.NewTempDir(), "sim");
        var (code, output, err) = await RunAsync("simulate", "--days", "30", "--leads-per-day", "10", "--seed", "5", "--json", "--workspace", ws);
        code.ShouldBe(0, err);
        var r = JsonDocument.Parse(output).RootElement;

        // Then the JSON has the documented shape
        r.GetProperty("settings").GetProperty("days").GetInt32().ShouldBe(30);
        r.GetProperty("settings").GetProperty("training").GetString()!.ShouldStartWith("lightgbm, its defaults (no search), seed 5");
        r.GetProperty("workspace").GetString().ShouldBe(ws);
        var month = r.GetProperty("months")[0];
        foreach (var field in new[] { "month", "day_from", "day_to", "served_auc", "frozen_auc", "oracle_auc" }) month.TryGetProperty(field, out _).ShouldBeTrue(field);
        month.GetProperty("day_from").GetInt32().ShouldBe(1);
        month.GetProperty("day_to").GetInt32().ShouldBe(30);
        r.GetProperty("promotions").ValueKind.ShouldBe(JsonValueKind.Array);
        r.GetProperty("rollbacks").ValueKind.ShouldBe(JsonValueKind.Array);
        r.GetProperty("alerts").ValueKind.ShouldBe(JsonValueKind.Array);
        r.GetProperty("elapsed_seconds").GetDouble().ShouldBeGreaterThan(0);
        r.GetProperty("leads").GetInt32().ShouldBe(150 * 10);

        // And the kept workspace is an ordinary one: models history lists the first policy training and its promotion
        File.Exists(Path.Combine(ws, "leadscore.db")).ShouldBeTrue();
        Directory.Exists(Path.Combine(ws, "simulate-import")).ShouldBeFalse("the daily import files are removed");
        var history = await RunAsync("models", "history", "--json", "--workspace", ws);
        history.Code.ShouldBe(0, history.Err);
        var events = JsonDocument.Parse(history.Out).RootElement;
        events[0].GetProperty("kind").GetString().ShouldBe("training");
        events[0].GetProperty("reason").GetString()!.ShouldContain("no model trained by the policy yet");
        events[1].GetProperty("kind").GetString().ShouldBe("promotion");
        events[1].GetProperty("version").GetString().ShouldBe("v1");
        var monitor = await RunAsync("monitor", "--workspace", ws);
        monitor.Code.ShouldBe(0, monitor.Err);
        monitor.Out.ShouldContain("v1");

        // And a second run into the same folder is refused rather than mixed with the first
        var again = await RunAsync("simulate", "--days", "30", "--leads-per-day", "10", "--workspace", ws);
        again.Code.ShouldBe(ExitCodes.Failure);
        again.Err.ShouldContain("already holds a LeadScore database");
    }
}
