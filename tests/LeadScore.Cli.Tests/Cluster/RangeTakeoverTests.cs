using System.Diagnostics;
using System.Text.Json;
using LeadScore.Application.Jobs;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Cluster;

/// <summary>
/// A real <c>leadscore serve</c> process killed with SIGKILL in the middle of a re-scoring range, on PostgreSQL: another
/// instance takes the range over after the lease and resumes after the range's checkpoint, so no lead is scored twice.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RangeTakeoverTests
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["LeadScore__Jobs__RescoreRangeSize"] = "1000000", // one range: the whole re-score is the range that is killed
        ["LeadScore__Jobs__RescoreCheckpointEvery"] = "50",
    };

    [Fact]
    public async Task A_range_whose_instance_is_killed_mid_way_is_finished_by_another_from_its_checkpoint_each_lead_scored_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var (cs, key, ids) = await ClusterData.SeedAsync(3000, 23, "range-takeover", ct);
        await using var store = await LeadStore.OpenAsync(TestPaths.NewTempDir(), cs, ct);
        var a = TwoInstanceTests.Instance.Start(cs, Settings);
        TwoInstanceTests.Instance? b = null;
        try
        {
            // Given instance a trains the first model, whose promotion queues a re-score that a's worker runs
            using var ca = await a.ClientAsync(key, ct);
            var train = await TwoInstanceTests.WaitForJobAsync(ca,
                await TwoInstanceTests.StartTrainingAsync(ca, """{"algorithm":"logistic","time_budget_seconds":1,"seed":3}""", ct), ct);
            train.GetProperty("status").GetString().ShouldBe("succeeded", train.ToString());
            var rescore = train.GetProperty("result").GetProperty("rescore_job").GetString()!;
            var rangeId = $"{rescore}-a1-r000";

            // When a is killed (SIGKILL) once the range has committed its first checkpoints
            var watching = Stopwatch.StartNew();
            JobRecord? range;
            while ((range = await store.GetJobAsync(rangeId, ct)) is not { Status: JobStatus.Running, Checkpoint: not null })
            {
                range?.Status.ShouldNotBe(JobStatus.Succeeded, "the range finished before it could be killed mid-way");
                watching.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(90), $"range {rangeId} never checkpointed: {range}");
                await Task.Delay(20, ct);
            }
            a.Kill();
            var left = (await store.GetJobAsync(rangeId, ct))!;
            left.Status.ShouldBe(JobStatus.Running);
            var atKill = JsonSerializer.Deserialize(left.Checkpoint!, JobJsonContext.Default.RescoreRangeCheckpoint)!;
            atKill.Scored.ShouldBeInRange(50, ids.Count - 1, "killed in the middle of the range");

            // Then instance b takes the parent and the range over after the lease and finishes from the checkpoint
            b = TwoInstanceTests.Instance.Start(cs, Settings);
            using var cb = await b.ClientAsync(key, ct);
            var done = await TwoInstanceTests.WaitForJobAsync(cb, rescore, ct, TimeSpan.FromMinutes(3));
            done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());
            var finished = (await store.GetJobAsync(rangeId, ct))!;
            finished.Status.ShouldBe(JobStatus.Succeeded);
            finished.Attempts.ShouldBe(2);
            var result = JsonSerializer.Deserialize(finished.ResultJson!, JobJsonContext.Default.RescoreJobResult)!;
            var twice = new List<string>();
            var scored = 0;
            foreach (var id in ids)
            {
                var n = (await store.GetScoreHistoryAsync(id, ct)).Count(s => s.Cause == ScoreCause.NewModel);
                if (n > 1) twice.Add(id);
                scored += n;
            }
            twice.ShouldBeEmpty("no lead is scored twice after the takeover");
            scored.ShouldBe(result.Rescored, "the range's count covers both attempts");
            result.Rescored.ShouldBeGreaterThan(atKill.Scored);
        }
        finally
        {
            a.Kill();
            b?.Kill();
        }
    }
}
