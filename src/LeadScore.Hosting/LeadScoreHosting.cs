using LeadScore.Application.Features;
using LeadScore.Application.Governance;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Jobs;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Application.Webhooks;
using LeadScore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LeadScore.Hosting;

/// <summary>
/// The composition root: every entry point (serve, quickstart, each CLI command, the test fixtures) builds LeadScore
/// through <see cref="AddLeadScore"/>, so they all run the same use cases with the same side effects.
/// </summary>
public static class LeadScoreHosting
{
    /// <summary>
    /// Options (bound and validated at start), the clock, the store and its capability contracts, and every use case.
    /// The clock is <see cref="LeadScoreHostSettings.Time"/>, else a <see cref="TimeProvider"/> registered before this call, else the system clock.
    /// </summary>
    public static IHostApplicationBuilder AddLeadScore(this IHostApplicationBuilder builder, ILeadStore store, LeadScoreHostSettings settings)
    {
        var services = builder.Services;
        services.AddOptions<MaintenanceOptions>().BindConfiguration(MaintenanceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<JobOptions>().BindConfiguration("LeadScore:Jobs").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MonitoringOptions>().BindConfiguration(MonitoringOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PartitionOptions>().BindConfiguration(PartitionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>>(new StorageOptionsValidation(store.Backend));
        if (settings.Time is { } time) services.AddSingleton(time);
        else services.TryAddSingleton(TimeProvider.System);

        // The store, and each capability contract it implements, so a use case asks for exactly what it needs.
        services.AddSingleton(store);
        foreach (var contract in typeof(ILeadStore).GetInterfaces().Where(i => i.Namespace == typeof(ILeadStore).Namespace))
            services.AddSingleton(contract, store);
        AddLaggingReads(builder, store);

        services.AddSingleton(new WorkspaceFiles(settings.WorkspaceDirectory));
        services.AddSingleton(LeadScoreInstance.New());
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<JobOptions>>().Value);

        services.AddSingleton(sp => sp.GetRequiredService<IOptions<MonitoringOptions>>().Value);
        services.AddSingleton<PredictionLogger>();
        services.AddSingleton<MonitoringStatus>();
        services.AddSingleton<MonitoringService>();
        services.AddSingleton<MonitoringRounds>();
        services.AddSingleton<ServingModels>();
        services.AddSingleton<ScoringService>();
        services.AddSingleton<TimePassingRescore>();
        services.AddSingleton<IScoringService>(sp => sp.GetRequiredService<ScoringService>());
        services.AddSingleton<GradeBandSettings>();
        services.AddSingleton<ImportService>();
        services.AddSingleton<IngestionService>();
        services.AddSingleton<FeatureDefinitionsRepository>();
        services.AddSingleton<FeatureService>();
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<ModelComparison>();
        services.AddSingleton<Application.Fairness.FairnessService>();
        services.AddSingleton<TrainingService>();
        services.AddSingleton<ModelLifecycle>();
        services.AddSingleton<Application.Lifecycle.RetrainingPolicyService>();
        services.AddSingleton<Application.Lifecycle.LifecycleStateStore>();
        services.AddSingleton<Application.Lifecycle.LifecycleHistory>();
        services.AddSingleton<Application.Lifecycle.ContinuousLearning>();
        services.AddSingleton<Application.Simulation.LoopSimulation>();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<WebhookNotifier>();
        services.AddSingleton<WebhookRegistry>();
        services.AddSingleton<Application.Security.ApiKeyService>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<IJobHandler, TrainJobHandler>();
        services.AddSingleton<IJobHandler, RescoreJobHandler>();
        services.AddSingleton<IJobHandler, RescoreRangeJobHandler>();
        // The re-scoring job runs its ranges through the runner that runs it (a cycle DI cannot build eagerly).
        services.AddSingleton(sp => new Lazy<JobRunner>(sp.GetRequiredService<JobRunner>));
        services.AddSingleton<LeaderElection>();
        services.AddSingleton<MonitoringMaintenance>();

        // Governance: the audit log (its actor set by each entry point), the keyed-hash secret, opt-outs, privacy, retention.
        services.AddSingleton<ActorContext>();
        services.AddSingleton<PrivacyKeys>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<ProfilingOptOuts>();
        services.AddSingleton<PersonalFields>();
        services.AddSingleton<PrivacyService>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RetentionOptions>>().Value);
        services.AddSingleton<RetentionService>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<PartitionOptions>>().Value);
        services.AddSingleton<ActivityPartitionService>();
        services.AddSingleton<PartitionMaintenance>();
        return builder;
    }

    /// <summary>
    /// The one place that decides where the reads that may lag go (<see cref="ILaggingReads"/>): the store itself, or, with
    /// <c>LeadScore:Storage:ReadReplica</c> set, a <see cref="ReplicaReadRouter"/> over the replica that falls back to the store.
    /// </summary>
    private static void AddLaggingReads(IHostApplicationBuilder builder, ILeadStore store)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[StorageOptions.Section + ":" + nameof(StorageOptions.ReadReplica)]))
        {
            builder.Services.AddSingleton<ILaggingReads>(new StoreReads(store));
            return;
        }
        builder.Services.AddSingleton<ILaggingReads>(sp =>
        {
            var log = sp.GetService<ILoggerFactory>()?.CreateLogger("LeadScore.Storage.ReadReplica");
            var router = new ReplicaReadRouter(new StoreReads(store), sp.GetRequiredService<IOptions<StorageOptions>>().Value.Replica()!, sp.GetRequiredService<TimeProvider>(),
                route => { if (log is not null) ReadReplicaLog.RouteChanged(log, route); });
            return router;
        });
    }

    /// <summary>What a serving instance runs in the background: the job worker, leader election, score upkeep, the prediction log's writer, retention and monitoring.</summary>
    public static IHostApplicationBuilder AddLeadScoreBackgroundServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<JobWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaderElection>());
        builder.Services.AddHostedService<ScoreMaintenance>();
        builder.Services.AddSingleton<RetrainingScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RetrainingScheduler>());
        builder.Services.AddHostedService<PredictionLogWriter>();
        builder.Services.AddHostedService<RetentionMaintenance>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PartitionMaintenance>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MonitoringMaintenance>());
        return builder;
    }
}
