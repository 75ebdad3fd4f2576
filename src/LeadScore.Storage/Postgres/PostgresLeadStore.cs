using System.Data.Common;
using Dapper;
using LeadScore.Core;
using LeadScore.Storage.Migrations;
using Npgsql;
using NpgsqlTypes;

namespace LeadScore.Storage.Postgres;

/// <summary>
/// PostgreSQL backend for several stateless LeadScore instances behind a load balancer.
/// Migrations take an advisory lock so instances starting together apply them once.
/// </summary>
public sealed partial class PostgresLeadStore : SqlLeadStore
{
    private const long MigrationLockKey = 0x4C65_6164_5363;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _description;

    /// <param name="time">The clock for times the store stamps itself; the system clock when null.</param>
    public PostgresLeadStore(string connectionString, TimeProvider? time = null) : base(time)
    {
        NpgsqlConnectionStringBuilder csb;
        try
        {
            csb = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new LeadScoreException($"invalid PostgreSQL connection string: {ex.Message}", "database");
        }
        _description = $"PostgreSQL {csb.Host}:{csb.Port}/{csb.Database}";
        _dataSource = new NpgsqlDataSourceBuilder(csb.ConnectionString).Build();
    }

    public override string Backend => "postgresql";
    public override string Describe() => _description;

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    public override async Task MigrateAsync(CancellationToken ct = default)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@k)", new { k = MigrationLockKey }, cancellationToken: ct));
        try
        {
            await Migrator.ApplyAsync(c, "Postgres", Clock, ct);
        }
        finally
        {
            await c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@k)", new { k = MigrationLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>
    /// Binary COPY into a temporary table, then set-based statements in the same transaction (migration 015):
    /// <list type="number">
    /// <item>the registry <c>activity_ids</c> takes the batch's new event ids and locks the rows of the known ones (an
    /// upsert whose update never applies: it only locks), in event-id order, so concurrent batches with a shared event id
    /// take turns on it as they did on the old primary key;</item>
    /// <item>stored versions the batch corrects are deleted from their partition (found through the registry: lead id and
    /// time) and kept in activity_history;</item>
    /// <item>the registry rows of corrected events move to their new lead id and time;</item>
    /// <item>the batch's rows go in, those already stored unchanged conflicting on the partitions' key and skipped.</item>
    /// </list>
    /// A batch of only new event ids (a first import) skips steps 2 and 3. Partitions of months the batch needs and
    /// that do not exist yet are created first, in their own transactions. A large batch is cut in two halves written
    /// at the same time on two connections (one transaction each).
    /// </summary>
    public override async Task<InsertCounts> InsertActivitiesAsync(IReadOnlyList<Activity> input, CancellationToken ct = default)
    {
        if (input.Count == 0) return default;
        var (activities, duplicates) = LastPerEventId(input);
        await EnsurePartitionsForAsync(activities, ct);
        var now = NowMs;
        var dropped = new InsertCounts(0, duplicates);
        if (activities.Count < 2 * MinParallelSlice) return await InsertActivitySliceAsync(activities, now, ct) + dropped;
        // Two slices on two connections: PostgreSQL's index upkeep is most of an import's cost and one backend uses one
        // core. Event ids are unique within the batch, so the slices lock disjoint registry rows and cannot deadlock; each
        // commits on its own, which a re-run of the import makes whole like any interrupted batch.
        var half = activities.Count / 2;
        var list = activities as List<Activity> ?? [.. activities];
        var parts = await Task.WhenAll(
            InsertActivitySliceAsync(list.GetRange(0, half), now, ct),
            InsertActivitySliceAsync(list.GetRange(half, list.Count - half), now, ct));
        return parts[0] + parts[1] + dropped;
    }

    /// <summary>Batches below twice this many rows are written on one connection.</summary>
    private const int MinParallelSlice = 4096;

    private Task<InsertCounts> InsertActivitySliceAsync(IReadOnlyList<Activity> activities, long now, CancellationToken ct) =>
        InTransactionAsync(async (c, tx) =>
        {
            var pg = (NpgsqlConnection)c;
            await c.ExecuteAsync(new CommandDefinition(
                "CREATE TEMP TABLE IF NOT EXISTS tmp_activities (LIKE activities INCLUDING DEFAULTS) ON COMMIT DELETE ROWS", transaction: tx, cancellationToken: ct));
            await using (var w = await pg.BeginBinaryImportAsync("COPY tmp_activities (event_id, lead_id, type, ts, url, value, properties) FROM STDIN (FORMAT BINARY)", ct))
            {
                // Synchronous writes into the COPY buffer: they only block when it flushes, and the
                // per-field async state machines cost more than the flushes (this runs on a pool thread).
                for (var i = 0; i < activities.Count; i++)
                {
                    if ((i & 4095) == 0) ct.ThrowIfCancellationRequested();
                    var a = activities[i];
                    w.StartRow();
                    w.Write(a.EventId, NpgsqlDbType.Text);
                    w.Write(a.LeadId, NpgsqlDbType.Text);
                    w.Write(a.Type, NpgsqlDbType.Text);
                    w.Write(Ms(a.Timestamp), NpgsqlDbType.Bigint);
                    if (a.Url is null) w.WriteNull(); else w.Write(a.Url, NpgsqlDbType.Text);
                    if (a.Value is { } v) w.Write(v, NpgsqlDbType.Double); else w.WriteNull();
                    if (a.Properties.Count == 0) w.WriteNull(); else w.Write(ToJson(a.Properties), NpgsqlDbType.Text);
                }
                await w.CompleteAsync(ct);
            }
            // WHERE false: a known event id's row is locked (ON CONFLICT DO UPDATE locks every conflicting row) but not
            // rewritten; RETURNING then names only the ids this batch registered.
            var fresh = await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO activity_ids (event_id, lead_id, ts) SELECT event_id, lead_id, ts FROM tmp_activities ORDER BY event_id COLLATE "C"
                ON CONFLICT (event_id) DO UPDATE SET ts = excluded.ts WHERE false
                """, transaction: tx, cancellationToken: ct));
            var updated = 0;
            if (fresh < activities.Count)
            {
                updated = await c.ExecuteAsync(new CommandDefinition($"""
                    WITH moved AS (
                        DELETE FROM activities a USING activity_ids i, tmp_activities t
                        WHERE i.event_id = t.event_id AND a.lead_id = i.lead_id AND a.ts = i.ts AND a.event_id = i.event_id AND {Differs("a", "t")}
                        RETURNING a.event_id, a.lead_id, a.type, a.ts, a.url, a.value, a.properties)
                    INSERT INTO activity_history (event_id, lead_id, type, ts, url, value, properties, replaced_at)
                    SELECT event_id, lead_id, type, ts, url, value, properties, @now FROM moved
                    """, new { now }, tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition("""
                    UPDATE activity_ids i SET lead_id = t.lead_id, ts = t.ts FROM tmp_activities t
                    WHERE i.event_id = t.event_id AND (i.lead_id, i.ts) IS DISTINCT FROM (t.lead_id, t.ts)
                    """, transaction: tx, cancellationToken: ct));
            }
            var written = await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO activities SELECT * FROM tmp_activities ON CONFLICT (lead_id, ts, event_id) DO NOTHING", transaction: tx, cancellationToken: ct));
            var inserted = written - updated;
            return new InsertCounts(inserted, activities.Count - written) { Updated = updated };
        }, ct);

    /// <summary>Rows through one binary COPY, each written by <paramref name="write"/> after its row starts.</summary>
    private static async Task CopyAsync<T>(DbConnection c, string copy, IReadOnlyList<T> rows, Action<NpgsqlBinaryImporter, T> write, CancellationToken ct)
    {
        await using var w = await ((NpgsqlConnection)c).BeginBinaryImportAsync(copy, ct);
        for (var i = 0; i < rows.Count; i++)
        {
            if ((i & 4095) == 0) ct.ThrowIfCancellationRequested();
            w.StartRow();
            write(w, rows[i]);
        }
        await w.CompleteAsync(ct);
    }

    /// <summary>New leads through binary COPY into the table (a round trip per row cost an import of 1M leads minutes).</summary>
    protected override Task InsertNewLeadsAsync(DbConnection c, DbTransaction tx, IReadOnlyList<NewLeadRow> rows, CancellationToken ct) =>
        CopyAsync(c, "COPY leads (id, created_at, attributes, attrs_hash, updated_at) FROM STDIN (FORMAT BINARY)", rows, static (w, r) =>
        {
            w.Write(r.Id, NpgsqlDbType.Text);
            w.Write(r.CreatedAt, NpgsqlDbType.Bigint);
            w.Write(r.Attributes, NpgsqlDbType.Text);
            w.Write(r.AttrsHash, NpgsqlDbType.Text);
            w.Write(r.UpdatedAt, NpgsqlDbType.Bigint);
        }, ct);

    protected override Task InsertNewEnrichmentAsync(DbConnection c, DbTransaction tx, IReadOnlyList<NewEnrichmentRow> rows, CancellationToken ct) =>
        CopyAsync(c, "COPY enrichment (domain, as_of, attributes, attrs_hash) FROM STDIN (FORMAT BINARY)", rows, static (w, r) =>
        {
            w.Write(r.Domain, NpgsqlDbType.Text);
            w.Write(r.AsOf, NpgsqlDbType.Bigint);
            w.Write(r.Attributes, NpgsqlDbType.Text);
            w.Write(r.AttrsHash, NpgsqlDbType.Text);
        }, ct);

    /// <summary>Outcomes through binary COPY into a temporary table, then one insert that skips the stored ones.</summary>
    protected override async Task<int> InsertOutcomeRowsAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Outcome> outcomes, CancellationToken ct)
    {
        if (outcomes.Count < 64) return await base.InsertOutcomeRowsAsync(c, tx, outcomes, ct);
        await c.ExecuteAsync(new CommandDefinition(
            "CREATE TEMP TABLE IF NOT EXISTS tmp_outcomes (LIKE outcomes INCLUDING DEFAULTS) ON COMMIT DELETE ROWS", transaction: tx, cancellationToken: ct));
        await CopyAsync(c, "COPY tmp_outcomes (lead_id, kind, at) FROM STDIN (FORMAT BINARY)", outcomes, static (w, o) =>
        {
            w.Write(o.LeadId, NpgsqlDbType.Text);
            w.Write(KindName(o.Kind), NpgsqlDbType.Text);
            w.Write(Ms(o.At), NpgsqlDbType.Bigint);
        }, ct);
        // DISTINCT: a batch naming one outcome twice inserts it once, as the row-by-row insert did.
        return await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO outcomes (lead_id, kind, at) SELECT DISTINCT lead_id, kind, at FROM tmp_outcomes ON CONFLICT (lead_id, at, kind) DO NOTHING",
            transaction: tx, cancellationToken: ct));
    }

    public override Task AppendPredictionsAsync(IReadOnlyList<LoggedPrediction> predictions, CancellationToken ct = default)
    {
        if (predictions.Count == 0) return Task.CompletedTask;
        return InTransactionAsync(async (c, _) =>
        {
            var pg = (NpgsqlConnection)c;
            await using (var w = await pg.BeginBinaryImportAsync($"COPY prediction_log ({PredictionColumns}) FROM STDIN (FORMAT BINARY)", ct))
            {
                for (var i = 0; i < predictions.Count; i++)
                {
                    if ((i & 4095) == 0) ct.ThrowIfCancellationRequested();
                    var p = predictions[i];
                    w.StartRow();
                    w.Write(Ms(p.PredictedAt), NpgsqlDbType.Bigint);
                    if (p.LeadId is null) w.WriteNull(); else w.Write(p.LeadId, NpgsqlDbType.Text);
                    w.Write(p.ModelVersion, NpgsqlDbType.Text);
                    w.Write(p.Slot, NpgsqlDbType.Text);
                    w.Write(p.Probability, NpgsqlDbType.Double);
                    w.Write(p.Grade, NpgsqlDbType.Text);
                    if (p.HorizonDays is { } h) w.Write(h, NpgsqlDbType.Double); else w.WriteNull();
                    w.Write(p.Source, NpgsqlDbType.Text);
                    if (p.Features is null) w.WriteNull(); else w.Write(p.Features, NpgsqlDbType.Bytea);
                    if (p.FeatureWeight is { } fw) w.Write(fw, NpgsqlDbType.Double); else w.WriteNull();
                }
                await w.CompleteAsync(ct);
            }
            return true;
        }, ct);
    }

    public override async Task<PredictionCursor> OpenPredictionCursorAsync(DateTimeOffset from, DateTimeOffset to, string modelVersion, string slot, CancellationToken ct = default)
    {
        var c = await _dataSource.OpenConnectionAsync(ct);
        try
        {
            var cmd = new NpgsqlCommand(PredictionCursorSql(", octet_length(features)"), c) { CommandTimeout = 0 };
            cmd.Parameters.AddWithValue("version", modelVersion);
            cmd.Parameters.AddWithValue("slot", slot);
            cmd.Parameters.AddWithValue("from", PredictionMs(from));
            cmd.Parameters.AddWithValue("to", PredictionMs(to));
            var reader = await cmd.ExecuteReaderAsync(ct);
            return new PostgresPredictionCursor(c, cmd, reader);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>The prediction cursor on a data reader: the feature bytes are read (copied from the row buffer) only when asked for.</summary>
    private sealed class PostgresPredictionCursor(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader) : PredictionCursor
    {
        private readonly Dictionary<string, string> _grades = new(StringComparer.Ordinal);

        public override async ValueTask<bool> ReadAsync(CancellationToken ct = default) => await reader.ReadAsync(ct);
        public override DateTimeOffset PredictedAt => PredictionTime(reader.GetInt64(0));
        public override string? LeadId => reader.IsDBNull(1) ? null : reader.GetString(1);
        public override double Probability => reader.GetDouble(2);

        public override string Grade
        {
            get
            {
                var g = reader.GetString(3);
                if (_grades.TryGetValue(g, out var shared)) return shared;
                if (_grades.Count < 64) _grades[g] = g;
                return g;
            }
        }

        public override double? HorizonDays => reader.IsDBNull(4) ? null : reader.GetDouble(4);
        public override int FeatureBytes => reader.IsDBNull(7) ? 0 : reader.GetInt32(7);
        public override double FeatureWeight => reader.IsDBNull(6) ? 1 : reader.GetDouble(6);
        public override void CopyFeatures(byte[] into) => reader.GetBytes(5, 0, into, 0, FeatureBytes);

        public override async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync();
            await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private static string Differs(string stored, string incoming) =>
        $"({stored}.lead_id, {stored}.type, {stored}.ts, {stored}.url, {stored}.value, {stored}.properties) IS DISTINCT FROM " +
        $"({incoming}.lead_id, {incoming}.type, {incoming}.ts, {incoming}.url, {incoming}.value, {incoming}.properties)";

    protected override string SkipLocked => " FOR UPDATE SKIP LOCKED";

    private const long AuditChainLockKey = 0x4C65_6164_4175;

    // Held to the end of the append's transaction: appends from every instance take turns, so the chain cannot fork.
    protected override string LockAuditChainSql => $"SELECT pg_advisory_xact_lock({AuditChainLockKey})";

    // Partitions are left out: a statement on the partitioned parent reaches them.
    protected override string TablesWithColumnSql => """
        SELECT c.table_name FROM information_schema.columns c
        JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = current_schema()::regnamespace
        WHERE c.table_schema = current_schema() AND c.column_name = @column AND NOT k.relispartition ORDER BY c.table_name
        """;

    protected override bool IsUniqueViolation(DbException ex) => ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
    protected override string Ordinal(string column) => $"{column} COLLATE \"C\"";
    protected override string InList(string column, string parameter) => $"{column} = ANY({parameter})";

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
