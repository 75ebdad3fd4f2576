using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// The reads that may show data a little behind the latest writes: the dashboard's and the API's lists of leads (with the
/// company search) and the streams the CSV exports merge. Nothing that decides or writes reads through this (scores, jobs,
/// leases, settings, a lead's own page, training sets, re-scoring): those take the primary store's contracts. With a read
/// replica configured (<c>LeadScore:Storage:ReadReplica</c>) these go to the replica through <see cref="ReplicaReadRouter"/>;
/// without one the store itself serves them (<see cref="StoreReads"/>). The composition root registers exactly one of the two: the one place that decides.
/// </summary>
public interface ILaggingReads
{
    /// <inheritdoc cref="ILeadListing.ListLeadPageAsync"/>
    Task<LeadPage> ListLeadPageAsync(LeadPageQuery query, CancellationToken ct = default);

    /// <summary>All leads ordered by id (as <see cref="ILeadData.StreamLeadsAsync(CancellationToken)"/>).</summary>
    IAsyncEnumerable<Lead> StreamLeadsAsync(CancellationToken ct = default);

    /// <summary>Every lead's latest score, by lead id (as <see cref="IScoreStore.StreamLatestScoresAsync(CancellationToken)"/>).</summary>
    IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(CancellationToken ct = default);

    /// <summary>All outcomes ordered by lead id, time (as <see cref="IOutcomeData.StreamOutcomesAsync"/>).</summary>
    IAsyncEnumerable<Outcome> StreamOutcomesAsync(CancellationToken ct = default);

    /// <summary>Where these reads go now, and why (for <c>/health/ready</c>); checks the replica when the last check is due.</summary>
    ValueTask<ReadRoute> RouteAsync(CancellationToken ct = default);
}

/// <summary>Where the lagging reads go.</summary>
/// <param name="Target"><see cref="Primary"/> or <see cref="Replica"/>.</param>
/// <param name="ReplicaState">
/// <c>none</c> (no replica configured), <c>streaming</c> (in use), <c>down</c> (unreachable or failing), <c>lagging</c>
/// (replay further behind than the bound), <c>not_streaming</c> (no WAL receiver: it lost its primary),
/// <c>not_standby</c> (the server is not in recovery: a promoted or wrong server).
/// </param>
/// <param name="LagSeconds">Replay lag at the last check: 0 when everything received is replayed, else the time since the last replayed commit.</param>
/// <param name="Detail">The error or reason of a fallback, for the operator.</param>
public sealed record ReadRoute(string Target, string ReplicaState, double? LagSeconds = null, string? Detail = null)
{
    public const string Primary = "primary";
    public const string Replica = "replica";

    /// <summary>No replica configured: the primary store serves every read.</summary>
    public static ReadRoute PrimaryOnly { get; } = new(Primary, "none");
}
