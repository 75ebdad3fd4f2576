using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Cluster;

/// <summary>
/// The reference topology from <c>scripts/cluster.sh</c>: PostgreSQL, three <c>leadscore serve</c> processes and HAProxy.
/// Scoring and ingestion run through the balancer while the instance running a training job is killed with SIGKILL.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFailoverTests
{
    private const int Clients = 4;
    private const int Requests = 300;

    [Fact]
    public async Task Killing_an_instance_under_load_loses_no_acknowledged_write_and_its_job_is_finished_by_another()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = await ClusterScript.UpAsync(3, ct);
        try
        {
            await using var store = await LeadStore.OpenAsync(TestPaths.NewTempDir(), cluster.Database, ct);
            using var lb = new HttpClient { BaseAddress = new Uri(cluster.Url), Timeout = TimeSpan.FromSeconds(30) };
            lb.DefaultRequestHeaders.Add("X-Api-Key", cluster.Key);

            // A slow training job, so one instance is in the middle of it when it dies.
            var train = await PostJsonAsync(lb, "/api/v1/train", """{"algorithm":"auto","time_budget_seconds":6,"seed":5}""", ct);
            train.StatusCode.ShouldBe(HttpStatusCode.Accepted, await train.Content.ReadAsStringAsync(ct));
            var trainJob = train.Headers.Location!.ToString().Split('/')[^1];

            var outcomes = new ConcurrentBag<Outcome>();
            var ingested = 0;
            var load = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                for (var i = c; i < Requests; i += Clients)
                {
                    var id = string.Create(CultureInfo.InvariantCulture, $"CL-{i:D4}");
                    outcomes.Add(await SendAsync("ingest", id, () => PostJsonAsync(lb, "/api/v1/leads",
                        $$"""{"lead_id":"{{id}}","created_at":"2026-11-20","industry":"Software","company_size":"51-200","source":"webinar"}""", ct)));
                    Interlocked.Increment(ref ingested);
                    outcomes.Add(await SendAsync("score", null, () => PostJsonAsync(lb, "/api/v1/score", """{"attributes":{"visits":4,"source":"webinar"}}""", ct)));
                    if (i % 3 == 0) outcomes.Add(await SendAsync("get", null, () => lb.GetAsync("/api/v1/leads?limit=5", ct)));
                }
            }, ct)).ToList();

            // In the middle of the load, SIGKILL the instance that holds the training job.
            JobRecord? running = null;
            while (Volatile.Read(ref ingested) < Requests / 4 || (running = await store.GetJobAsync(trainJob, ct))!.Status != JobStatus.Running)
            {
                load.Any(t => t.IsCompleted).ShouldBeFalse("the load finished before the training job started: nothing was killed in the middle");
                await Task.Delay(20, ct);
            }
            var victim = cluster.Instances.Single(p => running!.LeaseOwner!.Contains($"-{p.Pid}-", StringComparison.Ordinal));
            TestProcesses.Signal(victim.Pid, TestProcesses.SigKill).ShouldBe(0);
            var inFlightAtKill = Volatile.Read(ref ingested);
            await Task.WhenAll(load);
            inFlightAtKill.ShouldBeLessThan(Requests, "the kill happened while load was still running");

            // Errors only for requests in flight on the killed instance; retried reads all succeed.
            var failed = outcomes.Where(o => !o.Ok).ToList();
            failed.Count.ShouldBeLessThanOrEqualTo(Clients, string.Join("; ", failed.Select(f => f.ToString())));
            failed.Where(f => f.Kind == "get").ShouldBeEmpty();
            // Every acknowledged ingestion is stored.
            foreach (var o in outcomes.Where(o => o.Kind == "ingest" && o.Ok))
                (await store.GetLeadAsync(o.Id!, ct)).ShouldNotBeNull(o.Id);

            // The dead instance's job is finished by another once its lease expired: claimed twice, completed once.
            var done = await WaitForJobAsync(lb, trainJob, ct);
            done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());
            done.GetProperty("attempts").GetInt32().ShouldBe(2);

            // A promotion re-scores every lead in ranges the surviving instances share; each lead exactly once.
            var version = done.GetProperty("result").GetProperty("version").GetString()!;
            // If the new model became champion, its own re-score runs first (its ranges score with whatever is champion then).
            if (done.GetProperty("result").TryGetProperty("rescore_job", out var own))
                (await WaitForJobAsync(lb, own.GetString()!, ct)).GetProperty("status").GetString().ShouldBe("succeeded");
            var champion = await store.GetAliasAsync(ModelAliases.Champion, ct);
            var target = champion == version ? "v1" : version;
            var promotedAt = DateTimeOffset.UtcNow.AddSeconds(-1);
            var promote = await lb.PostAsync($"/api/v1/models/{target}/promote", null, ct);
            promote.StatusCode.ShouldBe(HttpStatusCode.OK, await promote.Content.ReadAsStringAsync(ct));
            var rescoreJob = JsonDocument.Parse(await promote.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("rescore_job").GetString()!;
            var rescore = await WaitForJobAsync(lb, rescoreJob, ct);
            rescore.GetProperty("status").GetString().ShouldBe("succeeded", rescore.ToString());
            var ranges = rescore.GetProperty("result").GetProperty("ranges").GetInt32();
            ranges.ShouldBeGreaterThan(1);
            for (var r = 0; r < ranges; r++)
            {
                var range = (await store.GetJobAsync(string.Create(CultureInfo.InvariantCulture, $"{rescoreJob}-a1-r{r:D3}"), ct)).ShouldNotBeNull();
                range.Status.ShouldBe(JobStatus.Succeeded);
                range.Attempts.ShouldBe(1);
            }
            var leads = new List<string>();
            await foreach (var lead in store.StreamLeadsAsync(ct)) if (!lead.ProfilingOptOut) leads.Add(lead.Id);
            rescore.GetProperty("result").GetProperty("rescored").GetInt32().ShouldBe(leads.Count);
            foreach (var id in leads)
                (await store.GetScoreHistoryAsync(id, ct)).Count(s => s.Cause == ScoreCause.NewModel && s.ModelVersion == target && s.ScoredAt >= promotedAt)
                    .ShouldBe(1, id);

            // The API keeps answering through the balancer.
            (await lb.GetAsync("/health/ready", ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await lb.GetAsync("/api/v1/leads?limit=5", ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await cluster.DownAsync(CancellationToken.None);
        }
        // `down` leaves nothing behind: no instance, no balancer, no database.
        foreach (var pid in cluster.Instances.Select(i => i.Pid).Append(cluster.HaproxyPid)) ClusterScript.IsAlive(pid).ShouldBeFalse($"process {pid}");
        ClusterScript.Listening(cluster.PgPort).ShouldBeFalse("PostgreSQL still listens");
        Directory.Exists(cluster.State).ShouldBeFalse();
    }

    [Fact]
    public async Task Instances_go_not_ready_while_PostgreSQL_restarts_and_recover_by_themselves_without_losing_acknowledged_writes()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = await ClusterScript.UpAsync(2, ct);
        try
        {
            using var lb = new HttpClient { BaseAddress = new Uri(cluster.Url), Timeout = TimeSpan.FromSeconds(30) };
            lb.DefaultRequestHeaders.Add("X-Api-Key", cluster.Key);
            var acknowledged = new ConcurrentBag<string>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var load = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var id = string.Create(CultureInfo.InvariantCulture, $"PG-{i:D5}");
                    var o = await SendAsync("ingest", id, () => PostJsonAsync(lb, "/api/v1/leads",
                        $$"""{"lead_id":"{{id}}","created_at":"2026-11-20","industry":"Software","company_size":"51-200","source":"webinar"}""", CancellationToken.None));
                    if (o.Ok) acknowledged.Add(id);
                    await Task.Delay(20, CancellationToken.None);
                }
            }, CancellationToken.None);
            while (acknowledged.Count < 20) await Task.Delay(50, ct);

            await cluster.PgAsync("stop", ct);
            // Every instance reports not-ready while its database is gone.
            foreach (var instance in cluster.Instances)
                (await WaitForReadyAsync(instance.Url, HttpStatusCode.ServiceUnavailable, ct)).ShouldBeTrue($"{instance.Url} stayed ready without its database");
            await cluster.PgAsync("start", ct);
            // ... and ready again once it is back, without a restart.
            foreach (var instance in cluster.Instances)
                (await WaitForReadyAsync(instance.Url, HttpStatusCode.OK, ct)).ShouldBeTrue($"{instance.Url} did not recover");
            var before = acknowledged.Count;
            while (acknowledged.Count < before + 20) await Task.Delay(50, ct);
            await stop.CancelAsync();
            await load;

            await using var store = await LeadStore.OpenAsync(TestPaths.NewTempDir(), cluster.Database, ct);
            foreach (var id in acknowledged) (await store.GetLeadAsync(id, ct)).ShouldNotBeNull(id);
        }
        finally
        {
            await cluster.DownAsync(CancellationToken.None);
        }
    }

    private static async Task<bool> WaitForReadyAsync(string url, HttpStatusCode wanted, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(45))
        {
            try
            {
                using var r = await client.GetAsync("/health/ready", ct);
                if (r.StatusCode == wanted) return true;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            await Task.Delay(200, ct);
        }
        return false;
    }

    private sealed record Outcome(string Kind, string? Id, int? Status, string? Error)
    {
        public bool Ok => Status is >= 200 and < 300;
    }

    private static async Task<Outcome> SendAsync(string kind, string? id, Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            using var r = await send();
            return new Outcome(kind, id, (int)r.StatusCode, null);
        }
        catch (HttpRequestException ex)
        {
            return new Outcome(kind, id, null, ex.Message);
        }
    }

    private static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, string body, CancellationToken ct) =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), ct);

    private static async Task<JsonElement> WaitForJobAsync(HttpClient client, string id, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var job = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{id}", ct)).RootElement;
            if (job.GetProperty("status").GetString() is "succeeded" or "failed") return job;
            deadline.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), $"job {id} did not finish: {job}");
            await Task.Delay(200, ct);
        }
    }
}

/// <summary>Runs <c>scripts/cluster.sh</c> with the test build of the CLI and short leases, on ports free right now.</summary>
internal sealed record ClusterScript(string Url, string Key, IReadOnlyList<ClusterInstance> Instances, string Database, int HaproxyPid, string State, int PgPort)
{
    private static string Script => Path.Combine(TestPaths.RepoRoot, "scripts", "cluster.sh");

    public static async Task<ClusterScript> UpAsync(int instances, CancellationToken ct, int leads = 400)
    {
        // Fixed ports below 32768 (outgoing connections take ephemeral ones), free when chosen.
        var ports = FreeLowPorts(instances + 2);
        var state = Path.Combine(Path.GetTempPath(), "leadscore-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        var env = new Dictionary<string, string>
        {
            ["CLUSTER_PG_PORT"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["CLUSTER_LB_PORT"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["CLUSTER_BASE_PORT"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["LEADSCORE_DLL"] = Path.Combine(AppContext.BaseDirectory, "leadscore.dll"),
            ["LeadScore__Jobs__Lease"] = "00:00:03",
            ["LeadScore__Jobs__PollInterval"] = "00:00:00.200",
            ["LeadScore__Jobs__RescoreRangeSize"] = "60",
            ["LeadScore__Maintenance__ChampionReloadInterval"] = "00:00:00.500",
            ["LeadScore__RateLimit__PermitsPerSecond"] = "100000",
        };
        string output;
        try
        {
            output = await RunAsync(["up", instances.ToString(CultureInfo.InvariantCulture), "--state", state, "--leads", leads.ToString(CultureInfo.InvariantCulture)], env, ct);
        }
        catch
        {
            // Whatever `up` started before it failed or was stopped is recorded in the state dir.
            if (Directory.Exists(state)) await RunAsync(Script, ["down", "--state", state], new Dictionary<string, string>(), CancellationToken.None);
            throw;
        }
        var json = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        return new ClusterScript(
            json.GetProperty("url").GetString()!,
            json.GetProperty("key").GetString()!,
            json.GetProperty("instances").EnumerateArray().Select(i => new ClusterInstance(i.GetProperty("pid").GetInt32(), i.GetProperty("url").GetString()!)).ToList(),
            json.GetProperty("database").GetString()!,
            json.GetProperty("haproxy_pid").GetInt32(),
            state,
            ports[0]);
    }

    /// <summary>Stops or starts the cluster's PostgreSQL in place (same data dir and port).</summary>
    public Task PgAsync(string command, CancellationToken ct) =>
        RunAsync(Path.Combine(TestPaths.RepoRoot, "scripts", "pg.sh"), [command, Path.Combine(State, "pg"), PgPort.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string>(), ct);

    public Task DownAsync(CancellationToken ct) => RunAsync(Script, ["down", "--state", State], new Dictionary<string, string>(), ct);

    /// <summary>Alive and not a zombie (a killed instance is nobody's child here, so it may linger unreaped).</summary>
    public static bool IsAlive(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (!File.Exists(status)) return false;
        try { return !File.ReadAllLines(status).Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal)); }
        catch (IOException) { return false; }
    }

    public static bool Listening(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static List<int> FreeLowPorts(int n)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var start = Random.Shared.Next(20_000, 32_000 - n);
            var ports = Enumerable.Range(start, n).ToList();
            if (ports.All(Free)) return ports;
        }
        throw new InvalidOperationException("no free port range below 32768");

        static bool Free(int port)
        {
            try
            {
                using var l = new TcpListener(IPAddress.Loopback, port);
                l.Start();
                return true;
            }
            catch (SocketException) { return false; }
        }
    }

    private static Task<string> RunAsync(string[] args, Dictionary<string, string> env, CancellationToken ct) => RunAsync(Script, args, env, ct);

    private static async Task<string> RunAsync(string script, string[] args, Dictionary<string, string> env, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // A bound against a hung script, not a timing check: a loaded 2-core machine needs well under it.
        timeout.CancelAfter(TimeSpan.FromSeconds(300));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"cluster.sh {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}");
        return await stdout;
    }
}

internal sealed record ClusterInstance(int Pid, string Url);

/// <summary>
/// Tests that start several real server processes: run one at a time and apart from every other test, so on a 2-core
/// machine they neither starve each other nor the rest of the suite.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster processes";
}
