using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Dapper;
using LeadScore.Core;
using Npgsql;

namespace LeadScore.Storage.Postgres;

/// <summary>
/// Activities in monthly partitions (migration 015): <c>activities_pYYYYMM</c> holds the month's event times
/// [first of the month, first of the next month) in Unix ms, UTC; <c>activities_default</c> whatever has no month yet.
/// Partition DDL takes an advisory lock per transaction, so instances (and a CLI) maintaining at once take turns, and a
/// lock timeout, so a long reader of activities (a training-set stream) makes the step fail and retry later instead of
/// queueing every other query behind the DDL's lock.
/// </summary>
public sealed partial class PostgresLeadStore
{
    private const long PartitionLockKey = 0x4C65_6164_5061;
    private const string DefaultPartition = "activities_default";
    private const string PartitionPrefix = "activities_p";
    private const string UpkeepLockTimeout = "10s";
    private const string ImportLockTimeout = "2s";
    private const string DdlLockTimeout = $"SET LOCAL lock_timeout = '{UpkeepLockTimeout}'";

    public override bool PartitionsActivities => true;

    internal static string PartitionName(DateTimeOffset month) => PartitionPrefix + month.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture);

    private static DateTimeOffset? MonthOfPartition(string name) =>
        name.StartsWith(PartitionPrefix, StringComparison.Ordinal) && name.Length == PartitionPrefix.Length + 6 &&
        DateTime.TryParseExact(name[PartitionPrefix.Length..], "yyyyMM", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var m)
            ? new DateTimeOffset(m, TimeSpan.Zero)
            : null;

    private static async Task<IReadOnlyList<string>> PartitionNamesAsync(DbConnection c, DbTransaction? tx, CancellationToken ct) =>
        (await c.QueryAsync<string>(new CommandDefinition(
            "SELECT k.relname FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = 'activities'::regclass",
            transaction: tx, cancellationToken: ct))).ToList();

    public override async Task<IReadOnlyList<ActivityPartition>> ListActivityPartitionsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var list = new List<ActivityPartition>();
        foreach (var name in await PartitionNamesAsync(c, null, ct))
        {
            // The names come from the catalogue; quoted all the same.
            var rows = await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM \"{name}\"", cancellationToken: ct, commandTimeout: 0));
            list.Add(new ActivityPartition(name, MonthOfPartition(name), rows));
        }
        return list.OrderBy(p => p.Month is null).ThenBy(p => p.Month).ToList();
    }

    public override async Task<ActivityPartitionUpkeep> MaintainActivityPartitionsAsync(DateTimeOffset from, DateTimeOffset through, CancellationToken ct = default)
    {
        var months = new SortedSet<DateTimeOffset>();
        for (var m = MonthOf(from); m <= MonthOf(through); m = m.AddMonths(1)) months.Add(m);
        await using (var c = await OpenAsync(ct))
        {
            // The months the DEFAULT partition holds rows of: each gets its partition, and the rows move into it.
            var held = await c.QueryAsync<long>(new CommandDefinition(
                $"SELECT DISTINCT (extract(epoch FROM date_trunc('month', TIMESTAMP 'epoch' + ts * INTERVAL '1 millisecond')) * 1000)::BIGINT FROM {DefaultPartition}",
                cancellationToken: ct, commandTimeout: 0));
            foreach (var ms in held) months.Add(Time(ms));
        }
        var created = new List<string>();
        long moved = 0;
        foreach (var month in months)
            if (await CreatePartitionAsync(month, UpkeepLockTimeout, ct) is { } m)
            {
                created.Add(PartitionName(month));
                moved += m;
            }
        return new ActivityPartitionUpkeep(created, moved);
    }

    /// <summary>
    /// Creates the partition of <paramref name="month"/> unless it exists, moving the rows DEFAULT holds of that month into
    /// it; the rows moved, or null when it existed. One transaction.
    /// </summary>
    private Task<long?> CreatePartitionAsync(DateTimeOffset month, string lockTimeout, CancellationToken ct)
    {
        var name = PartitionName(month);
        var (lo, hi) = (Ms(month), Ms(month.AddMonths(1)));
        return InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(new CommandDefinition($"SET LOCAL lock_timeout = '{lockTimeout}'; SELECT pg_advisory_xact_lock({PartitionLockKey})", transaction: tx, cancellationToken: ct));
            if ((await PartitionNamesAsync(c, tx, ct)).Contains(name)) return (long?)null;
            // Writers of DEFAULT wait (readers do not) until the month's rows have moved and the partition is attached.
            // The new table is filled while standalone, its key index built once at ATTACH, and the CHECK constraint
            // lets ATTACH skip scanning it (ATTACH still checks DEFAULT holds no row of the month: ix_activities_default_ts).
            var n = await c.ExecuteAsync(new CommandDefinition($"""
                LOCK TABLE {DefaultPartition} IN SHARE ROW EXCLUSIVE MODE;
                CREATE TABLE {name} (LIKE activities INCLUDING DEFAULTS);
                WITH moved AS (DELETE FROM {DefaultPartition} WHERE ts >= {lo} AND ts < {hi} RETURNING *)
                INSERT INTO {name} SELECT * FROM moved;
                """, transaction: tx, cancellationToken: ct, commandTimeout: 0));
            await c.ExecuteAsync(new CommandDefinition($"""
                ALTER TABLE {name} ADD CONSTRAINT {name}_bounds CHECK (ts >= {lo} AND ts < {hi});
                ALTER TABLE activities ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi});
                ALTER TABLE {name} DROP CONSTRAINT {name}_bounds;
                """, transaction: tx, cancellationToken: ct, commandTimeout: 0));
            _months[lo] = true;
            return (long?)Math.Max(n, 0);
        }, ct);
    }

    /// <summary>Months known to have a partition (a cache: a stale entry only sends rows to DEFAULT, never loses them).</summary>
    private readonly ConcurrentDictionary<long, bool> _months = new();

    /// <summary>
    /// Before an import batch: creates the partitions of the batch's months that do not exist yet, so a first import or a
    /// backfill of old data lands in its months rather than in DEFAULT (to be moved again later). A month whose partition
    /// cannot be created within a short lock timeout (a long reader of activities) is left to DEFAULT and the upkeep.
    /// </summary>
    private async Task EnsurePartitionsForAsync(IReadOnlyList<Activity> batch, CancellationToken ct)
    {
        List<DateTimeOffset>? missing = null;
        long lo = long.MaxValue, hi = long.MinValue;
        for (var i = 0; i < batch.Count; i++)
        {
            var t = batch[i].Timestamp;
            var ms = Ms(t);
            if (ms >= lo && ms < hi) continue;
            var month = MonthOf(t);
            (lo, hi) = (Ms(month), Ms(month.AddMonths(1)));
            if (!_months.ContainsKey(lo) && !(missing ??= []).Contains(month)) missing.Add(month);
        }
        if (missing is null) return;
        await using (var c = await OpenAsync(ct))
            foreach (var name in await PartitionNamesAsync(c, null, ct))
                if (MonthOfPartition(name) is { } m) _months[Ms(m)] = true;
        foreach (var month in missing)
        {
            if (_months.ContainsKey(Ms(month))) continue;
            try
            {
                await CreatePartitionAsync(month, ImportLockTimeout, ct);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
            }
        }
    }

    /// <summary>
    /// Whole months before <paramref name="before"/> are dropped (their registry rows deleted first, found through the
    /// partition's own rows), one month per transaction; then rows before it in the month it falls in, in DEFAULT and in
    /// activity_history are deleted as on SQLite. The count is of rows, as before partitioning.
    /// </summary>
    public override async Task<long> DeleteActivitiesOlderThanAsync(DateTimeOffset before, bool dryRun = false, CancellationToken ct = default)
    {
        var cut = Ms(before);
        if (dryRun)
        {
            await using var c = await OpenAsync(ct);
            return await c.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT (SELECT COUNT(*) FROM activities WHERE ts < @cut) + (SELECT COUNT(*) FROM activity_history WHERE ts < @cut)",
                new { cut }, cancellationToken: ct, commandTimeout: 0));
        }
        long n = 0;
        List<string> whole;
        await using (var c = await OpenAsync(ct))
            whole = (await PartitionNamesAsync(c, null, ct)).Where(p => MonthOfPartition(p) is { } m && Ms(m.AddMonths(1)) <= cut).Order(StringComparer.Ordinal).ToList();
        foreach (var name in whole)
            n += await InTransactionAsync(async (c, tx) =>
            {
                await c.ExecuteAsync(new CommandDefinition($"{DdlLockTimeout}; SELECT pg_advisory_xact_lock({PartitionLockKey})", transaction: tx, cancellationToken: ct));
                if (!(await PartitionNamesAsync(c, tx, ct)).Contains(name)) return 0L;
                // Taken first, so no import adds rows to the month between the count and the drop.
                await c.ExecuteAsync(new CommandDefinition($"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE", transaction: tx, cancellationToken: ct));
                var rows = await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {name}", transaction: tx, cancellationToken: ct, commandTimeout: 0));
                await c.ExecuteAsync(new CommandDefinition($"""
                    DELETE FROM activity_ids i USING {name} p WHERE i.event_id = p.event_id;
                    ALTER TABLE activities DETACH PARTITION {name};
                    DROP TABLE {name};
                    """, transaction: tx, cancellationToken: ct, commandTimeout: 0));
                _months.TryRemove(Ms(MonthOfPartition(name)!.Value), out _);
                return rows;
            }, ct);
        n += await InTransactionAsync(async (c, tx) =>
        {
            var rows = await c.ExecuteScalarAsync<long>(new CommandDefinition("""
                WITH gone AS (DELETE FROM activities WHERE ts < @cut RETURNING event_id),
                     ids AS (DELETE FROM activity_ids i USING gone g WHERE i.event_id = g.event_id)
                SELECT COUNT(*) FROM gone
                """, new { cut }, tx, cancellationToken: ct, commandTimeout: 0));
            return rows + await c.ExecuteAsync(new CommandDefinition("DELETE FROM activity_history WHERE ts < @cut", new { cut }, tx, cancellationToken: ct, commandTimeout: 0));
        }, ct);
        return n;
    }
}
