using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Fairness;

/// <summary>generate --group-effect -> import -> fairness show/set -> train -> models show, as a user runs it.</summary>
public sealed class FairnessCommandTests
{
    [Fact]
    public async Task Fairness_is_suggested_declared_trained_on_and_shown_by_models_show_and_the_report()
    {
        var data = TestPaths.NewTempDir();
        var ws = TestPaths.NewTempDir();
        var report = Path.Combine(TestPaths.NewTempDir(), "report");
        (await CliErrorTests.RunAsync("generate", "--leads", "3000", "--seed", "5", "--group-effect", "country", "--out", data)).Code.ShouldBe(0);
        foreach (var (kind, file) in new[]
                 {
                     ("leads", "leads.csv"), ("activities", "activities_web.csv"), ("activities", "activities_email.csv"), ("activities", "activities_social.csv"),
                     ("activities", "activities_sales.csv"), ("enrichment", "enrichment.csv"), ("outcomes", "outcomes.csv"),
                 })
            (await CliErrorTests.RunAsync("import", kind, Path.Combine(data, file), "--workspace", ws)).Code.ShouldBe(0, file);

        var suggested = await CliErrorTests.RunAsync("fairness", "show", "--workspace", ws);
        suggested.Code.ShouldBe(0, suggested.Err);
        suggested.Out.ShouldContain("suggested from the schema (not confirmed");
        suggested.Out.ShouldContain("sensitive:      country");
        suggested.Out.ShouldContain("watch (proxy):  company_size");

        var refused = await CliErrorTests.RunAsync("fairness", "set", "--sensitive", "country", "--watch", "country", "--workspace", ws);
        refused.Code.ShouldBe(ExitCodes.Failure);
        refused.Err.Trim().ShouldBe("error: 'country' cannot be both sensitive and watched");

        var set = await CliErrorTests.RunAsync("fairness", "set", "--sensitive", "country", "--min-group-size", "25", "--workspace", ws);
        set.Code.ShouldBe(0, set.Err);
        set.Out.ShouldContain("Attributes: declared in settings");
        set.Out.ShouldContain("watch (proxy):  company_size", Case.Sensitive, "an option not given keeps its value");
        set.Out.ShouldContain("min group size: 25");
        set.Out.ShouldContain("mitigation:     off");

        var train = await CliErrorTests.RunAsync("train", "--algorithm", "logistic", "--time-budget", "0", "--report", report, "--workspace", ws);
        train.Code.ShouldBe(0, train.Err);

        var show = await CliErrorTests.RunAsync("models", "show", "champion", "--workspace", ws);
        show.Code.ShouldBe(0, show.Err);
        show.Out.ShouldContain("\"fairness\": {");
        show.Out.ShouldContain("\"attributes_from\": \"declared in settings\"");
        show.Out.ShouldContain("\"min_group_size\": 25");
        show.Out.ShouldContain("country = US: ");
        show.Out.ShouldContain("below the 80% rule");
        show.Out.ShouldContain("email_free_mail may stand in for country");

        var html = await File.ReadAllTextAsync(Path.Combine(report, "index.html"), TestContext.Current.CancellationToken);
        html.ShouldContain("<h2 id=\"fairness\">Fair across groups?</h2>");
        html.ShouldContain("id=\"fairness-country\"");
        html.ShouldContain("email_free_mail may stand in for country");
    }
}
