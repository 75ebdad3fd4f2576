using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Cluster;

/// <summary>
/// Two real <c>leadscore serve</c> processes on one PostgreSQL database, as in production behind a load balancer: a job
/// queued through one runs exactly once; when the instance running a job is killed, the other takes it over once the
/// lease expires; a promotion through one is served by the other within seconds.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TwoInstanceTests
{
    [Fact]
    public async Task Two_instances_share_jobs_take_over_a_dead_ones_job_and_serve_each_others_promotions()
    {
        var ct = TestContext.Current.CancellationToken;
        var (cs, key, _) = await ClusterData.SeedAsync(800, 21, "cluster-test", ct);
        var a = Instance.Start(cs);
        var b = Instance.Start(cs);
        await using var store = await LeadStore.OpenAsync(TestPaths.NewTempDir(), cs, ct);
        try
        {
            using var ca = await a.ClientAsync(key, ct);
            using var cb = await b.ClientAsync(key, ct);

            // 1. A training job queued through A runs exactly once (either instance may claim it); B reports it.
            var first = await StartTrainingAsync(ca, """{"algorithm":"logistic","time_budget_seconds":1,"seed":3}""", ct);
            var done = await WaitForJobAsync(cb, first, ct);
            done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());
            done.GetProperty("attempts").GetInt32().ShouldBe(1);
            var v1 = done.GetProperty("result").GetProperty("version").GetString()!;
            var rescore = done.GetProperty("result").GetProperty("rescore_job").GetString()!;
            (await WaitForJobAsync(ca, rescore, ct)).GetProperty("attempts").GetInt32().ShouldBe(1);
            (await store.ListModelsAsync(ct)).Select(m => m.Version).ShouldBe([v1]);
            // Re-scoring ran once: every lead has exactly one "new model" score.
            foreach (var id in new[] { "L000001", "L000100", "L000500" })
                (await store.GetScoreHistoryAsync(id, ct)).Count(s => s.Cause == ScoreCause.NewModel).ShouldBe(1, id);

            // 2. A promotion through A is served by B within seconds.
            var second = await WaitForJobAsync(cb, await StartTrainingAsync(cb, """{"algorithm":"fastforest","time_budget_seconds":1,"seed":4}""", ct), ct);
            var v2 = second.GetProperty("result").GetProperty("version").GetString()!;
            var target = (await store.GetAliasAsync(ModelAliases.Champion, ct)) == v2 ? v1 : v2;
            (await ca.PostAsync($"/api/v1/models/{target}/promote", null, ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
            var promotedAt = Stopwatch.StartNew();
            while ((await ReadyChampionAsync(cb, ct)) != target)
            {
                promotedAt.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), "B did not serve the promotion made through A");
                await Task.Delay(100, ct);
            }

            // 3. Kill the instance running a job: the other takes it over after the lease expires and finishes it.
            var slow = await StartTrainingAsync(ca, """{"algorithm":"auto","time_budget_seconds":6,"seed":5}""", ct);
            JobRecord running;
            while ((running = (await store.GetJobAsync(slow, ct))!).Status != JobStatus.Running) await Task.Delay(50, ct);
            var owner = running.LeaseOwner!;
            var victim = owner.Contains($"-{a.Pid}-", StringComparison.Ordinal) ? a : b;
            var survivor = victim == a ? b : a;
            victim.Kill();
            using var cs2 = await survivor.ClientAsync(key, ct);
            var taken = await WaitForJobAsync(cs2, slow, ct, TimeSpan.FromMinutes(2));
            taken.GetProperty("status").GetString().ShouldBe("succeeded", taken.ToString());
            taken.GetProperty("attempts").GetInt32().ShouldBe(2);
            (await store.GetJobAsync(slow, ct))!.LeaseOwner.ShouldBeNull();
            (await store.ListModelsAsync(ct)).Count.ShouldBe(3, "the dead instance's run registered nothing; the survivor's run registered one model");
        }
        finally
        {
            a.Kill();
            b.Kill();
        }
    }

    internal static async Task<string> StartTrainingAsync(HttpClient client, string body, CancellationToken ct)
    {
        var r = await client.PostAsync("/api/v1/train", new StringContent(body, Encoding.UTF8, "application/json"), ct);
        r.StatusCode.ShouldBe(HttpStatusCode.Accepted, await r.Content.ReadAsStringAsync(ct));
        return r.Headers.Location!.ToString().Split('/')[^1];
    }

    internal static async Task<JsonElement> WaitForJobAsync(HttpClient client, string id, CancellationToken ct, TimeSpan? within = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var job = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{id}", ct)).RootElement;
            if (job.GetProperty("status").GetString() is "succeeded" or "failed") return job;
            deadline.Elapsed.ShouldBeLessThan(within ?? TimeSpan.FromSeconds(90), $"job {id} did not finish: {job}");
            await Task.Delay(200, ct);
        }
    }

    private static async Task<string?> ReadyChampionAsync(HttpClient client, CancellationToken ct)
    {
        using var r = await client.GetAsync("/health/ready", ct);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("champion").GetString();
    }

    /// <summary>One <c>leadscore serve</c> process with short leases and polls, so takeovers and promotions show within seconds.</summary>
    internal sealed class Instance
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();

        private Instance(Process process, string url)
        {
            _process = process;
            Url = url;
            process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Url { get; }
        public int Pid => _process.Id;

        /// <param name="settings">More environment settings (<c>LeadScore__Jobs__...</c>) for this process.</param>
        public static Instance Start(string database, IReadOnlyDictionary<string, string>? settings = null)
        {
            var url = $"http://127.0.0.1:{TestProcesses.FreePort()}";
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "leadscore.dll"), "serve", "--database", database, "--urls", url, "--workspace", TestPaths.NewTempDir() })
                psi.ArgumentList.Add(arg);
            psi.Environment["LeadScore__Jobs__Lease"] = "00:00:03";
            psi.Environment["LeadScore__Jobs__PollInterval"] = "00:00:00.200";
            psi.Environment["LeadScore__Maintenance__ChampionReloadInterval"] = "00:00:00.500";
            psi.Environment["LeadScore__ApiKeyCacheTtl"] = "00:00:00";
            foreach (var (k, v) in settings ?? new Dictionary<string, string>()) psi.Environment[k] = v;
            return new Instance(Process.Start(psi)!, url);
        }

        public async Task<HttpClient> ClientAsync(string key, CancellationToken ct)
        {
            var client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            var started = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    if ((await client.GetAsync("/health/live", ct)).IsSuccessStatusCode) return client;
                }
                catch (HttpRequestException) { }
                if (_process.HasExited || started.Elapsed > TimeSpan.FromSeconds(60))
                {
                    string log;
                    lock (_log) log = _log.ToString();
                    throw new InvalidOperationException($"instance on {Url} did not start: {log}");
                }
                await Task.Delay(100, ct);
            }
        }

        /// <summary>SIGKILL: no graceful shutdown, the lease is left to expire.</summary>
        public void Kill()
        {
            if (_process.HasExited) return;
            _ = TestProcesses.Signal(_process.Id, TestProcesses.SigKill);
            _process.WaitForExit(10_000);
        }
    }
}
