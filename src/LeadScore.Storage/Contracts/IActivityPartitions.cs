namespace LeadScore.Storage;

/// <summary>
/// The monthly partitions of the activities table (PostgreSQL, migration 015). SQLite keeps one table: it reports no
/// partitions and its upkeep does nothing; its retention deletes rows.
/// </summary>
public interface IActivityPartitions
{
    /// <summary>True when activities are stored in monthly partitions (PostgreSQL).</summary>
    bool PartitionsActivities { get; }

    /// <summary>The partitions, oldest month first, the DEFAULT partition (no month) last, each with its row count.</summary>
    Task<IReadOnlyList<ActivityPartition>> ListActivityPartitionsAsync(CancellationToken ct = default);

    /// <summary>
    /// Creates the partitions of every month from the month of <paramref name="from"/> through the month of
    /// <paramref name="through"/> (UTC) that does not exist yet, and moves the rows the DEFAULT partition holds into a
    /// partition of their month (created for it), one month per transaction. Safe to run from several instances at once.
    /// </summary>
    Task<ActivityPartitionUpkeep> MaintainActivityPartitionsAsync(DateTimeOffset from, DateTimeOffset through, CancellationToken ct = default);
}

/// <summary>One partition: <see cref="Month"/> is the first instant of its month (UTC), null for the DEFAULT partition.</summary>
public sealed record ActivityPartition(string Name, DateTimeOffset? Month, long Rows);

/// <summary>What an upkeep did: the partitions it created (names) and how many rows it moved out of DEFAULT.</summary>
public sealed record ActivityPartitionUpkeep(IReadOnlyList<string> Created, long MovedFromDefault)
{
    public static ActivityPartitionUpkeep None { get; } = new([], 0);
}
