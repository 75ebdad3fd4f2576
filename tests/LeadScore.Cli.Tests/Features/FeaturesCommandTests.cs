using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Features;

/// <summary>generate -> import -> features build / show, through the CLI as a user runs it.</summary>
public sealed class FeaturesCommandTests
{
    [Fact]
    public async Task Features_build_states_the_rule_flags_the_stage_and_show_explains_each_value()
    {
        var data = TestPaths.NewTempDir();
        var ws = TestPaths.NewTempDir();
        (await CliErrorTests.RunAsync("generate", "--leads", "700", "--seed", "3", "--out", data)).Code.ShouldBe(0);
        foreach (var (kind, file) in new[]
                 {
                     ("leads", "leads.csv"), ("activities", "activities_web.csv"), ("activities", "activities_email.csv"), ("activities", "activities_social.csv"),
                     ("activities", "activities_sales.csv"), ("enrichment", "enrichment.csv"), ("outcomes", "outcomes.csv"),
                 })
            (await CliErrorTests.RunAsync("import", kind, Path.Combine(data, file), "--workspace", ws)).Code.ShouldBe(0, file);

        var (code, output, err) = await CliErrorTests.RunAsync("features", "build", "--workspace", ws);
        code.ShouldBe(0, err);
        output.ShouldContain("Wrote default feature definitions");
        // The decision delay now comes from the data (at most 10% of wins before it), and the output says so.
        output.ShouldContain("rows built as of each lead's creation + ");
        output.ShouldContain("Decision point: ");
        output.ShouldContain("(default from the data: the longest whole number of days");
        output.ShouldContain("stage: predicts the outcome alone");
        File.Exists(Path.Combine(ws, "features.json")).ShouldBeTrue();

        var show = await CliErrorTests.RunAsync("features", "show", "L000001", "--as-of", "2025-03-01", "--workspace", ws);
        show.Code.ShouldBe(0, show.Err);
        show.Out.ShouldContain("visits_pricing_7d");
        show.Out.ShouldContain("page views under /pricing");
        show.Out.ShouldNotContain("first_name");

        var missing = await CliErrorTests.RunAsync("features", "show", "NOPE", "--workspace", ws);
        missing.Code.ShouldBe(ExitCodes.Failure);
        missing.Err.ShouldContain("lead 'NOPE' not found");

        // Rows at several ages: stated, and a model trained on them is split by lead.
        var aged = await CliErrorTests.RunAsync("features", "build", "--decision-ages", "14,30,60", "--workspace", ws);
        aged.Code.ShouldBe(0, aged.Err);
        aged.Out.ShouldContain("creation + 14, 30, 60 days, for every age at which it was still open");
        var trained = await CliErrorTests.RunAsync("train", "--decision-ages", "14,30,60", "--algorithm", "logistic", "--time-budget", "5", "--workspace", ws);
        trained.Code.ShouldBe(0, trained.Err);
        trained.Out.ShouldContain("time split by lead");
        trained.Out.ShouldContain("converted within");
        var bad = await CliErrorTests.RunAsync("train", "--decision-ages", "14,soon", "--workspace", ws);
        bad.Code.ShouldBe(ExitCodes.Failure);
        bad.Err.Trim().ShouldBe("error: --decision-ages: 'soon' is not a number of days between 0 and 3650");
    }

    [Fact]
    public async Task Train_and_features_build_take_a_horizon_record_it_in_the_card_and_print_the_data_default_when_omitted()
    {
        var data = TestPaths.NewTempDir();
        var ws = TestPaths.NewTempDir();
        (await CliErrorTests.RunAsync("generate", "--leads", "700", "--seed", "4", "--out", data)).Code.ShouldBe(0);
        foreach (var (kind, file) in new[]
                 {
                     ("leads", "leads.csv"), ("activities", "activities_web.csv"), ("activities", "activities_email.csv"), ("activities", "activities_social.csv"),
                     ("activities", "activities_sales.csv"), ("enrichment", "enrichment.csv"), ("outcomes", "outcomes.csv"),
                 })
            (await CliErrorTests.RunAsync("import", kind, Path.Combine(data, file), "--workspace", ws)).Code.ShouldBe(0, file);

        // Given --horizon-days 30: the card records it
        var given = await CliErrorTests.RunAsync("train", "--horizon-days", "30", "--algorithm", "logistic", "--time-budget", "0", "--json", "--workspace", ws);
        given.Code.ShouldBe(0, given.Err);
        using (var doc = System.Text.Json.JsonDocument.Parse(given.Out))
            doc.RootElement.GetProperty("horizon_days").GetDouble().ShouldBe(30);
        var card = await CliErrorTests.RunAsync("models", "show", "v1", "--workspace", ws);
        card.Out.ShouldContain("P(converts within 30 days of the decision time");

        // Omitted: chosen from the data, printed with its rule, with what the decision point drops
        var omitted = await CliErrorTests.RunAsync("train", "--algorithm", "logistic", "--time-budget", "0", "--workspace", ws);
        omitted.Code.ShouldBe(0, omitted.Err);
        omitted.Out.ShouldContain("Horizon: ");
        omitted.Out.ShouldContain("(default from the data: the 90th percentile of time from decision to conversion");
        omitted.Out.ShouldContain("Decision point: ");
        omitted.Out.ShouldContain("The decision point drops ");
        omitted.Out.ShouldContain("they mean converting within ");

        // A late decision point drops most wins: the output warns and names the fix
        var late = await CliErrorTests.RunAsync("features", "build", "--decision-delay", "60", "--horizon-days", "21", "--workspace", ws);
        late.Code.ShouldBe(0, late.Err);
        late.Out.ShouldContain("Horizon: 21 days (given)");
        late.Out.ShouldContain("Warning: more than 10% of wins come before the decision point");
        late.Out.ShouldContain("--decision-delay N");

        var bad = await CliErrorTests.RunAsync("train", "--horizon-days", "0", "--workspace", ws);
        bad.Code.ShouldBe(ExitCodes.Failure);
        bad.Err.ShouldContain("--horizon-days");
    }
}
