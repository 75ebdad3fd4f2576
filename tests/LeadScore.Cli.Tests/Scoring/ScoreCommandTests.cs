using System.Globalization;
using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Scoring;

/// <summary><c>leadscore score</c> end to end: train, then score a file or the workspace.</summary>
public sealed class ScoreCommandTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await CliApp.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>A workspace with a champion trained on a sample of bank marketing (small, so the test stays fast).</summary>
    private static async Task<string> BankWorkspaceAsync(int trainRows = 4000, string algorithm = "lightgbm")
    {
        var ws = TestPaths.NewTempDir("ws");
        var train = Path.Combine(ws, "bank-train.csv");
        // Every 10th row, so the sample covers the file's years (the rows are in time order).
        await File.WriteAllLinesAsync(train, File.ReadLines(TestPaths.BankMarketing).Where((_, i) => i == 0 || i % 10 == 0).Take(trainRows + 1), TestContext.Current.CancellationToken);
        var (code, _, err) = await RunAsync("--workspace", ws, "train", "--csv", train, "--target", "y", "--sep", ";", "--exclude", "duration",
            "--algorithm", algorithm, "--time-budget", "0", "--max-trials", "0");
        code.ShouldBe(0, err);
        return ws;
    }

    [Fact]
    public async Task Score_csv_with_explain_writes_every_row_of_the_bank_file_with_reasons()
    {
        // Logistic regression keeps 41,188 explained rows fast in a Debug test run; tree explanations are covered below and in the engine tests.
        var ws = await BankWorkspaceAsync(algorithm: "logistic");
        var output = Path.Combine(ws, "scored.csv");

        var (code, stdout, err) = await RunAsync("--workspace", ws, "score", "--csv", TestPaths.BankMarketing, "--sep", ";", "--explain", "--out", output);

        code.ShouldBe(0, err);
        stdout.ShouldBeEmpty("the scores go to --out");
        err.ShouldContain("scored 41,188 leads with v1");
        var lines = File.ReadLines(output).ToList();
        lines.Count.ShouldBe(41_188 + 1);
        lines[0].ShouldBe("lead_id,probability,score,grade,model_version,reason_1,reason_2,reason_3,reason_4,reason_5,reason_6,reason_7,reason_8,reason_9,reason_10");
        var first = lines[1].Split(',');
        first[0].ShouldBe("1", "bank rows have no id column: the row number is the id");
        var grades = new HashSet<string>();
        foreach (var line in lines.Skip(1).Where((_, i) => i % 97 == 0))
        {
            var cells = line.Split(',');
            var p = double.Parse(cells[1], CultureInfo.InvariantCulture);
            p.ShouldBeInRange(0, 1);
            Math.Abs(int.Parse(cells[2], CultureInfo.InvariantCulture) - 100 * p).ShouldBeLessThanOrEqualTo(0.5 + 1e-9, "score = 100 x probability, rounded");
            grades.Add(cells[3]);
            cells[4].ShouldBe("v1");
            line.ShouldContain(" pts)");
        }
        grades.ShouldBeSubsetOf(["A", "B", "C", "D"]);
        grades.Count.ShouldBeGreaterThan(1, "the grades separate leads");
    }

    [Fact]
    public async Task Score_json_writes_one_object_per_lead_and_the_same_probabilities_as_csv()
    {
        var ws = await BankWorkspaceAsync(2000);
        var small = Path.Combine(ws, "to-score.csv");
        // Reordered columns, no target: the file is read by column name with the model's schema.
        var rows = File.ReadLines(TestPaths.BankMarketing).Take(301).Select(l => l.Split(';')).ToList();
        var order = Enumerable.Range(0, rows[0].Length - 1).Reverse().ToArray();
        await File.WriteAllLinesAsync(small, rows.Select(r => string.Join(';', order.Select(i => r[i]))), TestContext.Current.CancellationToken);

        var (code, json, err) = await RunAsync("--workspace", ws, "score", "--csv", small, "--explain", "--top", "2", "--json");
        code.ShouldBe(0, err);
        var objects = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        objects.Count.ShouldBe(300);
        var o = objects[0];
        o.GetProperty("lead_id").GetString().ShouldBe("1");
        o.GetProperty("model_version").GetString().ShouldBe("v1");
        o.GetProperty("grade").GetString().ShouldBeOneOf("A", "B", "C", "D");
        var reasons = o.GetProperty("reasons").EnumerateArray().ToList();
        // Contributions under half a point are not listed, so a lead near the base rate may have none.
        reasons.Count.ShouldBeInRange(0, 4);
        reasons.ShouldAllBe(r => Math.Abs(r.GetProperty("points").GetDouble()) >= 0.5);
        objects.ShouldContain(x => x.GetProperty("reasons").GetArrayLength() > 0);
        reasons.ShouldAllBe(r => r.GetProperty("text").GetString()!.Length > 0 && r.GetProperty("feature").GetString()!.Length > 0);

        var (csvCode, csv, csvErr) = await RunAsync("--workspace", ws, "score", "--csv", TestPaths.BankMarketing, "--sep", ";");
        csvCode.ShouldBe(0, csvErr);
        var csvLines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        csvLines[0].ShouldBe("lead_id,probability,score,grade,model_version", "no reason columns without --explain");
        for (var i = 0; i < 300; i += 37)
            objects[i].GetProperty("probability").GetDouble().ShouldBe(double.Parse(csvLines[i + 1].Split(',')[1], CultureInfo.InvariantCulture), 1e-6);
    }

    [Fact]
    public async Task Score_names_the_columns_the_file_lacks()
    {
        var ws = await BankWorkspaceAsync(1500);
        var partial = Path.Combine(ws, "partial.csv");
        await File.WriteAllLinesAsync(partial, ["age;job", "41;admin."], TestContext.Current.CancellationToken);

        var (code, _, err) = await RunAsync("--workspace", ws, "score", "--csv", partial);

        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("needs column(s) the file lacks");
        err.ShouldContain("euribor3m");
        err.Trim().Split('\n').Length.ShouldBe(1, "one clear line");
    }

    [Fact]
    public async Task Score_needs_exactly_one_source_and_a_model()
    {
        var ws = TestPaths.NewTempDir("ws");
        (await RunAsync("--workspace", ws, "score")).Err.Trim().ShouldBe("error: give exactly one of --csv FILE or --all");
        var (code, _, err) = await RunAsync("--workspace", ws, "score", "--csv", TestPaths.BankMarketing);
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("no champion model yet");
    }

    [Fact]
    public async Task Score_all_writes_every_workspace_lead_and_a_workspace_model_refuses_a_bare_csv()
    {
        var ws = TestPaths.NewTempDir("ws");
        var (qs, _, qsErr) = await RunAsync("--workspace", ws, "quickstart", "--no-serve", "--leads", "600", "--time-budget", "0");
        qs.ShouldBe(0, qsErr);
        var output = Path.Combine(ws, "all.jsonl");

        var (code, _, err) = await RunAsync("--workspace", ws, "score", "--all", "--status", "all", "--json", "--explain", "--out", output);

        code.ShouldBe(0, err);
        var lines = File.ReadAllLines(output);
        lines.Length.ShouldBeGreaterThan(500, "every lead that did not opt out of profiling");
        err.ShouldContain($"scored {lines.Length:N0} leads");
        var ids = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("lead_id").GetString()).ToList();
        ids.Distinct().Count().ShouldBe(lines.Length);
        JsonDocument.Parse(lines[0]).RootElement.GetProperty("reasons").GetArrayLength().ShouldBeGreaterThan(0);
        var statuses = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("status").GetString()).ToList();
        statuses.ShouldContain("open");
        statuses.ShouldContain(s => s != "open", "the quickstart's data has won and lost leads");

        // By default only the open leads are written (all are scored and stored); --status closed writes the others.
        var openOut = Path.Combine(ws, "open.jsonl");
        var (openCode, _, openErr) = await RunAsync("--workspace", ws, "score", "--all", "--json", "--out", openOut);
        openCode.ShouldBe(0, openErr);
        var open = File.ReadAllLines(openOut).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("status").GetString()).ToList();
        open.Count.ShouldBe(statuses.Count(s => s == "open"));
        openErr.ShouldContain($"wrote {open.Count:N0} open lead(s) of {lines.Length:N0} (--status all writes every lead");
        var (badCode, _, badErr) = await RunAsync("--workspace", ws, "score", "--all", "--status", "done");
        badCode.ShouldBe(ExitCodes.Failure);
        badErr.Trim().ShouldBe("error: --status must be open, won, lost, closed or all, not 'done'");

        var (refused, _, why) = await RunAsync("--workspace", ws, "score", "--csv", TestPaths.BankMarketing);
        refused.ShouldBe(ExitCodes.Failure);
        why.ShouldContain("trained on the workspace");
        why.ShouldContain("score --all");
    }
}
