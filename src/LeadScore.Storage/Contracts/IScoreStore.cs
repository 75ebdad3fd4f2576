using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Stored scores: each lead's latest and its history.</summary>
public interface IScoreStore
{
    /// <summary>Appends to score history and replaces each lead's latest score.</summary>
    Task SaveScoresAsync(IReadOnlyList<StoredScore> scores, CancellationToken ct = default);
    Task<StoredScore?> GetLatestScoreAsync(string leadId, CancellationToken ct = default);
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<StoredScore>> GetScoreHistoryAsync(string leadId, CancellationToken ct = default);
    /// <summary>
    /// Latest scores, best first, optionally one grade only; with <paramref name="openOnly"/>, only leads still open
    /// (no outcome, or reopened after the last one): the leads a seller can still work on.
    /// </summary>
    Task<IReadOnlyList<StoredScore>> ListTopScoresAsync(string? grade, int limit, bool openOnly = false, CancellationToken ct = default);
    /// <summary>Every lead's latest score, by lead id.</summary>
    IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(CancellationToken ct = default);
    /// <summary>The latest scores of one lead-id range, by lead id.</summary>
    IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(LeadIdRange range, CancellationToken ct = default);
    /// <summary>The latest scores of the open leads of one lead-id range (see <see cref="ILeadData.StreamOpenLeadsAsync"/>), by lead id.</summary>
    IAsyncEnumerable<StoredScore> StreamLatestScoresOfOpenLeadsAsync(LeadIdRange range, CancellationToken ct = default);
    /// <summary>The latest scores of the leads named, by lead id.</summary>
    IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(IEnumerable<string> leadIds, CancellationToken ct = default);
}
