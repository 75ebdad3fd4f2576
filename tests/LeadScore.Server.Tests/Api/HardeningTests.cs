using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>Bad requests of every kind get a bounded, ProblemDetails answer and cost the server nothing lasting (issue 18, items 3, 5, 14).</summary>
public sealed class HardeningTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static ByteArrayContent Raw(byte[] bytes)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.ContentType = new("application/json");
        return c;
    }

    private static ByteArrayContent Raw(string text) => Raw(Encoding.UTF8.GetBytes(text));

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage r)
    {
        r.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
    }

    private static int SeriesCount(string metrics) =>
        metrics.Split('\n').Count(l => l.StartsWith("leadscore_http_request_duration_seconds_count{", StringComparison.Ordinal));

    [Fact]
    public async Task Made_up_methods_and_paths_do_not_grow_the_metrics()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = app.CreateClient();
        using var scraper = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Metrics));
        var rng = new Random(18_5);
        // Warm up every label value a normal client can reach, so the count after shows only what junk adds.
        foreach (var m in new[] { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW" })
            foreach (var p in new[] { "/api/v1/leads", "/nowhere", "/api/v1/leads/x" })
                using (await client.SendAsync(new HttpRequestMessage(new HttpMethod(m), p))) { }
        var before = SeriesCount(await scraper.GetStringAsync("/metrics"));

        for (var i = 0; i < 2000; i++)
        {
            var method = new string(Enumerable.Range(0, rng.Next(3, 12)).Select(_ => (char)('A' + rng.Next(26))).ToArray());
            var path = "/" + Guid.NewGuid().ToString("N")[..rng.Next(4, 20)] + (rng.Next(2) == 0 ? "/api/v1/leads/" + i : "");
            using var r = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        }
        var text = await scraper.GetStringAsync("/metrics");
        var after = SeriesCount(text);

        after.ShouldBeLessThanOrEqualTo(before + 2, "junk requests must land in existing series");
        text.ShouldContain("method=\"other\"");
        text.Split('\n').Where(l => l.StartsWith("leadscore_http_request_duration_seconds_count{", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("method=\"", StringComparison.Ordinal) + 8)..].Split('"')[0]).Distinct()
            .ShouldBeSubsetOf(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other"]);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Many_wrong_keys_from_one_address_get_429_with_retry_after_and_valid_keys_still_work(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, o =>
        {
            o.FailedAuthLimit.PermitsPerSecond = 1;
            o.FailedAuthLimit.Burst = 5;
        });
        using var valid = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));
        (await valid.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.OK);

        HttpResponseMessage? limited = null;
        var unauthorized = 0;
        for (var i = 0; i < 30 && limited is null; i++)
        {
            using var wrong = app.CreateClient($"lsk_wrong-{i}");
            var r = await wrong.GetAsync("/api/v1/leads");
            if (r.StatusCode == HttpStatusCode.TooManyRequests) limited = r;
            else { r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized); unauthorized++; }
        }

        limited.ShouldNotBeNull("wrong keys must be rate limited");
        unauthorized.ShouldBeGreaterThanOrEqualTo(5);
        limited.Headers.RetryAfter.ShouldNotBeNull();
        (await ProblemAsync(limited)).GetProperty("status").GetInt32().ShouldBe(429);
        (await valid.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.OK, "a key seen valid before is not locked out");
    }

    public static TheoryData<string, string> InvalidTextBodies()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in new[] { "/api/v1/leads", "/api/v1/activities", "/api/v1/enrichment", "/api/v1/outcomes", "/api/v1/score", "/api/v1/score/batch", "/api/v1/webhooks", "/api/v1/train" })
        {
            data.Add(route, """{"lead_id":"\ud800","attributes":{"a":"\ud800"}}""");
            data.Add(route, """{"\udc00k":"x","lead_id":"L1"}""");
            data.Add(route, """[{"lead_id":"L1","created_at":"2026-01-01","note":"a\udfffb"}]""");
            data.Add(route, "bytes:{\"lead_id\":\"\xff\xfe\"}");
            data.Add(route, "bytes:\xff\xfe{}");
        }
        return data;
    }

    [Theory, MemberData(nameof(InvalidTextBodies))]
    public async Task Lone_surrogates_and_invalid_utf8_get_a_4xx_problem_naming_the_field_never_a_5xx(string route, string body)
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: TestModels.SeedChampionAsync);
        using var client = await app.AdminClientAsync();
        var content = body.StartsWith("bytes:", StringComparison.Ordinal) ? Raw(body[6..].Select(c => (byte)c).ToArray()) : Raw(body);

        var r = await client.PostAsync(route, content);

        ((int)r.StatusCode).ShouldBeInRange(400, 499, $"{route} {body}: {await r.Content.ReadAsStringAsync()}");
        var problem = await ProblemAsync(r);
        (problem.TryGetProperty("errors", out _) || problem.TryGetProperty("field", out _)).ShouldBeTrue(problem.ToString());
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_null_item_in_a_score_batch_is_a_400_naming_its_index()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: TestModels.SeedChampionAsync);
        using var client = await app.AdminClientAsync();

        var r = await client.PostAsync("/api/v1/score/batch", Raw("""{"leads":[{"attributes":{"visits":1}},null]}"""));

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await ProblemAsync(r)).GetProperty("errors").TryGetProperty("leads[1]", out _).ShouldBeTrue();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_lead_id_with_slashes_is_found_by_its_encoded_id(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        using var client = await app.AdminClientAsync();
        (await client.PostAsync("/api/v1/leads", Raw("""{"lead_id":"a/b/c","created_at":"2026-03-01T09:00:00Z","visits":"3"}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync("/api/v1/leads", Raw("""{"lead_id":"a%2Fb","created_at":"2026-03-01T09:00:00Z","visits":"3"}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var lead = await client.GetAsync("/api/v1/leads/a%2Fb%2Fc");
        var history = await client.GetAsync("/api/v1/leads/a%2fb%2fc/scores");
        var percent = await client.GetAsync("/api/v1/leads/a%252Fb");

        lead.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonDocument.Parse(await lead.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString().ShouldBe("a/b/c");
        history.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonDocument.Parse(await history.Content.ReadAsStringAsync()).RootElement.GetProperty("scores").GetArrayLength().ShouldBe(1);
        percent.StatusCode.ShouldBe(HttpStatusCode.OK, "%25 is a literal percent sign, not a slash");
        JsonDocument.Parse(await percent.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString().ShouldBe("a%2Fb");
        (await client.GetAsync("/api/v1/leads/a%2Fb%2Fd")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_nul_in_the_path_gets_a_400_problem_body()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = await app.AdminClientAsync();

        var r = await client.GetAsync("/api/v1/leads/a%00b");

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await ProblemAsync(r)).GetProperty("status").GetInt32().ShouldBe(400);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_job_that_fails_on_a_non_domain_error_shows_no_exception_text(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        using var client = await app.AdminClientAsync();
        // A corrupt request makes the handler throw a JsonException, whose text names .NET internals and positions.
        var job = new JobRecord { Id = "job_" + Guid.NewGuid().ToString("N")[..20], Kind = "train", Status = JobStatus.Queued, Message = "queued", RequestJson = "{\"algorithm\":", CreatedAt = DateTimeOffset.UtcNow };
        await ((IJobQueue)app.Store).EnqueueJobAsync(job);

        JsonElement body;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            body = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{job.Id}")).RootElement;
        } while (body.GetProperty("status").GetString() is "queued" or "running" && DateTime.UtcNow < deadline);

        body.GetProperty("status").GetString().ShouldBe("failed");
        var message = body.GetProperty("message").GetString()!;
        message.ShouldContain("the server log", customMessage: "JobQueue words it \"the server log has the details\" since 1e56c0c");
        message.ShouldNotContain("LineNumber");
        message.ShouldNotContain("BytePosition");
        message.ShouldNotContain(" at ");
        message.ShouldNotContain("System.");
    }
}
