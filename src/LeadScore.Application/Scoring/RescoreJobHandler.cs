using System.Text.Json;
using LeadScore.Application.Jobs;
using LeadScore.Application.Webhooks;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Scoring;

/// <summary>Re-scores every stored lead with the champion serving now (cause: new model), with webhooks for the changes.</summary>
public sealed class RescoreJobHandler(IScoringService scoring, WebhookNotifier notifier) : IJobHandler
{
    public string Kind => JobKinds.Rescore;

    public async Task<string> RunAsync(JobRecord job, IProgress<(double Fraction, string Stage)> progress, CancellationToken ct)
    {
        // The instance running the job may not have seen the promotion yet (another instance made it).
        await scoring.ReloadAsync(ct);
        if (scoring.ChampionVersion is null) return JsonSerializer.Serialize(new RescoreJobResult(0, null), JobJsonContext.Default.RescoreJobResult);
        var n = await scoring.RescoreAllAsync(ScoreCause.NewModel, new Progress<double>(p => progress.Report((p, "re-scoring leads"))), ct,
            (changes, c) => notifier.NotifyAsync(changes, c));
        return JsonSerializer.Serialize(new RescoreJobResult(n, scoring.ChampionVersion), JobJsonContext.Default.RescoreJobResult);
    }
}
