using System.Net.Http.Headers;
using LeadScore.Core;
using LeadScore.Application.Scoring;
using LeadScore.Application.Security;
using LeadScore.Hosting;
using LeadScore.Server.Auth;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeadScore.Server.Tests;

/// <summary>
/// The real server (the same <see cref="LeadScoreServer.Build"/> the serve command runs) on Kestrel
/// on a free loopback port, over a throwaway SQLite workspace or PostgreSQL database.
/// WebApplicationFactory needs an entry point in the server assembly; the server is a library the
/// CLI hosts, so this fixture builds the host the same way the CLI does and serves on a real socket
/// (which also makes Kestrel's body limits, streaming and webhooks behave as in production).
/// </summary>
public sealed class LeadScoreApplication : IAsyncDisposable
{
    private LeadScoreApplication(WebApplication app, ILeadStore store, string workspace, ServerOptions options)
    {
        App = app;
        Store = store;
        Workspace = workspace;
        Options = options;
        BaseAddress = new Uri(app.Urls.First());
    }

    public WebApplication App { get; }
    public ILeadStore Store { get; }
    public string Workspace { get; }
    public ServerOptions Options { get; }
    public Uri BaseAddress { get; }
    public IWebhookStore Webhooks => (IWebhookStore)Store;

    /// <summary>
    /// Starts a server on a fresh store of <paramref name="backend"/>; <paramref name="seed"/> runs on the store first (e.g.
    /// registering a champion); <paramref name="settings"/> are configuration values (e.g. "LeadScore:Maintenance:TimePassingRescore").
    /// </summary>
    public static async Task<LeadScoreApplication> StartAsync(string backend, Action<ServerOptions>? configure = null,
        Func<ILeadStore, Task>? seed = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        return await StartAsync(store, ws, configure, seed, settings);
    }

    /// <summary>Starts a server on an existing store (e.g. to check what a restart picks up), through the same composition root as serve.</summary>
    public static async Task<LeadScoreApplication> StartAsync(ILeadStore store, string workspace, Action<ServerOptions>? configure = null,
        Func<ILeadStore, Task>? seed = null, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        if (seed is not null) await seed(store);
        var options = new ServerOptions { Urls = "http://127.0.0.1:0" };
        options.RateLimit.PermitsPerSecond = 100_000;
        options.RateLimit.Burst = 100_000;
        options.ApiKeyCacheTtl = TimeSpan.Zero;
        // The test receivers listen on 127.0.0.1; the tests of the default (public addresses only) turn this off.
        options.Webhooks.AllowPrivateNetworks = true;
        configure?.Invoke(options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Fast polling so tests see another instance's changes and queued jobs quickly.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LeadScore:Maintenance:ChampionReloadInterval"] = "00:00:00.200",
            ["LeadScore:Jobs:PollInterval"] = "00:00:00.100",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        var app = LeadScoreServer.Build(builder, options, store, new LeadScoreHostSettings { WorkspaceDirectory = workspace, Time = time });
        await app.Services.GetRequiredService<IScoringService>().ReloadAsync();
        await app.StartAsync();
        return new LeadScoreApplication(app, store, workspace, options);
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>A client for the server, sending <paramref name="apiKey"/> when given.</summary>
    public HttpClient CreateClient(string? apiKey = null)
    {
        var c = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        c.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (apiKey is not null) c.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.HeaderName, apiKey);
        return c;
    }

    /// <summary>Creates a key the way './leadscore apikey create' does and returns it.</summary>
    public async Task<string> CreateKeyAsync(params string[] scopes)
    {
        var (key, record) = ApiKeys.Create("key-" + Guid.NewGuid().ToString("N")[..8], scopes.Length == 0 ? ApiScopes.All : scopes, TimeProvider.System.GetUtcNow());
        await Store.SaveApiKeyAsync(record);
        return key;
    }

    /// <summary>A client with a key holding every scope.</summary>
    public async Task<HttpClient> AdminClientAsync() => CreateClient(await CreateKeyAsync());

    /// <summary>Stops the server gracefully, keeping the store open (for restart tests).</summary>
    public async Task StopAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); }
        catch (ObjectDisposedException) { /* already stopped */ }
        await Store.DisposeAsync();
    }
}
