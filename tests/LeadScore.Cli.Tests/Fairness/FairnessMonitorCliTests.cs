using System.Text.Json;
using LeadScore.Core;
using LeadScore.Server.Tests.Monitoring;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Fairness;

/// <summary><c>fairness set</c> validation and thresholds, and fairness in <c>monitor</c> (log mode): text, JSON, report and the alert.</summary>
public sealed class FairnessMonitorCliTests
{
    [Fact]
    public async Task Fairness_set_refuses_attributes_that_are_not_schema_columns_naming_the_nearest_and_names_that_are_too_long()
    {
        var ws = TestPaths.NewTempDir("fair-cli");
        var leads = Path.Combine(TestPaths.NewTempDir("src"), "leads.csv");
        await File.WriteAllTextAsync(leads, "lead_id,email,company,country,created_at\nF1,f1@mail.example,Acme,DE,2026-01-01\n", TestContext.Current.CancellationToken);
        (await CliErrorTests.RunAsync("import", "leads", leads, "--workspace", ws)).Code.ShouldBe(0);

        var typo = await CliErrorTests.RunAsync("fairness", "set", "--sensitive", "contry", "--workspace", ws);
        var unknownWatch = await CliErrorTests.RunAsync("fairness", "set", "--sensitive", "country", "--watch", "revenue", "--workspace", ws);
        var tooLong = await CliErrorTests.RunAsync("fairness", "set", "--sensitive", new string('c', 150), "--workspace", ws);
        var badRatio = await CliErrorTests.RunAsync("fairness", "set", "--sensitive", "country", "--ratio-threshold", "0", "--workspace", ws);
        var ok = await CliErrorTests.RunAsync("fairness", "set", "--sensitive", "country", "--ratio-threshold", "0.85", "--workspace", ws);

        typo.Code.ShouldBe(ExitCodes.Failure);
        typo.Err.Trim().ShouldStartWith("error: 'contry' is not a column of the imported lead schema; did you mean 'country'? valid: ");
        typo.Err.ShouldContain("company, country, created_at");
        unknownWatch.Code.ShouldBe(ExitCodes.Failure);
        unknownWatch.Err.ShouldContain("'revenue' is not a column of the imported lead schema; valid: ");
        tooLong.Code.ShouldBe(ExitCodes.Failure);
        tooLong.Err.ShouldContain("is 150 characters long; at most 100");
        badRatio.Code.ShouldBe(ExitCodes.Failure);
        badRatio.Err.ShouldContain("the ratio threshold must be above 0 and at most 1");
        ok.Code.ShouldBe(0, ok.Err);
        ok.Out.ShouldContain("alerts:         A/B ratio below 0.85, TPR/FPR gap above 0.1");
    }

    [Fact]
    public async Task Monitor_shows_fairness_per_window_in_text_json_and_the_report_and_raises_the_alert_once_per_window()
    {
        var ws = TestPaths.NewTempDir("fair-mon");
        await using (var store = await LeadStore.OpenAsync(ws, null, TestContext.Current.CancellationToken))
        {
            var ct = TestContext.Current.CancellationToken;
            await MonitoringWorld.SeedAsync(store, drift: false);
            // A disparity built in: four of five leads graded A or B are DE, four of five of the others US.
            var grades = new Dictionary<string, string>();
            await foreach (var p in store.StreamPredictionsAsync(MonitoringWorld.T0, MonitoringWorld.After, "v1", PredictionSlots.Champion, ct)) grades[p.LeadId!] = p.Grade;
            await store.UpsertLeadsAsync(grades.OrderBy(g => g.Key, StringComparer.Ordinal).Select((g, i) => new Lead
            {
                Id = g.Key, CreatedAt = MonitoringWorld.T0,
                Attributes = new Dictionary<string, string?> { ["country"] = (g.Value is "A" or "B") == (i % 5 != 0) ? "DE" : "US" },
            }).ToList(), ct);
        }
        (await CliErrorTests.RunAsync("fairness", "set", "--sensitive", "country", "--min-group-size", "10", "--workspace", ws)).Code.ShouldBe(0);
        var reportDir = Path.Combine(ws, "report");

        var text = await CliErrorTests.RunAsync("--workspace", ws, "monitor", "--window", "7", "--report", reportDir);
        var json = await CliErrorTests.RunAsync("--workspace", ws, "monitor", "--window", "7", "--json");

        text.Code.ShouldBe(0, text.Err);
        text.Out.ShouldContain($"Fairness, latest window ({MonitoringWorld.T0.AddDays(7 * (MonitoringWorld.Weeks - 1)):yyyy-MM-dd}): 400 leads, 400 matured; alert below a 0.8 ratio or above a 0.1 gap, groups of 10+ (declared in settings)");
        text.Out.ShouldContain("  country (sensitive): lowest ratio ");
        text.Out.ShouldContain("ALERT");
        text.Out.ShouldContain($"New alerts ({MonitoringWorld.Weeks}):");
        text.Out.ShouldContain("fairness_alert");
        var html = await File.ReadAllTextAsync(Path.Combine(reportDir, "index.html"), TestContext.Current.CancellationToken);
        html.ShouldContain("id=\"fairness-live\"");
        html.ShouldContain("id=\"fairness-country\"");

        json.Code.ShouldBe(0, json.Err);
        var j = JsonDocument.Parse(json.Out).RootElement;
        var fairness = j.GetProperty("fairness");
        fairness.GetProperty("ratio_threshold").GetDouble().ShouldBe(0.8);
        fairness.GetProperty("windows").GetArrayLength().ShouldBe(MonitoringWorld.Weeks);
        var groups = fairness.GetProperty("latest").GetProperty("attributes")[0].GetProperty("groups").EnumerateArray().ToList();
        groups.Sum(g => g.GetProperty("rows").GetInt32()).ShouldBe(MonitoringWorld.PerWeek);
        groups.Single(g => g.GetProperty("group").GetString() == "US").GetProperty("alert").GetBoolean().ShouldBeTrue();
        groups.Single(g => g.GetProperty("group").GetString() == "DE").GetProperty("alert").GetBoolean().ShouldBeFalse();
        j.GetProperty("new_alerts").GetArrayLength().ShouldBe(0, "each window's alert was raised by the first run");
        await using var check = await LeadStore.OpenAsync(ws, null, TestContext.Current.CancellationToken);
        (await check.ListAlertsAsync()).Count(a => a.Kind == "fairness_alert").ShouldBe(MonitoringWorld.Weeks);
    }
}
