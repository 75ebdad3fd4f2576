using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Scoring;

/// <summary>
/// Scores leads with the workspace's champion model: the one place the CLI and the server go
/// through, so both compute features and scores the same way.
/// </summary>
public interface IScoringService
{
    /// <summary>The champion's version, or null when the workspace has no model yet.</summary>
    string? ChampionVersion { get; }

    /// <summary>The champion serving now, or null.</summary>
    Engine.Scoring.ServableModel? Champion { get; }

    /// <summary>Scores a lead that is not stored (e.g. POST /api/v1/score) as of <paramref name="asOf"/>.</summary>
    /// <exception cref="LeadScoreException">No champion model, or the lead opted out of profiling.</exception>
    LeadScoreResult Score(Lead lead, IReadOnlyList<Activity> activities, bool explain, DateTimeOffset asOf);

    /// <summary>Re-scores stored leads and saves the scores with history; returns what changed.</summary>
    Task<IReadOnlyList<ScoreChange>> RescoreAsync(IReadOnlyList<string> leadIds, ScoreCause cause, CancellationToken ct = default);

    /// <summary>
    /// Re-scores every stored lead with the champion (after a new model, or as time passes); returns how many were scored.
    /// <paramref name="onChanges"/> receives each saved chunk's changes (previous and new score), e.g. for webhooks.
    /// </summary>
    /// <paramref name="only"/> limits it to those leads (still one pass over the store's streams); <paramref name="range"/> to one
    /// lead-id range (one share of a re-score spread over instances; progress is then not reported until the end). With
    /// <see cref="ScoreCause.TimePassing"/>, closed leads (latest outcome converted or lost) are skipped and keep their last score.
    /// <paramref name="sink"/>, when given, saves each chunk instead (in place of the plain save and <paramref name="onChanges"/>).
    Task<int> RescoreAllAsync(ScoreCause cause, IProgress<double>? progress = null, CancellationToken ct = default,
        Func<IReadOnlyList<ScoreChange>, CancellationToken, Task>? onChanges = null, IReadOnlySet<string>? only = null, LeadIdRange? range = null,
        RescoreChunkSink? sink = null);

    /// <summary>Reloads the serving models from the registry (after train, promote or rollback); swaps atomically. True when the set changed.</summary>
    Task<bool> ReloadAsync(CancellationToken ct = default);

    /// <summary>Reloads the enrichment snapshot online scoring uses.</summary>
    Task RefreshEnrichmentAsync(CancellationToken ct = default);

    /// <summary>
    /// After an enrichment import on this instance: the snapshot takes the touched domains' records from the store, when
    /// <paramref name="savedVersion"/> (the enrichment version the import's bump returned) directly follows the snapshot's;
    /// otherwise the whole table is read again (<see cref="RefreshEnrichmentAsync(CancellationToken)"/>).
    /// </summary>
    Task RefreshEnrichmentAsync(IReadOnlyCollection<string> domains, long savedVersion, CancellationToken ct = default);
}

/// <summary>A lead's score before and after re-scoring (Previous is null for a first score).</summary>
public sealed record ScoreChange(StoredScore? Previous, StoredScore Current)
{
    /// <summary>
    /// A time-passing re-score kept the stored score (<see cref="Current"/> is <see cref="Previous"/>): the same model gave the
    /// same probability and grade, or had scored the lead at this instant already. Nothing is saved and no webhook goes out for it.
    /// </summary>
    public bool Unchanged { get; init; }
}
