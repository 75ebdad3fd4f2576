using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>Malformed input is a 400/413 ProblemDetails naming the field, never a 5xx.</summary>
public sealed class StrictJsonTests
{
    public static TheoryData<string, string, string> BadScoreBodies => new()
    {
        { "{", "body", "" },
        { "[1,2]", "body", "" },
        { """{"colour":"red"}""", "colour", "unknown field" },
        { """{"attributes":[1]}""", "attributes", "object" },
        { """{"attributes":{"a":{"b":1}}}""", "attributes", "string, number, boolean or null" },
        { """{"attributes":{"a":1,"a":2}}""", "attributes", "twice" },
        { """{"id":5}""", "id", "wrong type" },
        { """{"created_at":"yesterday"}""", "created_at", "wrong type" },
        { """{"activities":[{"type":"page_view"}]}""", "activities[0].timestamp", "required" },
        { """{"activities":[{"type":"page_view","timestamp":"2026-01-01T00:00:00Z","value":"x"}]}""", "activities[0].value", "wrong type" },
        { """{"activities":[{"type":"","timestamp":"2026-01-01T00:00:00Z"}]}""", "activities[0].type", "1-100" },
        { """{"id":""}""", "id", "1-256" },
        { """{"id":"a","id":"b"}""", "id", "twice" },
        { "", "body", "required" },
    };

    [Theory, MemberData(nameof(BadScoreBodies))]
    public async Task Malformed_score_requests_get_400_naming_the_field(string body, string field, string message)
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = await app.AdminClientAsync();

        var r = await client.PostAsync("/api/v1/score", new StringContent(body, Encoding.UTF8, "application/json"));

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        var errors = problem.GetProperty("errors");
        errors.TryGetProperty(field, out var messages).ShouldBeTrue($"errors were {errors}");
        messages[0].GetString()!.ShouldContain(message);
    }

    [Fact]
    public async Task Bodies_over_the_limit_get_413_whether_declared_or_streamed()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o => o.MaxRequestBodyBytes = 4096);
        using var client = await app.AdminClientAsync();
        var big = "{\"attributes\":{\"note\":\"" + new string('x', 10_000) + "\"}}";

        // Clients sending large bodies ask "Expect: 100-continue" (curl does above 1 MB), so the 413 comes
        // before the body is sent; without it the server's early answer can race the client's upload.
        var declaredRequest = new HttpRequestMessage(HttpMethod.Post, "/api/v1/score") { Content = new StringContent(big, Encoding.UTF8, "application/json") };
        declaredRequest.Headers.ExpectContinue = true;
        var declared = await client.SendAsync(declaredRequest);
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/score") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        var streamed = await client.SendAsync(request);

        declared.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        JsonDocument.Parse(await declared.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString().ShouldBe("body");
        streamed.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        streamed.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task A_batch_over_the_limit_gets_413_naming_leads()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o => o.MaxBatchItems = 3);
        using var client = await app.AdminClientAsync();
        var body = "{\"leads\":[" + string.Join(",", Enumerable.Repeat("{}", 4)) + "]}";

        var r = await client.PostAsync("/api/v1/score/batch", new StringContent(body, Encoding.UTF8, "application/json"));

        r.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("field").GetString().ShouldBe("leads");
        problem.GetProperty("detail").GetString()!.ShouldContain("limit is 3");
    }

    [Fact]
    public async Task Wrong_content_type_and_bad_query_values_are_client_errors()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = await app.AdminClientAsync();

        var text = await client.PostAsync("/api/v1/score", new StringContent("{}", Encoding.UTF8, "text/plain"));
        var explain = await client.PostAsync("/api/v1/score?explain=maybe", new StringContent("{}", Encoding.UTF8, "application/json"));
        var limit = await client.GetAsync("/api/v1/leads?limit=0");
        var sort = await client.GetAsync("/api/v1/leads?sort=name");

        text.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        explain.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await explain.Content.ReadAsStringAsync()).ShouldContain("\"explain\"");
        limit.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await limit.Content.ReadAsStringAsync()).ShouldContain("\"limit\"");
        sort.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Scoring_without_a_scoring_engine_is_503_not_500()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = await app.AdminClientAsync();

        var r = await client.PostAsync("/api/v1/score", new StringContent("""{"attributes":{"source":"web"}}""", Encoding.UTF8, "application/json"));

        r.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }
}
