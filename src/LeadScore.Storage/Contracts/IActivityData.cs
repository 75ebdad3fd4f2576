using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Activities (web, email, social, sales events).</summary>
public interface IActivityData
{
    /// <summary>
    /// Inserts activities by event id, comparing content with what is stored: a new event id is Inserted; the same content
    /// (lead, type, time, url, value, properties) is Unchanged; other content is a correction, stored in place of the old
    /// version, which is kept in <c>activity_history</c>, and counted in <see cref="InsertCounts.Updated"/>. When a batch
    /// names one event id twice the last one wins and the others count as Unchanged. One transaction.
    /// </summary>
    Task<InsertCounts> InsertActivitiesAsync(IReadOnlyList<Activity> activities, CancellationToken ct = default);
    /// <summary>A lead's activities ordered by time (then event id), optionally only those strictly before <paramref name="before"/>.</summary>
    Task<IReadOnlyList<Activity>> GetActivitiesAsync(string leadId, DateTimeOffset? before = null, CancellationToken ct = default);
    /// <summary>All activities ordered by lead id, time, event id (for building training sets in one pass).</summary>
    IAsyncEnumerable<Activity> StreamActivitiesAsync(CancellationToken ct = default);
    /// <summary>The activities of one lead-id range, in the same order.</summary>
    IAsyncEnumerable<Activity> StreamActivitiesAsync(LeadIdRange range, CancellationToken ct = default);
    /// <summary>
    /// The activities strictly before <paramref name="before"/> of the open leads of one id range (see
    /// <see cref="ILeadData.StreamOpenLeadsAsync"/>), in the same order: closed leads' activities are not read at all.
    /// </summary>
    IAsyncEnumerable<Activity> StreamActivitiesOfOpenLeadsAsync(LeadIdRange range, DateTimeOffset before, CancellationToken ct = default);
    /// <summary>The activities strictly before <paramref name="before"/> of the leads named, ordered by lead id, time, event id.</summary>
    IAsyncEnumerable<Activity> StreamActivitiesAsync(IEnumerable<string> leadIds, DateTimeOffset before, CancellationToken ct = default);
    Task<long> CountActivitiesAsync(CancellationToken ct = default);
}
