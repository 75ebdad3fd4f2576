using System.Text.Json;
using LeadScore.Server.Tests.Monitoring;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Monitoring;

/// <summary><c>leadscore monitor</c> without --reference: the prediction log's drift, performance and alerts for the champion.</summary>
public sealed class MonitorLogCliTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await CliApp.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static async Task<string> WorkspaceAsync(bool drift = true)
    {
        var ws = TestPaths.NewTempDir("monlog");
        await using var store = await LeadStore.OpenAsync(ws, null, TestContext.Current.CancellationToken);
        await MonitoringWorld.SeedAsync(store, drift);
        return ws;
    }

    [Fact]
    public async Task Json_gives_the_latest_drift_performance_per_window_and_the_alerts_raised_once_and_report_fills_the_time_series()
    {
        var ws = await WorkspaceAsync();
        var reportDir = Path.Combine(ws, "report");

        var (code, output, err) = await RunAsync("--workspace", ws, "monitor", "--window", "7", "--json", "--report", reportDir);
        var (code2, output2, err2) = await RunAsync("--workspace", ws, "monitor", "--json");

        code.ShouldBe(0, err);
        var j = JsonDocument.Parse(output).RootElement;
        j.GetProperty("model_version").GetString().ShouldBe("v1");
        j.GetProperty("dataset_drift").GetBoolean().ShouldBeTrue();
        var features = j.GetProperty("features").EnumerateArray().ToList();
        features.Count.ShouldBe(2);
        foreach (var f in features)
        {
            f.GetProperty("drifted").GetBoolean().ShouldBeTrue();
            f.GetProperty("statistic").GetDouble().ShouldBeGreaterThan(f.GetProperty("threshold").GetDouble());
            f.TryGetProperty("p_value", out _).ShouldBeTrue("p_value is always there (null for distance tests)");
            new[] { "wasserstein", "jensenshannon" }.ShouldContain(f.GetProperty("test").GetString());
        }
        j.GetProperty("score_drift").GetProperty("feature").GetString().ShouldNotBeNullOrEmpty();
        var perf = j.GetProperty("performance").EnumerateArray().ToList();
        perf.Count.ShouldBe(MonitoringWorld.Weeks);
        perf.ShouldAllBe(p => p.GetProperty("estimated_auc").GetDouble() > 0.5 && p.GetProperty("realized_auc").GetDouble() > 0.5);
        j.GetProperty("windows").GetArrayLength().ShouldBe(MonitoringWorld.Weeks);
        var alerts = j.GetProperty("new_alerts").EnumerateArray().ToList();
        alerts.Count.ShouldBe(MonitoringWorld.Weeks - MonitoringWorld.DriftWeek);
        alerts.ShouldAllBe(a => a.GetProperty("kind").GetString() == "drift_detected");
        var index = j.GetProperty("report").GetString()!;
        index.ShouldBe(Path.Combine(Path.GetFullPath(reportDir), "index.html"));
        foreach (var plot in new[] { "drift.png", "score-over-time.png", "auc-over-time.png", "calibration-over-time.png", "dist-1.png" })
            File.Exists(Path.Combine(reportDir, plot)).ShouldBeTrue(plot);

        code2.ShouldBe(0, err2);
        JsonDocument.Parse(output2).RootElement.GetProperty("new_alerts").GetArrayLength().ShouldBe(0, "an alert is raised once");
        await using var store = await LeadStore.OpenAsync(ws, null, TestContext.Current.CancellationToken);
        (await store.ListAlertsAsync()).Count.ShouldBe(alerts.Count);
    }

    [Fact]
    public async Task The_table_names_the_windows_the_drifted_features_and_the_new_alerts()
    {
        var ws = await WorkspaceAsync();

        var (code, output, err) = await RunAsync("--workspace", ws, "monitor", "--window", "14", "--since", MonitoringWorld.T0.ToString("yyyy-MM-dd"));
        TestContext.Current.TestOutputHelper?.WriteLine(output);

        code.ShouldBe(0, err);
        output.ShouldContain("Model v1 (champion): 4 window(s) of 14 day(s)");
        output.ShouldContain(MonitoringWorld.T0.AddDays(14 * 3).ToString("yyyy-MM-dd"));
        output.ShouldContain("dataset drift YES");
        output.ShouldContain("New alerts (2):");
    }

    [Fact]
    public async Task Bad_values_and_file_mode_options_without_files_are_errors_naming_the_option()
    {
        var ws = await WorkspaceAsync(drift: false);

        foreach (var (args, expected) in new[]
        {
            (new[] { "--window", "0" }, "--window"), (new[] { "--since", "last tuesday" }, "--since"), (new[] { "--slot", "primary" }, "--slot"),
            (new[] { "--target", "y" }, "--target"), (new[] { "--model", "v9" }, "v9"),
        })
        {
            var (code, _, err) = await RunAsync(["--workspace", ws, "monitor", .. args]);
            code.ShouldNotBe(0, string.Join(" ", args));
            err.ShouldContain(expected, Case.Insensitive, string.Join(" ", args));
        }
        var (ok, output, err2) = await RunAsync("--workspace", ws, "monitor", "--slot", "challenger");
        ok.ShouldBe(0, err2);
        output.ShouldContain("no model serves as challenger");
    }
}
