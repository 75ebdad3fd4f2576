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

    private static string WriteCsv(string dir, string name, int rows, int seed)
    {
        var rng = new Random(seed);
        var path = Path.Combine(dir, name);
        using var w = new StreamWriter(path);
        w.WriteLine("lead_id;created;visits;source;won");
        for (var i = 0; i < rows; i++)
        {
            var visits = rng.Next(0, 20);
            var src = new[] { "web", "event", "referral" }[rng.Next(3)];
            var won = rng.NextDouble() < 1 / (1 + Math.Exp(-(visits - 10) / 3.0)) ? "yes" : "no";
            w.WriteLine($"L{seed}-{i};{new DateTime(2025, 1, 1).AddHours(i * 5):yyyy-MM-dd HH:mm:ss};{visits};{src};{won}");
        }
        return path;
    }

    [Fact]
    public async Task Train_with_a_time_column_tests_on_the_most_recent_rows_and_writes_the_report()
    {
        var dir = TestPaths.NewTempDir("train-time");
        var csv = WriteCsv(dir, "leads.csv", 800, 1);
        var report = Path.Combine(dir, "report");
        var (code, output, err) = await RunAsync("--workspace", Path.Combine(dir, "ws"), "train", "--csv", csv, "--target", "won", "--positive", "yes",
            "--sep", ";", "--id", "lead_id", "--time-column", "created", "--algorithm", "logistic", "--time-budget", "0", "--report", report, "--json");
        code.ShouldBe(0, err);
        using var doc = JsonDocument.Parse(output);
        doc.RootElement.GetProperty("split_kind").GetString().ShouldBe("time");
        doc.RootElement.GetProperty("rows_test").GetInt32().ShouldBe(160);
        File.Exists(Path.Combine(report, "index.html")).ShouldBeTrue();
        File.Exists(Path.Combine(report, "roc.png")).ShouldBeTrue();
    }

    [Fact]
    public async Task Train_with_a_test_csv_evaluates_on_that_file_and_a_worse_second_model_stays_candidate_unless_as_good()
    {
        var dir = TestPaths.NewTempDir("train-testcsv");
        var train = WriteCsv(dir, "train.csv", 600, 2);
        var test = WriteCsv(dir, "test.csv", 300, 3);
        var ws = Path.Combine(dir, "ws");
        var (code, output, err) = await RunAsync("--workspace", ws, "train", "--csv", train, "--test-csv", test, "--target", "won", "--positive", "yes",
            "--id", "lead_id", "--exclude", "created", "--algorithm", "logistic", "--time-budget", "0");
        code.ShouldBe(0, err);
        output.ShouldContain("given test set test.csv");
        output.ShouldContain("Trained on 600 rows, tested on 300 held-out rows");
        output.ShouldContain("v1 is now the champion");
        output.ShouldContain("Rule: A new model becomes champion automatically only if");

        var (code2, output2, _) = await RunAsync("--workspace", ws, "train", "--csv", train, "--test-csv", test, "--target", "won", "--positive", "yes",
            "--id", "lead_id", "--exclude", "created,visits", "--algorithm", "logistic", "--time-budget", "0");
        code2.ShouldBe(0);
        output2.ShouldContain("v2 stays a candidate");

        var (_, list, _) = await RunAsync("--workspace", ws, "models", "list");
        list.ShouldContain("v2");
        var (rc, promoted, _) = await RunAsync("--workspace", ws, "models", "promote", "v2");
        rc.ShouldBe(0);
        promoted.Trim().ShouldBe("champion is now v2 (was v1)");
        var (_, rolled, _) = await RunAsync("--workspace", ws, "models", "rollback");
        rolled.Trim().ShouldBe("champion rolled back from v2 to v1");
        var (_, show, _) = await RunAsync("--workspace", ws, "models", "show", "champion");
        JsonDocument.Parse(show).RootElement.GetProperty("version").GetString().ShouldBe("v1");
    }

    [Fact]
    public async Task Train_without_target_fails_with_one_clear_line()
    {
        var (code, _, err) = await RunAsync("--workspace", TestPaths.NewTempDir("ws"), "train", "--csv", TestPaths.XEducation);
        code.ShouldBe(ExitCodes.Failure);
        err.Trim().ShouldBe("error: --target COLUMN is required with --csv (or a mapping naming the target)");
    }

    [Fact]
    public async Task Train_names_a_missing_column()
    {
        var (code, _, err) = await RunAsync("--workspace", TestPaths.NewTempDir("ws"), "train", "--csv", TestPaths.XEducation, "--target", "Nope");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("no column named 'Nope'");
    }
}
