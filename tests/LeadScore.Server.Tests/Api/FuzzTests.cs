using System.Net;
using System.Text;
using LeadScore.Application.Jobs;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>
/// Seeded random malformed requests at every endpoint that takes input: none may answer 5xx, and
/// the server must still be healthy and scoring afterwards.
/// </summary>
public sealed class FuzzTests
{
    private static readonly string[] Targets =
    [
        "POST /api/v1/score", "POST /api/v1/score?explain=false", "POST /api/v1/score/batch", "POST /api/v1/leads", "POST /api/v1/activities",
        "POST /api/v1/enrichment", "POST /api/v1/outcomes", "POST /api/v1/webhooks", "POST /api/v1/train", "GET /api/v1/leads",
        "GET /api/v1/leads/{x}", "GET /api/v1/leads/{x}/scores", "GET /api/v1/models/{x}", "POST /api/v1/models/{x}/promote", "GET /api/v1/jobs/{x}",
        "GET /api/v1/webhooks/{x}/deliveries", "GET /api/v1/leads/export",
    ];

    private static readonly string[] Seeds =
    [
        """{"id":"L1","attributes":{"visits":3,"source":"web"},"activities":[{"type":"page_view","timestamp":"2026-01-01T00:00:00Z"}]}""",
        """{"leads":[{"attributes":{"visits":1}}]}""",
        """[{"lead_id":"L1","created_at":"2026-01-01","visits":"3"}]""",
        """{"lead_id":"L1","type":"email_open","timestamp":"2026-01-02T10:00:00Z"}""",
        """{"url":"http://127.0.0.1:9/x","rule":"score_crossed","threshold":50}""",
        """{"algorithm":"logistic","time_budget_seconds":1}""",
    ];

    private static readonly string[] Junk =
    [
        "", "{", "}", "[", "]", "null", "true", "1e999999", "-0", "\"\\u0000\"", "\"\\ud800\"", "{\"a\":}", "[,]", "{\"\":1}", "\u00ff\u00fe",
        new string('[', 5000), "{\"attributes\":{\"x\":[1,2]}}", "{\"activities\":\"no\"}", "{\"leads\":{}}", "{\"id\":null}", "NaN", "Infinity",
        "{\"threshold\":1.5}", "{\"url\":\"javascript:alert(1)\",\"rule\":\"became_a\"}", "{\"leads\":[" + string.Join(",", Enumerable.Repeat("{}", 50)) + "]}",
        // Issue 18: text that cannot be decoded, null items, URLs and secrets with control characters or forbidden hosts.
        "{\"\\udc00k\":1}", "[{\"lead_id\":\"\\ud800\"}]", "{\"attributes\":{\"a\":\"x\\udfff\"}}", "{\"leads\":[null]}", "{\"leads\":[{},null,{}]}", "[null]",
        "{\"url\":\"http://crm.example/a\\r\\nX: 1\",\"rule\":\"became_a\"}", "{\"url\":\"http://169.254.169.254/\",\"rule\":\"became_a\"}",
        "{\"url\":\"http://0x7f000001/\",\"rule\":\"became_a\"}", "{\"url\":\"http://u:p@crm.example/\",\"rule\":\"became_a\"}",
        "{\"url\":\"https://crm.example/\",\"rule\":\"became_a\",\"secret\":\"0123456789abcdef\\u0000\"}",
    ];

    /// <summary>Methods a client may make up: the server must answer them (405/404) without a 5xx or a new metrics series each.</summary>
    private static readonly string[] OddMethods = ["BREW", "PROPFIND", "X", "GET2", "TRACE", "CONNECT2", "M-SEARCH"];

    private const string Alphabet = "{}[]\":,\\0 -e.x\u00e9\u0001";

    private static string Mutate(Random rng, string s)
    {
        var chars = s.ToCharArray().ToList();
        var n = rng.Next(1, 6);
        for (var i = 0; i < n && chars.Count > 0; i++)
        {
            var at = rng.Next(chars.Count);
            switch (rng.Next(5))
            {
                case 0: chars.RemoveAt(at); break;
                case 1: chars.Insert(at, Alphabet[rng.Next(Alphabet.Length)]); break;
                case 2: chars[at] = (char)rng.Next(1, 0x2FF); break;
                case 3: chars.InsertRange(at, Junk[rng.Next(Junk.Length)]); break;
                default: chars.RemoveRange(at, Math.Min(chars.Count - at, rng.Next(1, 20))); break;
            }
        }
        return new string(chars.ToArray());
    }

    private static string Path(Random rng, string template)
    {
        string[] ids = ["x", "%00", "..%2F..%2Fetc", new string('a', 3000), "%E2%82%AC", "v1", "1;DROP TABLE leads", "'", "%ZZ", "a%2Fb%2Fc", "%0D%0A", "%01%7F", "%ED%A0%80", "%FF%FE"];
        var q = rng.Next(4) == 0 ? "?" + new[] { "limit=-1", "limit=abc", "grade=%00", "sort=;", "explain=2", "format=pdf", "limit=99999999999" }[rng.Next(7)] : "";
        return template.Replace("{x}", ids[rng.Next(ids.Length)]) + q;
    }

    [Fact]
    public async Task A_thousand_malformed_requests_get_no_5xx_and_the_server_stays_healthy()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o => o.MaxRequestBodyBytes = 64 * 1024,
            seed: TestModels.SeedChampionAsync);
        using var client = await app.AdminClientAsync();
        var rng = new Random(20261124);
        var statuses = new Dictionary<int, int>();
        var failures = new List<string>();

        for (var i = 0; i < 1200; i++)
        {
            var target = Targets[rng.Next(Targets.Length)].Split(' ');
            var path = Path(rng, target[1]);
            var method = rng.Next(15) == 0 ? OddMethods[rng.Next(OddMethods.Length)] : target[0];
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            string body = "";
            if (method == "POST")
            {
                body = rng.Next(3) == 0 ? Junk[rng.Next(Junk.Length)] : Mutate(rng, Seeds[rng.Next(Seeds.Length)]);
                var type = rng.Next(10) == 0 ? "text/plain" : "application/json";
                request.Content = rng.Next(20) == 0
                    ? new ByteArrayContent([.. Encoding.UTF8.GetBytes(body), 0xC3, 0x28, 0xFF])
                    : new StringContent(body, Encoding.UTF8, type);
                if (request.Content is ByteArrayContent and not StringContent) request.Content.Headers.ContentType = new("application/json");
            }
            using var response = await client.SendAsync(request);
            var code = (int)response.StatusCode;
            statuses[code] = statuses.GetValueOrDefault(code) + 1;
            if (code >= 500) failures.Add($"{method} {path} {body} -> {code}: {await response.Content.ReadAsStringAsync()}");
            else if (code >= 400)
                response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{method} {path} {body} -> {code}");
        }

        failures.ShouldBeEmpty();
        statuses.Keys.Where(c => c >= 400).Sum(c => statuses[c]).ShouldBeGreaterThan(1000, string.Join(", ", statuses.Select(kv => $"{kv.Key}: {kv.Value}")));
        (await client.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var ok = await client.PostAsync("/api/v1/score", new StringContent("""{"attributes":{"visits":3}}""", Encoding.UTF8, "application/json"));
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
