using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using LeadScore.Core;
using LeadScore.Storage.Postgres;
using Npgsql;

namespace LeadScore.Storage;

/// <summary>How <see cref="ReplicaReadRouter"/> judges the replica.</summary>
public sealed record ReadReplicaSettings
{
    /// <summary>The replica's connection string (same database name as the primary's).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Reads go to the primary while the replica's replay lag is above this; zero: only a replica that has replayed everything it received.</summary>
    public TimeSpan MaxLag { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one check of the replica stands; the first read after it checks again.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a check may take before the replica counts as down. Short, because the read (or the <c>/health/ready</c>
    /// probe) that finds the last check stale waits for it, and a balancer's health check must not time out over a replica.
    /// </summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The lagging reads (<see cref="ILaggingReads"/>) of a PostgreSQL primary with a streaming read replica: they go to the
/// replica while it is a standby, receives WAL from its primary and replays within <see cref="ReadReplicaSettings.MaxLag"/>
/// (checked at most every <see cref="ReadReplicaSettings.CheckInterval"/>, by the read that finds the last check stale),
/// else to the primary. A read the replica fails (connection refused, timeout, a query cancelled by recovery, a database not
/// replicated yet) is run again on the primary and the replica counts as down until the next check, so a replica outage
/// fails no request; a stream fails over only before its first row (a stream cut mid-way fails, like one cut on the primary).
/// The replica is held as <see cref="ILaggingReads"/> only: no write can reach it.
/// </summary>
public sealed class ReplicaReadRouter : ILaggingReads, IAsyncDisposable
{
    // Replay lag as the standby sees it: nothing when everything received is replayed (an idle primary sends nothing, and
    // the last replayed commit may be old), else the time since the last replayed commit.
    private const string CheckSql = """
        SELECT pg_is_in_recovery(),
               EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
               CASE WHEN NOT pg_is_in_recovery() THEN NULL
                    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0.0::float8
                    ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 END
        """;

    private readonly ILaggingReads _primary;
    private readonly PostgresLeadStore _replicaStore;
    private readonly ILaggingReads _replica;
    private readonly NpgsqlDataSource _checks;
    private readonly ReadReplicaSettings _settings;
    private readonly TimeProvider _time;
    private readonly Action<ReadRoute>? _changed;
    private readonly string _description;
    private volatile Checked? _last;
    private int _checking;

    private sealed record Checked(ReadRoute Route, DateTimeOffset At);

    /// <param name="primary">The primary store's lagging reads (<see cref="StoreReads"/> over the primary store).</param>
    /// <param name="changed">Called when the route changes (replica to primary or back), for the log.</param>
    public ReplicaReadRouter(ILaggingReads primary, ReadReplicaSettings settings, TimeProvider? time = null, Action<ReadRoute>? changed = null)
    {
        if (Validate(settings.ConnectionString) is { } error) throw new LeadScoreException(error, "database");
        _primary = primary;
        _settings = settings;
        _time = time ?? TimeProvider.System;
        _changed = changed;
        var csb = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        _description = $"PostgreSQL {csb.Host}:{csb.Port}/{csb.Database} (read replica)";
        _replicaStore = new PostgresLeadStore(settings.ConnectionString, _time);
        _replica = new StoreReads(_replicaStore);
        _checks = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(settings.ConnectionString) { MaxPoolSize = 2 }.ConnectionString).Build();
    }

    /// <summary>Null when <paramref name="connectionString"/> can name a replica, else why not (for the start-up check of the setting).</summary>
    public static string? Validate(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) return "is empty";
        try
        {
            var csb = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(csb.Host)) return "names no Host";
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            return $"is not a PostgreSQL connection string: {ex.Message}";
        }
    }

    /// <summary>Host, port and database of the replica, never the password.</summary>
    public string Describe() => _description;

    public Task<LeadPage> ListLeadPageAsync(LeadPageQuery query, CancellationToken ct = default) =>
        ReadAsync(reads => reads.ListLeadPageAsync(query, ct), ct);

    public IAsyncEnumerable<Lead> StreamLeadsAsync(CancellationToken ct = default) => StreamAsync((reads, c) => reads.StreamLeadsAsync(c), ct);

    public IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(CancellationToken ct = default) => StreamAsync((reads, c) => reads.StreamLatestScoresAsync(c), ct);

    public IAsyncEnumerable<Outcome> StreamOutcomesAsync(CancellationToken ct = default) => StreamAsync((reads, c) => reads.StreamOutcomesAsync(c), ct);

    /// <summary>The route from the last check, checking again first when it is older than the interval (one check at a time; the others use the last).</summary>
    public async ValueTask<ReadRoute> RouteAsync(CancellationToken ct = default)
    {
        var last = _last;
        if (last is not null && _time.GetUtcNow() - last.At < _settings.CheckInterval) return last.Route;
        var mine = Interlocked.CompareExchange(ref _checking, 1, 0) == 0;
        if (!mine && last is not null) return last.Route;
        try
        {
            var route = await CheckAsync(ct);
            Record(route);
            return route;
        }
        finally
        {
            if (mine) Volatile.Write(ref _checking, 0);
        }
    }

    private async Task<ReadRoute> CheckAsync(CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_settings.CheckTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            return await CheckOnceAsync(linked.Token);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && (IsOutage(ex) || ex is OperationCanceledException))
        {
            if (timeout.IsCancellationRequested) return new ReadRoute(ReadRoute.Primary, "down", null, "the check timed out");
            // The pooled connection may be one a replica restart broke: drop the pool and ask once more on a new one.
            _checks.Clear();
        }
        try
        {
            return await CheckOnceAsync(linked.Token);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && (IsOutage(ex) || ex is OperationCanceledException))
        {
            return new ReadRoute(ReadRoute.Primary, "down", null, ex is OperationCanceledException ? "the check timed out" : ex.Message);
        }
    }

    private async Task<ReadRoute> CheckOnceAsync(CancellationToken ct)
    {
        {
            await using var c = await _checks.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(CheckSql, c);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            var standby = r.GetBoolean(0);
            var receiving = r.GetBoolean(1);
            double? lag = r.IsDBNull(2) ? null : Math.Max(0, r.GetDouble(2));
            if (!standby) return new ReadRoute(ReadRoute.Primary, "not_standby", null, "the replica server is not in recovery (promoted, or not a standby)");
            if (!receiving) return new ReadRoute(ReadRoute.Primary, "not_streaming", lag, "the replica has no WAL receiver: it is not receiving from its primary");
            if (lag is not { } l || l > _settings.MaxLag.TotalSeconds)
                return new ReadRoute(ReadRoute.Primary, "lagging", lag,
                    $"replay lag {(lag is { } x ? x.ToString("0.###", CultureInfo.InvariantCulture) + " s" : "unknown")} is above the bound of {_settings.MaxLag.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            return new ReadRoute(ReadRoute.Replica, "streaming", lag);
        }
    }

    private void Record(ReadRoute route)
    {
        var previous = _last;
        _last = new Checked(route, _time.GetUtcNow());
        if (previous is null || previous.Route.Target != route.Target || previous.Route.ReplicaState != route.ReplicaState) _changed?.Invoke(route);
    }

    /// <summary>A read on the replica failed: it counts as down until the next check.</summary>
    private void Failed(Exception ex) => Record(new ReadRoute(ReadRoute.Primary, "down", null, ex.Message));

    /// <summary>What a replica that is down, restarting, cancelling queries for recovery or missing the database throws.</summary>
    private static bool IsOutage(Exception ex) => ex is NpgsqlException or SocketException or TimeoutException or IOException;

    private async Task<T> ReadAsync<T>(Func<ILaggingReads, Task<T>> read, CancellationToken ct)
    {
        if ((await RouteAsync(ct)).Target == ReadRoute.Replica)
        {
            try
            {
                return await read(_replica);
            }
            catch (Exception ex) when (IsOutage(ex) && !ct.IsCancellationRequested)
            {
                Failed(ex);
            }
        }
        return await read(_primary);
    }

    private async IAsyncEnumerable<T> StreamAsync<T>(Func<ILaggingReads, CancellationToken, IAsyncEnumerable<T>> open, [EnumeratorCancellation] CancellationToken ct)
    {
        IAsyncEnumerator<T>? rows = null;
        var has = false;
        if ((await RouteAsync(ct)).Target == ReadRoute.Replica)
        {
            rows = open(_replica, ct).GetAsyncEnumerator(ct);
            try
            {
                has = await rows.MoveNextAsync();
            }
            catch (Exception ex) when (IsOutage(ex) && !ct.IsCancellationRequested)
            {
                await DisposeQuietlyAsync(rows);
                rows = null;
                Failed(ex);
            }
        }
        try
        {
            if (rows is null)
            {
                rows = open(_primary, ct).GetAsyncEnumerator(ct);
                has = await rows.MoveNextAsync();
            }
            while (has)
            {
                yield return rows.Current;
                has = await rows.MoveNextAsync();
            }
        }
        finally
        {
            if (rows is not null) await rows.DisposeAsync();
        }
    }

    private static async ValueTask DisposeQuietlyAsync<T>(IAsyncEnumerator<T> rows)
    {
        try
        {
            await rows.DisposeAsync();
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            // The connection is already broken; the read goes to the primary.
        }
    }

    /// <summary>Closes the replica's connections; the primary store is not this router's to close.</summary>
    public async ValueTask DisposeAsync()
    {
        await _replicaStore.DisposeAsync();
        await _checks.DisposeAsync();
    }
}
