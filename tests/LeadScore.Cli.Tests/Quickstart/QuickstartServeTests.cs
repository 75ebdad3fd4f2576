using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Quickstart;

/// <summary>
/// The quickstart as a user runs it: the real CLI in its own process serves the API, and the curl command it prints,
/// pasted into a shell as is, returns a score. Then SIGTERM stops it gracefully.
/// </summary>
public sealed class QuickstartServeTests
{
    [Fact]
    public async Task Quickstart_serves_and_the_printed_curl_command_returns_a_score()
    {
        var ct = TestContext.Current.CancellationToken;
        var ws = TestPaths.NewTempDir();
        var url = $"http://127.0.0.1:{TestProcesses.FreePort()}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "leadscore.dll"), "quickstart", "--leads", "1500", "--time-budget", "5", "--workspace", ws, "--urls", url })
            psi.ArgumentList.Add(a);
        using var cli = Process.Start(psi)!;
        var stderr = cli.StandardError.ReadToEndAsync(ct);
        try
        {
            // When the CLI prints the curl command and then says it is serving
            string? curl = null, serving = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            while (serving is null && await cli.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.TrimStart().StartsWith("curl ", StringComparison.Ordinal)) curl = line.Trim();
                if (line.StartsWith("Serving on ", StringComparison.Ordinal)) serving = line;
            }
            serving.ShouldNotBeNull($"the quickstart never served; stderr: {(cli.HasExited ? await stderr : "")}");
            curl.ShouldNotBeNull();
            curl.ShouldContain($"{url}/api/v1/score");
            var drain = cli.StandardOutput.ReadToEndAsync(ct);

            // Then the command, run by a shell exactly as printed, answers a score with grade and reasons
            var sh = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
            sh.ArgumentList.Add("-c");
            sh.ArgumentList.Add(curl);
            using var shell = Process.Start(sh)!;
            var answer = await shell.StandardOutput.ReadToEndAsync(ct);
            await shell.WaitForExitAsync(ct);
            shell.ExitCode.ShouldBe(0);
            var json = JsonDocument.Parse(answer).RootElement;
            json.GetProperty("score").GetInt32().ShouldBeInRange(0, 100);
            "ABCD".ShouldContain(json.GetProperty("grade").GetString()!);
            json.GetProperty("model_version").GetString().ShouldBe("v1");
            json.GetProperty("reasons").GetArrayLength().ShouldBeGreaterThan(0);

            // And SIGTERM shuts it down gracefully
            TestProcesses.Signal(cli.Id, TestProcesses.SigTerm).ShouldBe(0);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stop.CancelAfter(TimeSpan.FromSeconds(30));
            await cli.WaitForExitAsync(stop.Token);
            cli.ExitCode.ShouldBe(0, await stderr);
            await drain;
            using var client = new HttpClient();
            await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync($"{url}/health/live", ct));
        }
        finally
        {
            if (!cli.HasExited) cli.Kill(entireProcessTree: true);
        }
    }
}
