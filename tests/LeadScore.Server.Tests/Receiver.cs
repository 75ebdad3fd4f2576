using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LeadScore.Server.Tests;

/// <summary>A real HTTP receiver on loopback that records what webhooks send, answering a status code the test sets.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Received(byte[] Body, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At);

    public ConcurrentQueue<Received> Requests { get; } = new();
    /// <summary>What the receiver answers; change it during a test to simulate an outage and recovery.</summary>
    public int StatusCode { get; set; } = 200;
    /// <summary>Sent as Location with the answer (set it with a 3xx status to offer a redirect).</summary>
    public string? Location { get; set; }
    /// <summary>Requests to /internal-secret, the target a redirect points at: must stay 0 when redirects are not followed.</summary>
    public int SecretRequests => _secretRequests;
    private int _secretRequests;
    public string Url { get; private set; } = "";

    private Receiver(WebApplication app) => _app = app;

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var r = new Receiver(app);
        app.MapPost("/hook", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            r.Requests.Enqueue(new Received(ms.ToArray(), ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), DateTimeOffset.UtcNow));
            ctx.Response.StatusCode = r.StatusCode;
            if (r.Location is { } location) ctx.Response.Headers.Location = location;
        });
        app.Map("/internal-secret", () =>
        {
            Interlocked.Increment(ref r._secretRequests);
            return "secret";
        });
        await app.StartAsync();
        r.Url = app.Urls.First() + "/hook";
        return r;
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived.</summary>
    public async Task WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (Requests.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {count} webhook requests, got {Requests.Count}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
