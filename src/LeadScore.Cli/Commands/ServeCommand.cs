using System.CommandLine;
using LeadScore.Server;
using LeadScore.Application.Scoring;
using LeadScore.Hosting;
using LeadScore.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore serve [--urls URL]</c>: the REST API on the workspace, until Ctrl+C or SIGTERM.</summary>
public static class ServeCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen (semicolon-separated URLs)",
            DefaultValueFactory = _ => "http://127.0.0.1:5080",
        };
        var cmd = new Command("serve", "Serve the REST API (scoring, leads, ingestion, models, webhooks); Ctrl+C stops it gracefully") { urls };
        cmd.SetAction(async (parse, ct) =>
        {
            var ws = global.Read(parse);
            await using var store = await LeadStore.OpenAsync(ws.Directory, ws.Database, ct);
            await using var app = await ServerHost.StartAsync(store, ws, parse.GetValue(urls)!, ct);
            if (app.Services.GetRequiredService<IScoringService>().ChampionVersion is null)
                console.Warn("no champion model yet: scoring answers 503 until one is trained (./leadscore train or POST /api/v1/train)");
            console.Log($"LeadScore API on {parse.GetValue(urls)} ({store.Describe()}); reference at /scalar, OpenAPI at /openapi/v1.json");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}

/// <summary>The one way the CLI starts the API (serve and quickstart): the server's composition root, the champion loaded before the first request.</summary>
internal static class ServerHost
{
    public static async Task<WebApplication> StartAsync(ILeadStore store, WorkspaceSettings ws, string urls, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // A server on a shared PostgreSQL database keeps no files of its own; on SQLite the workspace folder is its home.
        var settings = new LeadScoreHostSettings { WorkspaceDirectory = ws.Database is null ? ws.Directory : null };
        var app = LeadScoreServer.Build(builder, new ServerOptions { Urls = urls }, store, settings);
        await app.Services.GetRequiredService<IScoringService>().ReloadAsync(ct);
        // Stopping: in-flight requests finish, the webhook queue stays in the database, a running job's lease expires and another instance (or the next start) resumes it.
        await app.StartAsync(ct);
        return app;
    }
}
