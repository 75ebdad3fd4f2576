using System.Diagnostics;
using LeadScore.Engine.Modeling;
using LeadScore.Server.Api;
using LeadScore.Storage.Services;

namespace LeadScore.Server.Jobs;

/// <summary>
/// Trains on the workspace's leads with the training service (the same path as './leadscore train'):
/// point-in-time features, leakage audit, model search, registration under the champion rule.
/// </summary>
public sealed class WorkspaceTrainer(TrainingService training) : IModelTrainer
{
    public async Task<TrainOutcome> TrainAsync(TrainRequest request, IProgress<(double Fraction, string Stage)> progress, CancellationToken ct)
    {
        var budget = TimeSpan.FromSeconds(request.TimeBudgetSeconds ?? TrainingOptions.Defaults.TimeBudgetSeconds);
        var options = new TrainingOptions
        {
            Algorithm = request.Algorithm == "auto" ? null : TrainerCatalog.Parse(request.Algorithm),
            TimeBudget = budget,
            Seed = request.Seed ?? TrainingOptions.Defaults.Seed,
        };
        // The search is bounded by the time budget, so elapsed time over budget is an honest progress estimate.
        var clock = Stopwatch.StartNew();
        var stages = new Progress<string>(stage => progress.Report((Math.Min(0.95, clock.Elapsed / (budget + TimeSpan.FromSeconds(5))), stage)));
        var run = await training.TrainWorkspaceAsync(new WorkspaceTrainingRequest
        {
            Options = options,
            DecisionAges = request.DecisionAgesDays?.Select(TimeSpan.FromDays).ToArray(),
        }, stages, ct);
        var reg = run.Registration;
        return new TrainOutcome(reg.Version, reg.Promoted, reg.NewAuc, reg.Decision);
    }
}
