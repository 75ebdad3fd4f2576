using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Activities (web, email, social, sales events).</summary>
public interface IActivityData
{
    /// <summary>Inserts activities, skipping those whose event id is already stored. One transaction.</summary>
    Task<InsertCounts> InsertActivitiesAsync(IReadOnlyList<Activity> activities, CancellationToken ct = default);
    /// <summary>A lead's activities ordered by time (then event id), optionally only those strictly before <paramref name="before"/>.</summary>
    Task<IReadOnlyList<Activity>> GetActivitiesAsync(string leadId, DateTimeOffset? before = null, CancellationToken ct = default);
    /// <summary>All activities ordered by lead id, time, event id (for building training sets in one pass).</summary>
    IAsyncEnumerable<Activity> StreamActivitiesAsync(CancellationToken ct = default);
    Task<long> CountActivitiesAsync(CancellationToken ct = default);
}
