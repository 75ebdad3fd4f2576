using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Jobs;

namespace LeadScore.Cli.Commands;

/// <summary>
/// Runs the re-scoring job a champion change queued, here and now, with a progress display: the CLI's way of waiting for
/// the same job a server would run. If a server instance on the same database claimed it first, it runs there.
/// The job cuts the leads into lead-id ranges (<c>rescore-range</c> jobs); run here, it works through every range itself,
/// and servers on the same database take some of them, which it then waits for.
/// </summary>
internal static class RescoreStep
{
    public static async Task RunAsync(CliHost host, string? jobId, string version, CliConsole console, CancellationToken ct)
    {
        if (jobId is null) return;
        var jobs = host.Get<JobRunner>();
        var done = await console.StepAsync($"scoring every lead with {version}", p => jobs.RunNowAsync(jobId, p, ct));
        if (done is null)
        {
            console.Log($"re-scoring job {jobId} is running on a server instance");
            return;
        }
        if (done.Status != Storage.JobStatus.Succeeded) throw new Core.LeadScoreException($"re-scoring failed: {done.Message}", "rescore");
        var result = JsonSerializer.Deserialize(done.ResultJson ?? "{}", JobJsonContext.Default.RescoreJobResult);
        console.Log(string.Create(CultureInfo.InvariantCulture, $"scored {result?.Rescored ?? 0:N0} leads with {result?.ModelVersion ?? version}"));
    }
}
