using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// The lagging reads (<see cref="ILaggingReads"/>) served by one store: the store itself when no replica is configured,
/// and the replica's side of <see cref="ReplicaReadRouter"/>. Does not own the store (disposing it is its owner's job).
/// </summary>
public sealed class StoreReads(ILeadStore store) : ILaggingReads
{
    public Task<LeadPage> ListLeadPageAsync(LeadPageQuery query, CancellationToken ct = default) => store.ListLeadPageAsync(query, ct);

    public IAsyncEnumerable<Lead> StreamLeadsAsync(CancellationToken ct = default) => store.StreamLeadsAsync(ct);

    public IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(CancellationToken ct = default) => store.StreamLatestScoresAsync(ct);

    public IAsyncEnumerable<Outcome> StreamOutcomesAsync(CancellationToken ct = default) => store.StreamOutcomesAsync(ct);

    public ValueTask<ReadRoute> RouteAsync(CancellationToken ct = default) => ValueTask.FromResult(ReadRoute.PrimaryOnly);
}
