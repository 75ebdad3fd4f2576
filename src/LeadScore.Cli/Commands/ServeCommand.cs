using System.CommandLine;
using LeadScore.Server;
using LeadScore.Server.Jobs;
using LeadScore.Storage;
using LeadScore.Storage.Services;
using Microsoft.AspNetCore.Builder;
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
            var parts = await LeadScoreParts.CreateAsync(store, ws.Directory, ct);
            if (parts.Scoring?.ChampionVersion is null) console.Warn("no champion model yet: scoring answers 503 until one is trained (./leadscore train or POST /api/v1/train)");
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            await using var app = LeadScoreServer.Build(builder, new ServerOptions { Urls = parse.GetValue(urls)! }, parts);
            console.Log($"LeadScore API on {parse.GetValue(urls)} ({store.Describe()}); reference at /scalar, OpenAPI at /openapi/v1.json");
            // Stopping: in-flight requests finish, the webhook queue stays in the database, jobs queued resume on the next start.
            await app.StartAsync(ct);
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
