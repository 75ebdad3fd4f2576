using System.CommandLine;
using LeadScore.Application.Monitoring;
using LeadScore.Hosting;
using LeadScore.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LeadScore.Cli;

/// <summary>
/// A command's LeadScore: the store its --workspace/--database select (migrations applied) and the same composition
/// root the server uses, so a command runs exactly the use cases an API call runs. Nothing runs in the background.
/// </summary>
internal sealed class CliHost : IAsyncDisposable
{
    private readonly IHost _host;

    private CliHost(IHost host, ILeadStore store, WorkspaceSettings workspace)
    {
        _host = host;
        Store = store;
        Workspace = workspace;
    }

    public ILeadStore Store { get; }
    public WorkspaceSettings Workspace { get; }
    public IServiceProvider Services => _host.Services;

    public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    public static async Task<CliHost> OpenAsync(GlobalOptions global, ParseResult parse, CancellationToken ct)
    {
        var ws = global.Read(parse);
        var store = await LeadStore.OpenAsync(ws.Directory, ws.Database, ct);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables();
        builder.AddLeadScore(store, new LeadScoreHostSettings { WorkspaceDirectory = ws.Directory });
        var host = builder.Build();
        // Everything this process records in the audit log is done by the OS user running it.
        host.Services.GetRequiredService<Application.Governance.ActorContext>().Default = Core.Actor.CurrentOsUser();
        return new CliHost(host, store, ws);
    }

    public async ValueTask DisposeAsync()
    {
        // Predictions logged by the command (score --csv, re-scoring) are written before the process exits.
        await Get<PredictionLogger>().FlushAsync();
        _host.Dispose();
        await Store.DisposeAsync();
    }
}
