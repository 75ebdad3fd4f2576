using System.Text;
using LeadScore.Cli.Output;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Scoring;

/// <summary>score --out writes no live spreadsheet formulas, and one malformed row never takes a scoring run down.</summary>
public sealed class ScoreHardeningTests
{
    private static readonly string[] Hostile = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "@SUM(A1:A9)", "\uFF1D1+1", "-2+3"];

    private static async Task<string> FlatWorkspaceAsync(string dir)
    {
        var rng = new Random(5);
        var train = new StringBuilder("lead_id;visits;source;won\n");
        for (var i = 0; i < 400; i++)
        {
            var visits = rng.Next(0, 20);
            train.Append($"T{i};{visits};{new[] { "web", "event", "referral" }[rng.Next(3)]};{(rng.NextDouble() < visits / 20.0 ? "yes" : "no")}\n");
        }
        var path = Path.Combine(dir, "train.csv");
        await File.WriteAllTextAsync(path, train.ToString(), TestContext.Current.CancellationToken);
        var ws = Path.Combine(dir, "ws");
        var (code, _, err) = await CliErrorTests.RunAsync("--workspace", ws, "train", "--csv", path, "--target", "won", "--positive", "yes", "--sep", ";",
            "--id", "lead_id", "--algorithm", "logistic", "--time-budget", "0");
        code.ShouldBe(0, err);
        return ws;
    }

    [Fact]
    public async Task Score_out_csv_guards_lead_ids_that_a_spreadsheet_would_run_as_formulas()
    {
        var dir = TestPaths.NewTempDir();
        var ws = await FlatWorkspaceAsync(dir);
        var input = Path.Combine(dir, "hostile.csv");
        await File.WriteAllTextAsync(input, "lead_id;visits;source\n" + string.Concat(Hostile.Select((h, i) => $"\"{h.Replace("\"", "\"\"")}\";{i};web\n")),
            TestContext.Current.CancellationToken);
        var output = Path.Combine(dir, "scored.csv");

        var (code, _, err) = await CliErrorTests.RunAsync("--workspace", ws, "score", "--csv", input, "--sep", ";", "--id", "lead_id", "--explain", "--out", output);

        code.ShouldBe(0, err);
        var lines = File.ReadAllLines(output).Skip(1).ToList();
        lines.Count.ShouldBe(Hostile.Length);
        for (var i = 0; i < Hostile.Length; i++) lines[i].ShouldStartWith("\"'" + Hostile[i].Replace("\"", "\"\"") + "\",");
    }

    [Fact]
    public async Task Score_writer_guards_formula_reasons_and_ids_in_every_cell()
    {
        var results = Hostile.Select(h => new LeadScoreResult
        {
            LeadId = h, Probability = 0.5, Score = 50, Grade = "C", ModelVersion = "v1", ScoredAt = DateTimeOffset.UnixEpoch,
            Reasons = [new Reason { Feature = "f", Value = h, Contribution = 0.1, Points = 1, Text = h }],
        }).ToArray();
        var w = new StringWriter();

        await ScoreWriter.WriteAsync(One(results), w, ScoreOutputFormat.Csv, explain: true, top: 1, TestContext.Current.CancellationToken);

        var lines = w.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        for (var i = 0; i < Hostile.Length; i++)
        {
            var q = Hostile[i].Replace("\"", "\"\"");
            lines[i].ShouldStartWith($"\"'{q}\",");
            lines[i].ShouldContain($",\"'{q} (+1.0 pts)\"");
        }
    }

    [Fact]
    public async Task Score_csv_skips_a_malformed_row_with_a_warning_and_scores_the_rest()
    {
        var dir = TestPaths.NewTempDir();
        var ws = await FlatWorkspaceAsync(dir);
        var input = Path.Combine(dir, "mixed.csv");
        await File.WriteAllTextAsync(input, "lead_id;visits;source\nA;3;web\nB;4\nC;5;event;extra\nD;1;referral\n", TestContext.Current.CancellationToken);
        var output = Path.Combine(dir, "scored.csv");

        var (code, _, err) = await CliErrorTests.RunAsync("--workspace", ws, "score", "--csv", input, "--sep", ";", "--id", "lead_id", "--out", output);

        code.ShouldBe(0, err);
        File.ReadAllLines(output).Skip(1).Select(l => l.Split(',')[0]).ShouldBe(["A", "D"]);
        err.ShouldContain($"warning: {input}:3: expected 3 fields, found 2");
        err.ShouldContain($"warning: {input}:4: expected 3 fields, found 4");
        err.ShouldContain("skipped 2 malformed row(s)");
    }

    [Fact]
    public async Task Score_csv_pipelined_in_small_chunks_gives_every_row_in_file_order_as_one_chunk_does()
    {
        // Given a file of 60 leads with malformed rows here and there (a chunk of 7 rows never lines up with them)
        var dir = TestPaths.NewTempDir();
        var ws = await FlatWorkspaceAsync(dir);
        var rng = new Random(8);
        var text = new StringBuilder("lead_id;visits;source\n");
        for (var i = 0; i < 60; i++)
            text.Append(i % 13 == 5 ? $"X{i};1\n" : $"L{i};{rng.Next(0, 20)};{new[] { "web", "event", "referral", "" }[rng.Next(4)]}\n");
        var input = Path.Combine(dir, "leads.csv");
        await File.WriteAllTextAsync(input, text.ToString(), TestContext.Current.CancellationToken);
        await using var store = await LeadScore.Storage.LeadStore.OpenAsync(ws, ct: TestContext.Current.CancellationToken);
        var model = await Application.Scoring.BatchScoring.LoadModelAsync(store, null, TestContext.Current.CancellationToken);

        // When it is scored with reasons in chunks of 7 (read, scored and written side by side) and in one chunk
        List<LeadScoreResult> Run(int chunkRows, Application.Scoring.SkippedRows skipped, List<double>? progress) =>
            Application.Scoring.BatchScoring.ScoreCsvRows(model, input, new Application.Scoring.BatchCsvOptions { Separator = ';', IdColumn = "lead_id", ChunkRows = chunkRows, Skipped = skipped },
                explain: true, top: 2, progress is null ? null : new Collect(progress), TestContext.Current.CancellationToken).SelectMany(c => c.Results).ToList();
        var smallSkipped = new Application.Scoring.SkippedRows();
        var progress = new List<double>();
        var small = Run(7, smallSkipped, progress);
        var oneSkipped = new Application.Scoring.SkippedRows();
        var one = Run(10_000, oneSkipped, null);

        // Then the same rows in file order, the same scores and reasons, the same skipped rows; progress rises to 1
        var expected = Enumerable.Range(0, 60).Where(i => i % 13 != 5).Select(i => $"L{i}").ToList();
        small.Select(r => r.LeadId).ShouldBe(expected);
        one.Select(r => r.LeadId).ShouldBe(expected);
        for (var i = 0; i < small.Count; i++)
        {
            small[i].Probability.ShouldBe(one[i].Probability);
            small[i].Grade.ShouldBe(one[i].Grade);
            small[i].Reasons.Select(x => (x.Text, x.Points)).ShouldBe(one[i].Reasons.Select(x => (x.Text, x.Points)));
        }
        small.ShouldContain(r => r.Reasons.Count > 0);
        smallSkipped.Count.ShouldBe(5);
        smallSkipped.First.ShouldBe(oneSkipped.First);
        progress.ShouldBe(progress.Order().ToList());
        progress[^1].ShouldBe(1);
    }

    private sealed class Collect(List<double> into) : IProgress<double>
    {
        public void Report(double value) => into.Add(value);
    }

    private static async IAsyncEnumerable<LeadScoreResult[]> One(LeadScoreResult[] chunk)
    {
        await Task.Yield();
        yield return chunk;
    }
}
