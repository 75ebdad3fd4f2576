using LeadScore.Server.Jobs;
using LeadScore.Storage;
using LeadScore.Storage.Services;

namespace LeadScore.Server;

/// <summary>
/// The workspace parts the server runs on, built by the caller (the serve command, or a test
/// fixture) so the server and the CLI use exactly the same store, scorer and trainer.
/// </summary>
public sealed record LeadScoreParts(ILeadStore Store)
{
    /// <summary>Scores with the champion model; without it the scoring endpoints answer 503 and /health/ready is not ready.</summary>
    public IScoringService? Scoring { get; init; }

    /// <summary>Trains and registers models for POST /train; without it that endpoint answers 503.</summary>
    public IModelTrainer? Trainer { get; init; }

    /// <summary>
    /// The real parts for a workspace: the champion scorer (loaded now, if there is one) and the trainer.
    /// The CLI's serve command and the API tests both build the server this way.
    /// </summary>
    public static async Task<LeadScoreParts> CreateAsync(ILeadStore store, string workspaceDirectory, CancellationToken ct = default)
    {
        var scoring = new ScoringService(store);
        await scoring.ReloadAsync(ct);
        return new LeadScoreParts(store) { Scoring = scoring, Trainer = new WorkspaceTrainer(new TrainingService(store, workspaceDirectory)) };
    }

    internal IWebhookStore Webhooks => Store as IWebhookStore ?? throw new InvalidOperationException($"{Store.GetType().Name} does not store webhooks");
    internal IJobStore Jobs => Store as IJobStore ?? throw new InvalidOperationException($"{Store.GetType().Name} does not store jobs");
}
