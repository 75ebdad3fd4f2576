using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Modeling;

public sealed class TrainCommandTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await CliApp.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Train_json_prints_the_fields_of_the_issue_and_stores_a_champion()
    {
        var ws = TestPaths.NewTempDir("ws");
        var (code, output, err) = await RunAsync("--workspace", ws, "train", "--csv", TestPaths.XEducation, "--target", "Converted",
            "--id", "Prospect ID", "--exclude", "Lead Number,Tags,Lead Quality", "--algorithm", "logistic", "--time-budget", "0", "--json");
        code.ShouldBe(0, err);

        using var doc = JsonDocument.Parse(output);
        var j = doc.RootElement;
        string[] required = ["model_version", "algorithm", "split", "rows_train", "rows_test", "auc", "pr_auc", "log_loss", "brier", "ece",
            "threshold", "precision", "recall", "f1", "lift_at_10pct", "train_seconds", "excluded_features"];
        foreach (var f in required) j.TryGetProperty(f, out _).ShouldBeTrue(f);
        j.GetProperty("model_version").GetString().ShouldBe("v1");
        j.GetProperty("algorithm").GetString().ShouldBe("logistic");
        j.GetProperty("split").GetString()!.ShouldContain("stratified");
        (j.GetProperty("rows_train").GetInt32() + j.GetProperty("rows_test").GetInt32()).ShouldBe(9240);
        j.GetProperty("auc").GetDouble().ShouldBeInRange(0.80, 0.95);
        j.GetProperty("champion").GetBoolean().ShouldBeTrue();
        var excluded = j.GetProperty("excluded_features").EnumerateArray().Select(e => e.GetProperty("feature").GetString()).ToList();
        excluded.ShouldContain("Tags");
        excluded.ShouldContain("Lead Quality");
        j.GetProperty("excluded_features").EnumerateArray().ShouldAllBe(e => e.GetProperty("reason").GetString()!.Length > 0);

        var (listCode, list, _) = await RunAsync("--workspace", ws, "models", "list");
        listCode.ShouldBe(0);
        list.ShouldContain("v1");
        list.ShouldContain("champion");
    }

    [Fact]
    public async Task Train_without_target_fails_with_one_clear_line()
    {
        var (code, _, err) = await RunAsync("--workspace", TestPaths.NewTempDir("ws"), "train", "--csv", TestPaths.XEducation);
        code.ShouldBe(ExitCodes.Failure);
        err.Trim().ShouldBe("error: --target COLUMN is required with --csv");
    }

    [Fact]
    public async Task Train_names_a_missing_column()
    {
        var (code, _, err) = await RunAsync("--workspace", TestPaths.NewTempDir("ws"), "train", "--csv", TestPaths.XEducation, "--target", "Nope");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("no column named 'Nope'");
    }
}
