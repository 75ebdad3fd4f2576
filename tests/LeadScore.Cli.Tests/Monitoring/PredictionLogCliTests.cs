using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Monitoring;

/// <summary><c>leadscore score --csv</c> logs every row it scores before the command exits.</summary>
public sealed class PredictionLogCliTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await CliApp.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Score_csv_logs_each_row_with_source_batch_and_the_champion_slot()
    {
        var ws = TestPaths.NewTempDir("ws");
        var train = Path.Combine(ws, "bank-train.csv");
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllLinesAsync(train, File.ReadLines(TestPaths.BankMarketing).Where((_, i) => i == 0 || i % 10 == 0).Take(2001), ct);
        var (code, _, err) = await RunAsync("--workspace", ws, "train", "--csv", train, "--target", "y", "--sep", ";", "--exclude", "duration",
            "--algorithm", "logistic", "--time-budget", "0", "--max-trials", "0");
        code.ShouldBe(0, err);
        var toScore = Path.Combine(ws, "to-score.csv");
        await File.WriteAllLinesAsync(toScore, File.ReadLines(TestPaths.BankMarketing).Take(1 + 700), ct);

        (code, _, err) = await RunAsync("--workspace", ws, "score", "--csv", toScore, "--sep", ";", "--out", Path.Combine(ws, "out.csv"));

        code.ShouldBe(0, err);
        await using var store = await LeadStore.OpenAsync(ws, null, ct);
        var logged = new List<LoggedPrediction>();
        await foreach (var p in store.StreamPredictionsAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow.AddDays(1), ct: ct)) logged.Add(p);
        logged.Count.ShouldBe(700);
        logged.ShouldAllBe(p => p.Source == PredictionSources.Batch && p.Slot == PredictionSlots.Champion && p.ModelVersion == "v1" && p.Features != null);
        logged.ShouldAllBe(p => p.LeadId == null, "bank rows have no id column: a row number is no lead id");
        var reference = Engine.Scoring.ModelReference.Read((await store.GetModelArtifactAsync("v1", ct))!).ShouldNotBeNull("train keeps the reference in the artifact");
        reference.TrainingRows.ShouldBeGreaterThan(1000);
        reference.SampleRows.ShouldBe(Math.Min(reference.TrainingRows, Engine.Scoring.ModelReference.MaxSampleRows));
        var scored = File.ReadLines(Path.Combine(ws, "out.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        logged.Select(p => p.Probability).Zip(scored).ShouldAllBe(x => Math.Abs(x.First - x.Second) < 1e-6);
    }
}
