using System.ComponentModel.DataAnnotations;
using LeadScore.Storage;

namespace LeadScore.Application.Governance;

/// <summary>The partition upkeep's schedule (bound from <c>LeadScore:Partitions</c>, validated at start).</summary>
public sealed class PartitionOptions
{
    public const string Section = "LeadScore:Partitions";

    /// <summary>How often the leader runs the upkeep (the first run is as soon as an instance is leader).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")] public TimeSpan Interval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How many months after the current one get their partition ahead of time.</summary>
    [Range(0, 24)] public int MonthsAhead { get; set; } = 3;
}

/// <summary>
/// Keeps the monthly partitions of activities ahead of time (PostgreSQL; nothing to do on SQLite): creates the current
/// month's and the next <see cref="PartitionOptions.MonthsAhead"/> months' partitions, and moves rows that landed in
/// the DEFAULT partition (months without a partition: backfills of old data, far-future times) into partitions of their
/// own month. The leader runs it on a schedule (Hosting's PartitionMaintenance); it is safe to run from several places.
/// </summary>
public sealed class ActivityPartitionService(IActivityPartitions partitions, PartitionOptions options, TimeProvider time)
{
    public PartitionOptions Options => options;

    public async Task<ActivityPartitionUpkeep> RunAsync(CancellationToken ct = default)
    {
        if (!partitions.PartitionsActivities) return ActivityPartitionUpkeep.None;
        var now = time.GetUtcNow();
        return await partitions.MaintainActivityPartitionsAsync(now, SqlLeadStore.MonthOf(now).AddMonths(options.MonthsAhead), ct);
    }
}
