using LeadScore.Application.Jobs;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Scoring;
using LeadScore.Application.Webhooks;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.Engine.Modeling;

namespace LeadScore.Application.Modeling;

/// <summary>What a change of champion did: the version now serving, the one before, and the re-scoring job it queued.</summary>
public sealed record ChampionChange(string Alias, string Version, string? Previous, string? RescoreJobId);

/// <summary>
/// The one owner of "the champion changed" and its side effects, whichever entry point asked (CLI, API, a job):
/// the registry's alias moves, this instance swaps its serving set at once, and a re-scoring job is queued so every
/// stored lead gets a score from the new champion (with webhooks for the changes). Other instances pick the new
/// champion up on their next alias poll.
/// </summary>
public sealed class ModelLifecycle(ModelRegistry registry, TrainingService training, IScoringService scoring, JobQueue jobs, IModelStore models,
    LifecycleHistory history, WebhookNotifier webhooks, LifecycleStateStore lifecycleState, TimeProvider time, Governance.AuditLog audit)
{
    /// <summary>
    /// Points <paramref name="alias"/> (default champion) at a version; a version that cannot be served is refused before anything changes.
    /// A new champion is recorded in the lifecycle history with <paramref name="reason"/> and fires <c>model_promoted</c> webhooks.
    /// </summary>
    public async Task<ChampionChange> PromoteAsync(string versionOrAlias, string alias = ModelAliases.Champion, CancellationToken ct = default,
        string? reason = null, object? figures = null)
    {
        var previous = await registry.CurrentAsync(alias, ct);
        var target = await registry.ResolveAsync(versionOrAlias, ct);
        var bytes = await models.GetModelArtifactAsync(target, ct) ?? throw new NotFoundException($"no model version '{versionOrAlias}'");
        try
        {
            _ = Engine.Scoring.ServableModel.Load(target, bytes);
        }
        catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or IOException)
        {
            throw new LeadScoreException($"model {target} cannot be served ({ex.Message}); it stays where it is", "version");
        }
        var version = await registry.PromoteAsync(target, alias, ct);
        await audit.RecordAsync(AuditActions.Promote, AuditTargets.Model, version, new Dictionary<string, object?> { ["alias"] = alias, ["previous"] = previous, ["reason"] = reason }, ct: ct);
        var change = new ChampionChange(alias, version, previous, await AfterAliasChangedAsync(alias, ct));
        if (alias == ModelAliases.Champion && version != previous)
            await ChampionChangedAsync(LifecycleEventKinds.Promotion, version, previous, reason ?? "promoted by request", figures, ct);
        return change;
    }

    /// <summary>Points <paramref name="alias"/> back at its previous version (recorded, with <c>model_rolled_back</c> webhooks, for the champion).</summary>
    public async Task<ChampionChange> RollbackAsync(string alias = ModelAliases.Champion, CancellationToken ct = default, string? reason = null, object? figures = null)
    {
        var (from, to) = await registry.RollbackAsync(alias, ct);
        await audit.RecordAsync(AuditActions.Rollback, AuditTargets.Model, to, new Dictionary<string, object?> { ["alias"] = alias, ["from"] = from, ["reason"] = reason }, ct: ct);
        var change = new ChampionChange(alias, to, from, await AfterAliasChangedAsync(alias, ct));
        if (alias == ModelAliases.Champion)
            await ChampionChangedAsync(LifecycleEventKinds.Rollback, to, from, reason ?? "rolled back by request", figures, ct);
        return change;
    }

    private async Task ChampionChangedAsync(string kind, string version, string? previous, string reason, object? figures, CancellationToken ct)
    {
        var e = await history.RecordAsync(kind, version, previous, reason, figures, ct: ct);
        // Every promoted model is watched against the one it replaced (automatic rollback, see ContinuousLearning); a rollback ends the watch.
        await lifecycleState.UpdateAsync(s => s with
        {
            Watch = kind == LifecycleEventKinds.Promotion && previous is not null ? new WatchState { Version = version, Previous = previous, PromotedAt = time.GetUtcNow() } : null,
        }, ct);
        await webhooks.NotifyModelAsync(kind == LifecycleEventKinds.Rollback ? Storage.WebhookRule.ModelRolledBack : Storage.WebhookRule.ModelPromoted,
            version, previous, reason, e.FiguresJson, ct);
    }

    private async Task RecordTrainingAsync(TrainingRun run, CancellationToken ct)
    {
        var reg = run.Registration;
        await history.RecordAsync(LifecycleEventKinds.Training, reg.Version, reg.PreviousChampion,
            run.Card.TrainedBecause is { } why ? $"retraining policy: {why}" : "trained by request",
            new { auc = reg.NewAuc, rows_train = run.Card.RowsTrain, rows_test = run.Card.RowsTest, algorithm = run.Card.Algorithm, window = run.Card.TrainingWindow }, ct: ct);
        if (reg.Promoted)
        {
            await ChampionChangedAsync(LifecycleEventKinds.Promotion, reg.Version, reg.PreviousChampion, reg.Decision, new { auc = reg.NewAuc, champion_auc = reg.ChampionAuc }, ct);
            // A training that became champion is a promotion too: on record with whoever trained (in a job, whoever queued it).
            await audit.RecordAsync(AuditActions.Promote, AuditTargets.Model, reg.Version, new Dictionary<string, object?>
            {
                ["alias"] = ModelAliases.Champion, ["previous"] = reg.PreviousChampion, ["reason"] = reg.Decision, ["by"] = "training (champion rule)",
            }, ct: ct);
        }
    }

    /// <summary>Trains on the workspace (point-in-time features), registers under the champion rule, and applies a new champion.</summary>
    public async Task<(TrainingRun Run, string? RescoreJobId)> TrainWorkspaceAsync(WorkspaceTrainingRequest request, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var run = await training.TrainWorkspaceAsync(request, progress, ct);
        var rescore = run.Registration.Promoted ? await AfterAliasChangedAsync(ModelAliases.Champion, ct) : null;
        await RecordTrainingAsync(run, ct);
        return (run, rescore);
    }

    /// <summary>Trains on a flat table, registers under the champion rule, and applies a new champion.</summary>
    public async Task<(TrainingRun Run, string? RescoreJobId)> TrainFlatAsync(FlatTrainingRequest request, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var run = await training.TrainFlatAsync(request.Table, request.Test, request.Options, request.KeepFlagged, request.ValueMapping, request.ReportDirectory, progress, ct);
        var rescore = run.Registration.Promoted ? await AfterAliasChangedAsync(ModelAliases.Champion, ct) : null;
        await RecordTrainingAsync(run, ct);
        return (run, rescore);
    }

    /// <summary>Removes an alias that names a serving slot (a challenger that won or lost) and reloads this instance's serving set.</summary>
    public async Task<bool> RemoveAliasAsync(string alias, CancellationToken ct = default)
    {
        if (alias == ModelAliases.Champion) throw new LeadScoreException("the champion alias cannot be removed; promote another version instead", "alias");
        var removed = await models.RemoveAliasAsync(alias, ct);
        await scoring.ReloadAsync(ct);
        return removed;
    }

    private async Task<string?> AfterAliasChangedAsync(string alias, CancellationToken ct)
    {
        await scoring.ReloadAsync(ct);
        if (alias != ModelAliases.Champion) return null;
        return (await jobs.EnqueueRescoreAsync(ct)).Id;
    }
}

/// <summary>A flat table to train on, with what the CLI read alongside it.</summary>
public sealed record FlatTrainingRequest
{
    public required Engine.Ingestion.FlatTable Table { get; init; }
    public FeatureFrame? Test { get; init; }
    public required TrainingOptions Options { get; init; }
    public IReadOnlyList<string> KeepFlagged { get; init; } = [];
    /// <summary>The mapping the table was read with (its missing placeholders, true/false words, date formats): the model keeps these value rules so serving reads values the same way.</summary>
    public required Engine.Ingestion.ImportMapping ValueMapping { get; init; }
    public string? ReportDirectory { get; init; }
}

/// <summary>Runs training jobs queued through the API: the same use case as './leadscore train'.</summary>
public sealed class TrainJobHandler(ModelLifecycle lifecycle, ContinuousLearning learning) : IJobHandler
{
    public string Kind => JobKinds.Train;

    public async Task<string> RunAsync(JobRecord job, IProgress<(double Fraction, string Stage)> progress, CancellationToken ct)
    {
        var request = System.Text.Json.JsonSerializer.Deserialize(job.RequestJson, JobJsonContext.Default.TrainJobRequest) ?? new TrainJobRequest();
        if (request.Trigger is { } trigger)
        {
            // Queued by the retraining policy: train as the policy says, then the gate and the challenger decide.
            var retrained = await learning.RetrainAsync(trigger, new Progress<string>(stage => progress.Report((0.5, stage))), ct);
            var r = retrained.Run.Registration;
            return System.Text.Json.JsonSerializer.Serialize(new TrainJobResult(r.Version, retrained.Promoted, r.NewAuc, retrained.Decision, retrained.RescoreJobId, retrained.Run.Card.HorizonDays),
                JobJsonContext.Default.TrainJobResult);
        }
        var budget = TimeSpan.FromSeconds(request.TimeBudgetSeconds ?? TrainingOptions.Defaults.TimeBudgetSeconds);
        var options = new TrainingOptions
        {
            Algorithm = request.Algorithm == "auto" ? null : TrainerCatalog.Parse(request.Algorithm),
            TimeBudget = budget,
            Seed = request.Seed ?? TrainingOptions.Defaults.Seed,
        };
        // The search is a fixed number of cross-validations (the families, the class-weighting check, the trials, then the
        // refit), so the share of them done is an honest progress estimate.
        var expected = 4 + 1 + options.MaxTrials + 1;
        var done = 0;
        var stages = new Progress<string>(stage => progress.Report((Math.Min(0.95, (double)Interlocked.Increment(ref done) / expected), stage)));
        var (run, rescore) = await lifecycle.TrainWorkspaceAsync(new WorkspaceTrainingRequest
        {
            Options = options,
            DecisionAges = request.DecisionAgesDays?.Select(TimeSpan.FromDays).ToArray(),
            HorizonDays = request.HorizonDays,
        }, stages, ct);
        var reg = run.Registration;
        return System.Text.Json.JsonSerializer.Serialize(new TrainJobResult(reg.Version, reg.Promoted, reg.NewAuc, reg.Decision, rescore, run.Card.HorizonDays), JobJsonContext.Default.TrainJobResult);
    }
}
