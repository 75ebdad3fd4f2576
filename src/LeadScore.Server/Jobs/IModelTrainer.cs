using LeadScore.Server.Api;

namespace LeadScore.Server.Jobs;

/// <summary>
/// Trains a model on the workspace's data and registers it (the modeling area implements it; the
/// server runs it as a background job for POST /api/v1/train).
/// </summary>
public interface IModelTrainer
{
    /// <param name="progress">Fraction done (0-1) and what is happening.</param>
    Task<TrainOutcome> TrainAsync(TrainRequest request, IProgress<(double Fraction, string Stage)> progress, CancellationToken ct);
}

/// <summary>The registered version, whether it became champion (and why), and its held-out AUC.</summary>
public sealed record TrainOutcome(string Version, bool Promoted, double? Auc, string Decision);
