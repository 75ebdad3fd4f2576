using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Webhooks;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Webhooks;

/// <summary>Webhooks cannot be used to reach what only the server can reach (issue 18, item 4).</summary>
public sealed class WebhookUrlPolicyTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private static Task<HttpResponseMessage> RegisterAsync(HttpClient client, string url) =>
        client.PostAsync("/api/v1/webhooks", Json(JsonSerializer.Serialize(new Dictionary<string, string> { ["url"] = url, ["rule"] = "became_a" })));

    public static TheoryData<string> AlwaysRefused => new(
        "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x", "http://0.0.0.0/x", "http://[::]/x", "http://224.0.0.1/x",
        "http://255.255.255.255/x", "http://[ff02::1]/x", "http://[::ffff:169.254.169.254]/x",
        "http://user:pass@crm.example/hooks", "http://user@crm.example/hooks", "http://crm.example/hooks\r\nX-Injected: 1", "http://crm.example/a\u0000b",
        "http://crm.example/a b", "ftp://crm.example/hooks", "javascript:alert(1)", "file:///etc/passwd", "gopher://crm.example/",
        "http://0x7f000001/x", "http://2130706433/x", "http://017700000001/x", "http://0177.0.0.1/x", "http://127.1/x", "http://1.0x7f/x",
        "http://127.0.0.01/x", "http://[fe80::1%25eth0]/x", "http://crm.example:99999/x", "http://crm.example:/x", "http://crm\u00e9.example/x",
        "http:///x", "http://crm_example.com/x");

    public static TheoryData<string> PrivateOnly => new(
        "http://127.0.0.1:9/x", "http://127.8.9.10/x", "http://[::1]:9/x", "http://10.1.2.3/x", "http://172.16.0.1/x", "http://172.31.255.255/x",
        "http://192.168.1.10/x", "http://100.64.0.1/x", "http://[fd00::1]/x", "http://[::ffff:127.0.0.1]/x", "http://localhost:9/x");

    [Theory, MemberData(nameof(AlwaysRefused))]
    public async Task Registration_refuses_link_local_metadata_userinfo_control_characters_odd_schemes_and_odd_numeric_hosts(string url)
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o => o.Webhooks.AllowPrivateNetworks = true);
        using var client = await app.AdminClientAsync();

        var r = await RegisterAsync(client, url);

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest, url);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("url", out _).ShouldBeTrue();
        (await app.Webhooks.ListWebhooksAsync()).ShouldBeEmpty();
    }

    [Theory, MemberData(nameof(PrivateOnly))]
    public async Task Loopback_and_private_addresses_register_only_when_the_admin_allows_private_networks(string url)
    {
        await using var strict = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o => o.Webhooks.AllowPrivateNetworks = false);
        await using var open = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o => o.Webhooks.AllowPrivateNetworks = true);
        using var strictClient = await strict.AdminClientAsync();
        using var openClient = await open.AdminClientAsync();

        var refused = await RegisterAsync(strictClient, url);
        var allowed = await RegisterAsync(openClient, url);

        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest, url);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("AllowPrivateNetworks");
        allowed.StatusCode.ShouldBe(HttpStatusCode.Created, url);
    }

    [Fact]
    public async Task Public_names_and_canonical_addresses_register_by_default()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o => o.Webhooks.AllowPrivateNetworks = false);
        using var client = await app.AdminClientAsync();

        foreach (var url in new[] { "https://crm.example/hooks", "https://crm.example:8443/a?b=c", "http://93.184.215.14/x", "http://[2606:4700::1111]/x", "HTTPS://CRM.EXAMPLE./x" })
            (await RegisterAsync(client, url)).StatusCode.ShouldBe(HttpStatusCode.Created, url);
    }

    [Theory]
    [InlineData("169.254.169.254", false, "link-local")]
    [InlineData("127.0.0.1", true, null)]
    [InlineData("127.0.0.1", false, "private")]
    [InlineData("::ffff:10.0.0.1", false, "private")]
    [InlineData("64:ff9b::a9fe:a9fe", true, "link-local")]
    [InlineData("::a9fe:a9fe", true, "link-local")]
    [InlineData("fe80::1", true, "link-local")]
    [InlineData("8.8.8.8", false, null)]
    [InlineData("2001:4860:4860::8888", false, null)]
    public void The_policy_judges_the_address_a_name_resolves_to(string address, bool allowPrivate, string? refusedFor)
    {
        var why = new WebhookUrlPolicy(allowPrivate).CheckAddress(IPAddress.Parse(address));

        if (refusedFor is null) why.ShouldBeNull();
        else why.ShouldNotBeNull().ShouldContain(refusedFor);
    }

    [Fact]
    public async Task The_dispatcher_checks_again_at_send_time_and_reports_the_refusal_without_sending()
    {
        // Given a hook stored while the policy allowed private networks (or before the policy existed) ...
        await using var receiver = await Receiver.StartAsync();
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o =>
        {
            o.Webhooks.AllowPrivateNetworks = false;
            o.Webhooks.MaxAttempts = 1;
            o.Webhooks.PollInterval = TimeSpan.FromMilliseconds(20);
        });
        using var client = await app.AdminClientAsync();
        var ids = new List<string>();
        foreach (var url in new[] { receiver.Url, receiver.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal), "http://169.254.169.254/latest/meta-data/" })
        {
            var hook = new Webhook { Id = "wh_" + Guid.NewGuid().ToString("N")[..20], Url = url, Rule = WebhookRule.BecameA, Secret = WebhookSecrets.New(), CreatedAt = DateTimeOffset.UtcNow };
            await app.Webhooks.SaveWebhookAsync(hook);
            ids.Add(hook.Id);
        }

        // ... when an event fires,
        await app.Service<WebhookNotifier>().NotifyAsync([TestData.Change("L1", (50, "B"), (90, "A"))]);

        // then nothing reaches the receiver and each delivery is parked with the policy's reason.
        foreach (var id in ids)
        {
            var d = await WaitForStatusAsync(client, id, "parked");
            d.GetProperty("last_error").GetString()!.ShouldStartWith("refused by policy: ");
            d.GetProperty("last_error").GetString()!.ShouldNotContain("127.0.0.1");
        }
        receiver.Requests.ShouldBeEmpty();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Redirects_are_not_followed_and_count_as_a_failed_attempt(string backend)
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.StatusCode = 307;
        receiver.Location = receiver.Url.Replace("/hook", "/internal-secret", StringComparison.Ordinal);
        await using var app = await LeadScoreApplication.StartAsync(backend, o =>
        {
            o.Webhooks.MaxAttempts = 1;
            o.Webhooks.PollInterval = TimeSpan.FromMilliseconds(20);
        });
        using var client = await app.AdminClientAsync();
        var id = await CreateAsync(client, receiver.Url);

        await app.Service<WebhookNotifier>().NotifyAsync([TestData.Change("L1", (50, "B"), (90, "A"))]);

        var d = await WaitForStatusAsync(client, id, "parked");
        d.GetProperty("last_error").GetString().ShouldBe("redirect not followed");
        d.GetProperty("last_status_code").GetInt32().ShouldBe(307);
        receiver.Requests.Count.ShouldBe(1);
        receiver.SecretRequests.ShouldBe(0);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Delivery_failures_are_reported_as_categories_without_the_targets_address(string backend)
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.StatusCode = 405;
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var app = await LeadScoreApplication.StartAsync(backend, o =>
        {
            o.Webhooks.MaxAttempts = 1;
            o.Webhooks.PollInterval = TimeSpan.FromMilliseconds(20);
        });
        using var client = await app.AdminClientAsync();
        var refusedId = await CreateAsync(client, $"http://127.0.0.1:{closedPort}/hook");
        var answeredId = await CreateAsync(client, receiver.Url);

        await app.Service<WebhookNotifier>().NotifyAsync([TestData.Change("L1", (50, "B"), (90, "A"))]);

        var refused = await WaitForStatusAsync(client, refusedId, "parked");
        var answered = await WaitForStatusAsync(client, answeredId, "parked");
        refused.GetProperty("last_error").GetString().ShouldBe("connection failed");
        answered.GetProperty("last_error").GetString().ShouldBe("answered 405");
    }

    [Fact]
    public async Task A_secret_with_control_characters_is_refused()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = await app.AdminClientAsync();

        foreach (var secret in new[] { "0123456789abcdef\u0000", "0123456789abcdef\r\nX: 1", "\u007f0123456789abcdef" })
        {
            var r = await client.PostAsync("/api/v1/webhooks", Json(JsonSerializer.Serialize(new Dictionary<string, string>
                { ["url"] = "https://crm.example/hooks", ["rule"] = "became_a", ["secret"] = secret })));
            r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("secret", out _).ShouldBeTrue();
        }
        (await app.Webhooks.ListWebhooksAsync()).ShouldBeEmpty();
    }

    private static async Task<string> CreateAsync(HttpClient client, string url)
    {
        var r = await RegisterAsync(client, url);
        r.StatusCode.ShouldBe(HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string hookId, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var d = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/webhooks/{hookId}/deliveries")).RootElement.GetProperty("deliveries");
            if (d.GetArrayLength() > 0 && d[0].GetProperty("status").GetString() == status) return d[0];
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"deliveries of {hookId} never reached '{status}': {d}");
            await Task.Delay(50);
        }
    }
}
