using LeadScore.Application.Governance;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Simulation;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LeadScore.Hosting;

/// <summary>
/// Composes a simulation: a SQLite workspace (a throwaway folder, or the one to keep), a <see cref="SimulatedClock"/> passed in
/// through <see cref="LeadScoreHostSettings.Time"/>, the same composition root every entry point uses, and an oracle trainer that
/// builds a workspace of its own per oracle. Nothing runs in the background: <see cref="LoopSimulation"/> calls the use cases.
/// </summary>
public static class LeadScoreSimulation
{
    public static async Task<SimulationReport> RunAsync(SimulationOptions options, string? keepWorkspace, IProgress<SimulationEvent>? progress = null, CancellationToken ct = default)
    {
        var o = options.Validated();
        var dir = keepWorkspace is null ? TempDirectory("leadscore-simulate-") : Path.GetFullPath(keepWorkspace);
        if (keepWorkspace is not null && File.Exists(Path.Combine(dir, LeadStore.SqliteFileName)))
            throw new LeadScoreException($"{dir}: the workspace already holds a LeadScore database; simulate needs a new or empty folder to keep", "workspace");
        Directory.CreateDirectory(dir);
        try
        {
            var clock = new SimulatedClock(SimulationOptions.Start.AddDays(-o.HistoryDays));
            await using var store = await LeadStore.OpenAsync(dir, null, ct, clock);
            using var host = Build(store, dir, clock, o.MonitoringEvery);
            var report = await host.Services.GetRequiredService<LoopSimulation>().RunAsync(o, dir, TrainOracleAsync, progress, ct);
            await host.Services.GetRequiredService<PredictionLogger>().FlushAsync(ct);
            return keepWorkspace is null ? report with { Workspace = "(deleted)" } : report;
        }
        finally
        {
            if (keepWorkspace is null) TryDelete(dir);
        }
    }

    private static IHost Build(ILeadStore store, string dir, SimulatedClock clock, TimeSpan? monitoringEvery = null)
    {
        // No configuration but the simulation's own: a simulation gives the same result wherever it runs.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        if (monitoringEvery is { } every)
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{MonitoringOptions.Section}:{nameof(MonitoringOptions.MonitoringInterval)}"] = every.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
            });
        builder.AddLeadScore(store, new LeadScoreHostSettings { WorkspaceDirectory = dir, Time = clock });
        var host = builder.Build();
        host.Services.GetRequiredService<ActorContext>().Default = Actor.System("simulate");
        return host;
    }

    /// <summary>Generates the oracle's data, imports it and trains with the policy's algorithm, seed and horizon, in a throwaway workspace.</summary>
    private static async Task<TrainedModel> TrainOracleAsync(OracleRequest request, CancellationToken ct)
    {
        var dir = TempDirectory("leadscore-oracle-");
        try
        {
            var clock = new SimulatedClock(request.AsOf);
            await using var store = await LeadStore.OpenAsync(dir, null, ct, clock);
            using var host = Build(store, dir, clock);
            var data = Path.Combine(dir, "data");
            SyntheticGenerator.WriteCsv(data, request.Data);
            var ingestion = host.Services.GetRequiredService<IngestionService>();
            foreach (var (kind, file) in new[]
                     {
                         (ImportKind.Leads, "leads.csv"), (ImportKind.Activities, "activities_web.csv"), (ImportKind.Activities, "activities_email.csv"),
                         (ImportKind.Activities, "activities_social.csv"), (ImportKind.Activities, "activities_sales.csv"),
                         (ImportKind.Enrichment, "enrichment.csv"), (ImportKind.Outcomes, "outcomes.csv"),
                     })
            {
                var path = Path.Combine(data, file);
                await ingestion.ImportFileAsync(ingestion.Importer.Plan(kind, path, null), path, ct: ct);
            }
            var t = request.Policy.Training;
            var (run, _) = await host.Services.GetRequiredService<ModelLifecycle>().TrainWorkspaceAsync(new WorkspaceTrainingRequest
            {
                Options = new TrainingOptions { Algorithm = TrainerCatalog.Parse(t.Algorithm), TimeBudget = TimeSpan.FromSeconds(t.TimeBudgetSeconds), Seed = t.Seed, Clock = clock },
                HorizonDays = t.HorizonDays,
                AsOf = request.AsOf,
                Trigger = $"oracle of the {request.Regime} process",
            }, null, ct);
            return await host.Services.GetRequiredService<ModelRegistry>().LoadAsync(run.Registration.Version, ct);
        }
        finally
        {
            TryDelete(dir);
        }
    }

    private static string TempDirectory(string prefix) => Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
