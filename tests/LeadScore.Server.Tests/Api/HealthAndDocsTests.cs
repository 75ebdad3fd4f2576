using System.Net;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

public sealed class HealthAndDocsTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    [Theory, MemberData(nameof(Backends))]
    public async Task Live_is_open_and_ready_reports_storage_and_missing_champion(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        using var client = app.CreateClient();

        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");

        live.StatusCode.ShouldBe(HttpStatusCode.OK);
        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        body.GetProperty("storage").GetBoolean().ShouldBeTrue();
        body.GetProperty("champion").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Metrics_expose_request_latencies_by_route_in_prometheus_format()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = app.CreateClient();
        await client.GetAsync("/health/live");
        await client.GetAsync("/api/v1/leads/abc");

        using var scraper = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Metrics));
        var text = await scraper.GetStringAsync("/metrics");

        text.ShouldContain("leadscore_http_request_duration_seconds_count{method=\"GET\",route=\"/health/live\",code=\"200\"} 1");
        text.ShouldContain("route=\"/api/v1/leads/{id}\",code=\"401\"");
        text.ShouldContain("# TYPE leadscore_scores_served_total counter");
    }

    [Fact]
    public async Task Metrics_need_a_metrics_or_admin_key_and_health_needs_none()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);

        (await app.CreateClient().GetAsync("/metrics", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var wrong = await app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score)).GetAsync("/metrics", TestContext.Current.CancellationToken);
        wrong.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await wrong.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("metrics");
        (await app.CreateClient(await app.CreateKeyAsync(ApiScopes.Metrics)).GetAsync("/metrics", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.CreateClient(await app.CreateKeyAsync(ApiScopes.Admin)).GetAsync("/metrics", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.CreateClient().GetAsync("/health/live", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task OpenAPI_document_names_and_summarises_every_route_and_documents_the_key()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = app.CreateClient();

        var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        var scalar = await client.GetAsync("/scalar/");

        var operations = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Op: o.Value))).ToList();
        operations.Count.ShouldBeGreaterThan(15);
        foreach (var (path, method, op) in operations)
        {
            op.TryGetProperty("operationId", out _).ShouldBeTrue($"{method} {path} has no name");
            op.TryGetProperty("summary", out _).ShouldBeTrue($"{method} {path} has no summary");
        }
        var ids = operations.Select(o => o.Op.GetProperty("operationId").GetString()).ToHashSet();
        string[] expected = ["ScoreLead", "ScoreBatch", "GetLead", "GetLeadScores", "ListLeads", "ExportLeads", "ListModels", "GetModel",
            "PromoteModel", "RollbackModel", "Train", "GetJob", "CreateWebhook", "ListDeliveries", "Live", "Ready"];
        expected.Where(e => !ids.Contains(e)).ShouldBeEmpty();
        doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString().ShouldBe("X-Api-Key");
        var score = operations.Single(o => o.Op.GetProperty("operationId").GetString() == "ScoreLead").Op;
        score.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _).ShouldBeTrue();
        score.GetProperty("responses").TryGetProperty("200", out _).ShouldBeTrue();
        scalar.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await scalar.Content.ReadAsStringAsync()).ShouldContain("openapi/v1.json");
    }
}
