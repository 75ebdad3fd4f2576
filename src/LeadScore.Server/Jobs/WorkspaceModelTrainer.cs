using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Server.Api;
using LeadScore.Storage;
using LeadScore.Storage.Services;

namespace LeadScore.Server.Jobs;

/// <summary>
/// POST /train on the workspace's data through the same <see cref="TrainingService"/> as `leadscore train`;
/// a new champion is loaded at once and every lead re-scored with it.
/// </summary>
public sealed class WorkspaceModelTrainer(ILeadStore store, string workspaceDirectory, ScoringService scoring) : IModelTrainer
{
    public async Task<TrainOutcome> TrainAsync(TrainRequest request, IProgress<(double Fraction, string Stage)> progress, CancellationToken ct)
    {
        var options = new TrainingOptions
        {
            Algorithm = request.Algorithm is null or "auto" ? null : TrainerCatalog.Parse(request.Algorithm),
            TimeBudget = TimeSpan.FromSeconds(request.TimeBudgetSeconds ?? TrainingOptions.Defaults.TimeBudgetSeconds),
            Seed = request.Seed ?? TrainingOptions.Defaults.Seed,
        };
        var steps = 0;
        var log = new Progress<string>(s => progress.Report((Math.Min(0.9, 0.05 * ++steps), s)));
        var run = await new TrainingService(store, workspaceDirectory).TrainWorkspaceAsync(new WorkspaceTrainingRequest { Options = options }, log, ct);
        var promoted = run.Registration.Promoted;
        if (!promoted && request.Promote && run.Registration.ChampionAuc is { } champ && run.Result.Metrics.Auc >= champ)
        {
            await store.SetAliasAsync(ModelAliases.Champion, run.Card.Version, ct);
            promoted = true;
        }
        if (promoted)
        {
            progress.Report((0.92, $"loading {run.Card.Version} and re-scoring every lead"));
            await scoring.ReloadAsync(ct);
            await scoring.RescoreAllAsync(ScoreCause.NewModel, null, ct);
        }
        progress.Report((1, $"trained {run.Card.Version}: AUC {run.Result.Metrics.Auc:F4}"));
        return new TrainOutcome(run.Card.Version, promoted, run.Result.Metrics.Auc);
    }
}
