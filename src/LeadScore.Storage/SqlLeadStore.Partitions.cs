namespace LeadScore.Storage;

/// <summary>
/// Monthly partitions of activities (<see cref="IActivityPartitions"/>): PostgreSQL only (its store overrides these);
/// SQLite keeps one table, so there is nothing to list or maintain.
/// </summary>
public abstract partial class SqlLeadStore
{
    public virtual bool PartitionsActivities => false;

    public virtual Task<IReadOnlyList<ActivityPartition>> ListActivityPartitionsAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ActivityPartition>>([]);

    public virtual Task<ActivityPartitionUpkeep> MaintainActivityPartitionsAsync(DateTimeOffset from, DateTimeOffset through, CancellationToken ct = default) =>
        Task.FromResult(ActivityPartitionUpkeep.None);

    /// <summary>The first instant (UTC) of the month <paramref name="t"/> falls in: the lower bound of its partition.</summary>
    public static DateTimeOffset MonthOf(DateTimeOffset t)
    {
        var u = t.UtcDateTime;
        return new DateTimeOffset(u.Year, u.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }
}
