using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// The SQL shared by both backends. Times are stored as Unix milliseconds (UTC) and attribute
/// maps as JSON text, so SQLite and PostgreSQL hold exactly the same values. Backends override
/// only what differs: connections, migrations and bulk loading.
/// </summary>
public abstract partial class SqlLeadStore : ILeadStore
{
    private static readonly JsonSerializerOptions Json = new();

    /// <param name="time">The clock for times the store stamps itself (history, updates, revocations); the system clock when null.</param>
    protected SqlLeadStore(TimeProvider? time)
    {
        Clock = time ?? TimeProvider.System;
    }

    /// <summary>Injected so that a simulated clock (replays, tests) sees its own times in history rows.</summary>
    protected TimeProvider Clock { get; }

    /// <summary>Now, in the stored form (Unix milliseconds).</summary>
    protected long NowMs => Ms(Clock.GetUtcNow());

    public abstract string Backend { get; }
    public abstract string Describe();
    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken ct);
    public abstract Task MigrateAsync(CancellationToken ct = default);
    public abstract ValueTask DisposeAsync();

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var c = await OpenAsync(ct);
            return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: ct)) == 1;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    protected static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    protected static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>A map as JSON with keys in ordinal order, so equal maps give equal text (and equal hashes).</summary>
    protected static string ToJson(IReadOnlyDictionary<string, string?> map)
    {
        var keys = new string[map.Count];
        var i = 0;
        foreach (var k in map.Keys) keys[i++] = k;
        Array.Sort(keys, StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var k in keys)
            {
                var v = map[k];
                if (v is null) w.WriteNull(k); else w.WriteString(k, v);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    protected static IReadOnlyDictionary<string, string?> FromJson(string? json) =>
        string.IsNullOrEmpty(json) ? new Dictionary<string, string?>() : JsonSerializer.Deserialize<Dictionary<string, string?>>(json, Json) ?? [];

    protected static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string LeadHash(Lead l, string attrs) => Hash($"{Ms(l.CreatedAt)}|{attrs}");

    protected async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var result = await work(c, tx);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Streams a query's rows through one open connection; no command timeout, as streams can be long.</summary>
    private IAsyncEnumerable<T> StreamAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct) => StreamAsync(sql, [], read, ct);

    private async IAsyncEnumerable<T> StreamAsync<T>(string sql, (string Name, object? Value)[] parameters, Func<DbDataReader, T> read, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        foreach (var (name, value) in parameters) AddParam(cmd, name, value);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) yield return read(r);
    }

    // ---- leads -------------------------------------------------------------------------------

    public Task<UpsertCounts> UpsertLeadsAsync(IReadOnlyList<Lead> leads, CancellationToken ct = default)
    {
        if (leads.Count == 0) return Task.FromResult(default(UpsertCounts));
        return InTransactionAsync(async (c, tx) =>
        {
            // Last row wins when a batch names the same lead twice.
            var batch = new Dictionary<string, Lead>(StringComparer.Ordinal);
            foreach (var l in leads) batch[l.Id] = l;
            var existing = new Dictionary<string, (string Hash, long Created, string Attrs)>(StringComparer.Ordinal);
            foreach (var chunk in batch.Keys.Chunk(1000))
            {
                var rows = await c.QueryAsync<(string Id, string AttrsHash, long CreatedAt, string Attributes)>(new CommandDefinition(
                    $"SELECT id, attrs_hash, created_at, attributes FROM leads WHERE {InList("id", "@ids")}", new { ids = chunk }, tx, cancellationToken: ct));
                foreach (var r in rows) existing[r.Id] = (r.AttrsHash, r.CreatedAt, r.Attributes);
            }
            var now = NowMs;
            int inserted = 0, updated = 0, unchanged = 0;
            var inserts = new List<object>();
            var updates = new List<object>();
            var history = new List<object>();
            foreach (var l in batch.Values)
            {
                var attrs = ToJson(l.Attributes);
                var hash = LeadHash(l, attrs);
                if (!existing.TryGetValue(l.Id, out var old))
                {
                    inserted++;
                    inserts.Add(new { id = l.Id, created = Ms(l.CreatedAt), attrs, hash, now });
                }
                else if (old.Hash != hash)
                {
                    updated++;
                    updates.Add(new { id = l.Id, created = Ms(l.CreatedAt), attrs, hash, now });
                    history.Add(new { id = l.Id, created = old.Created, attrs = old.Attrs, now });
                }
                else unchanged++;
            }
            if (inserts.Count > 0)
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO leads (id, created_at, attributes, attrs_hash, updated_at) VALUES (@id, @created, @attrs, @hash, @now)",
                    inserts, tx, cancellationToken: ct));
            if (updates.Count > 0)
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO lead_history (lead_id, created_at, attributes, replaced_at) VALUES (@id, @created, @attrs, @now)",
                    history, tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition(
                    "UPDATE leads SET created_at = @created, attributes = @attrs, attrs_hash = @hash, updated_at = @now WHERE id = @id",
                    updates, tx, cancellationToken: ct));
            }
            // Duplicates inside the batch count as unchanged: every input row is accounted for.
            return new UpsertCounts(inserted, updated, unchanged + (leads.Count - batch.Count));
        }, ct);
    }

    private sealed record LeadRow(string Id, long CreatedAt, string Attributes, long UpdatedAt, long ProfilingOptOut);

    private static Lead ToLead(LeadRow r) => new()
    {
        Id = r.Id,
        CreatedAt = Time(r.CreatedAt),
        Attributes = FromJson(r.Attributes),
        UpdatedAt = Time(r.UpdatedAt),
        ProfilingOptOut = r.ProfilingOptOut != 0,
    };

    private const string LeadColumns = "id AS Id, created_at AS CreatedAt, attributes AS Attributes, updated_at AS UpdatedAt, profiling_opt_out AS ProfilingOptOut";

    public async Task<Lead?> GetLeadAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<LeadRow>(new CommandDefinition($"SELECT {LeadColumns} FROM leads WHERE id = @id", new { id }, cancellationToken: ct));
        return r is null ? null : ToLead(r);
    }

    public async Task<IReadOnlyList<LeadHistoryEntry>> GetLeadHistoryAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(long CreatedAt, string Attributes, long ReplacedAt)>(new CommandDefinition(
            "SELECT created_at, attributes, replaced_at FROM lead_history WHERE lead_id = @id ORDER BY id", new { id }, cancellationToken: ct));
        return rows.Select(r => new LeadHistoryEntry(new Lead { Id = id, CreatedAt = Time(r.CreatedAt), Attributes = FromJson(r.Attributes) }, Time(r.ReplacedAt))).ToList();
    }

    public IAsyncEnumerable<LeadHistoryEntry> StreamLeadHistoryAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT lead_id, created_at, attributes, replaced_at FROM lead_history ORDER BY {Ordinal("lead_id")}, id", r => new LeadHistoryEntry(new Lead { Id = r.GetString(0), CreatedAt = Time(r.GetInt64(1)), Attributes = FromJson(r.GetString(2)) }, Time(r.GetInt64(3))), ct);

    public IAsyncEnumerable<Lead> StreamLeadsAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT id, created_at, attributes, updated_at, profiling_opt_out FROM leads ORDER BY {Ordinal("id")}", r => ToLead(new LeadRow(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4))), ct);

    public async Task<long> CountLeadsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM leads", cancellationToken: ct));
    }

    public async Task SetProfilingOptOutAsync(string id, bool optOut, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var n = await c.ExecuteAsync(new CommandDefinition("UPDATE leads SET profiling_opt_out = @v WHERE id = @id", new { id, v = optOut ? 1L : 0L }, cancellationToken: ct));
        if (n == 0) throw new NotFoundException($"lead '{id}' not found");
    }

    // ---- activities --------------------------------------------------------------------------

    /// <summary>
    /// Inserts new event ids, replaces corrected ones (keeping the old version in activity_history) and skips unchanged
    /// ones. Each backend uses its fastest bulk path (SQLite: prepared statements stepped per row; PostgreSQL: binary
    /// COPY into a staging table, then set-based statements).
    /// </summary>
    public abstract Task<InsertCounts> InsertActivitiesAsync(IReadOnlyList<Activity> activities, CancellationToken ct = default);

    /// <summary>
    /// The batch with one activity per event id, the last occurrence winning (as for leads), and how many were dropped.
    /// Both backends need it: an upsert cannot touch one row twice in a statement (PostgreSQL), and a batch's own
    /// duplicates are not corrections of stored data.
    /// </summary>
    protected static (IReadOnlyList<Activity> Unique, int Duplicates) LastPerEventId(IReadOnlyList<Activity> activities)
    {
        var position = new Dictionary<string, int>(activities.Count, StringComparer.Ordinal);
        List<Activity>? unique = null;
        for (var i = 0; i < activities.Count; i++)
        {
            var a = activities[i];
            if (position.TryGetValue(a.EventId, out var at))
            {
                unique ??= activities.Take(i).ToList();
                unique[at] = a;
            }
            else
            {
                position[a.EventId] = unique?.Count ?? i;
                unique?.Add(a);
            }
        }
        return unique is null ? (activities, 0) : (unique, activities.Count - unique.Count);
    }

    protected static Activity ReadActivity(DbDataReader r) => new()
    {
        EventId = r.GetString(0),
        LeadId = r.GetString(1),
        Type = r.GetString(2),
        Timestamp = Time(r.GetInt64(3)),
        Url = r.IsDBNull(4) ? null : r.GetString(4),
        Value = r.IsDBNull(5) ? null : r.GetDouble(5),
        Properties = r.IsDBNull(6) ? EmptyMap : FromJson(r.GetString(6)),
    };

    private static readonly IReadOnlyDictionary<string, string?> EmptyMap = new Dictionary<string, string?>();

    private const string ActivityColumns = "event_id, lead_id, type, ts, url, value, properties";

    public async Task<IReadOnlyList<Activity>> GetActivitiesAsync(string leadId, DateTimeOffset? before = null, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {ActivityColumns} FROM activities WHERE lead_id = @l AND ts < @b ORDER BY ts, event_id";
        AddParam(cmd, "@l", leadId);
        AddParam(cmd, "@b", before is { } b ? Ms(b) : long.MaxValue);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<Activity>();
        while (await r.ReadAsync(ct)) list.Add(ReadActivity(r));
        return list;
    }

    public IAsyncEnumerable<Activity> StreamActivitiesAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT {ActivityColumns} FROM activities ORDER BY {Ordinal("lead_id")}, ts, {Ordinal("event_id")}", r => ReadActivity(r), ct);

    public async Task<long> CountActivitiesAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM activities", cancellationToken: ct));
    }

    protected static void AddParam(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }

    // ---- enrichment --------------------------------------------------------------------------

    public Task<UpsertCounts> UpsertEnrichmentAsync(IReadOnlyList<Enrichment> rows, CancellationToken ct = default)
    {
        if (rows.Count == 0) return Task.FromResult(default(UpsertCounts));
        return InTransactionAsync(async (c, tx) =>
        {
            int inserted = 0, updated = 0, unchanged = 0;
            foreach (var e in rows)
            {
                var attrs = ToJson(e.Attributes);
                var hash = Hash(attrs);
                var old = await c.ExecuteScalarAsync<string?>(new CommandDefinition(
                    "SELECT attrs_hash FROM enrichment WHERE domain = @d AND as_of = @a", new { d = e.Domain, a = Ms(e.AsOf) }, tx, cancellationToken: ct));
                if (old is null)
                {
                    inserted++;
                    await c.ExecuteAsync(new CommandDefinition("INSERT INTO enrichment (domain, as_of, attributes, attrs_hash) VALUES (@d, @a, @attrs, @hash)",
                        new { d = e.Domain, a = Ms(e.AsOf), attrs, hash }, tx, cancellationToken: ct));
                }
                else if (old != hash)
                {
                    updated++;
                    await c.ExecuteAsync(new CommandDefinition("UPDATE enrichment SET attributes = @attrs, attrs_hash = @hash WHERE domain = @d AND as_of = @a",
                        new { d = e.Domain, a = Ms(e.AsOf), attrs, hash }, tx, cancellationToken: ct));
                }
                else unchanged++;
            }
            return new UpsertCounts(inserted, updated, unchanged);
        }, ct);
    }

    public async Task<IReadOnlyList<Enrichment>> GetEnrichmentAsync(string domain, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string Domain, long AsOf, string Attributes)>(new CommandDefinition(
            "SELECT domain, as_of, attributes FROM enrichment WHERE domain = @domain ORDER BY as_of", new { domain }, cancellationToken: ct));
        return rows.Select(r => new Enrichment { Domain = r.Domain, AsOf = Time(r.AsOf), Attributes = FromJson(r.Attributes) }).ToList();
    }

    public IAsyncEnumerable<Enrichment> StreamEnrichmentAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT domain, as_of, attributes FROM enrichment ORDER BY {Ordinal("domain")}, as_of", r => new Enrichment { Domain = r.GetString(0), AsOf = Time(r.GetInt64(1)), Attributes = FromJson(r.GetString(2)) }, ct);

    // ---- outcomes ----------------------------------------------------------------------------

    public Task<InsertCounts> InsertOutcomesAsync(IReadOnlyList<Outcome> outcomes, CancellationToken ct = default)
    {
        if (outcomes.Count == 0) return Task.FromResult(default(InsertCounts));
        return InTransactionAsync(async (c, tx) =>
        {
            var inserted = 0;
            foreach (var o in outcomes)
                inserted += await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO outcomes (lead_id, kind, at) VALUES (@l, @k, @a) ON CONFLICT (lead_id, at, kind) DO NOTHING",
                    new { l = o.LeadId, k = KindName(o.Kind), a = Ms(o.At) }, tx, cancellationToken: ct));
            return new InsertCounts(inserted, outcomes.Count - inserted);
        }, ct);
    }

    private static string KindName(OutcomeKind k) => k.ToString().ToLowerInvariant();
    private static OutcomeKind ParseKind(string s) => Enum.Parse<OutcomeKind>(s, ignoreCase: true);

    public async Task<IReadOnlyList<Outcome>> GetOutcomesAsync(string leadId, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string LeadId, string Kind, long At)>(new CommandDefinition(
            "SELECT lead_id, kind, at FROM outcomes WHERE lead_id = @leadId ORDER BY at, kind", new { leadId }, cancellationToken: ct));
        return rows.Select(r => new Outcome { LeadId = r.LeadId, Kind = ParseKind(r.Kind), At = Time(r.At) }).ToList();
    }

    public IAsyncEnumerable<Outcome> StreamOutcomesAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT lead_id, kind, at FROM outcomes ORDER BY {Ordinal("lead_id")}, at, kind", r => new Outcome { LeadId = r.GetString(0), Kind = ParseKind(r.GetString(1)), At = Time(r.GetInt64(2)) }, ct);

    // ---- feature snapshots -------------------------------------------------------------------

    public async Task SaveFeatureSnapshotAsync(FeatureSnapshot s, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO feature_snapshots (name, created_at, as_of_rule, rows, data) VALUES (@Name, @created, @AsOfRule, @Rows, @Data)
            ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at, as_of_rule = excluded.as_of_rule, rows = excluded.rows, data = excluded.data
            """, new { s.Name, created = Ms(s.CreatedAt), s.AsOfRule, Rows = (long)s.Rows, s.Data }, cancellationToken: ct));
    }

    public async Task<FeatureSnapshot?> GetFeatureSnapshotAsync(string name, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<(string Name, long CreatedAt, string AsOfRule, long Rows, byte[] Data)?>(new CommandDefinition(
            "SELECT name, created_at, as_of_rule, rows, data FROM feature_snapshots WHERE name = @name", new { name }, cancellationToken: ct));
        return r is { } x ? new FeatureSnapshot { Name = x.Name, CreatedAt = Time(x.CreatedAt), AsOfRule = x.AsOfRule, Rows = (int)x.Rows, Data = x.Data } : null;
    }

    // ---- model registry ----------------------------------------------------------------------

    public async Task SaveModelAsync(ModelVersion m, byte[] artifact, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO models (version, created_at, algorithm, card, auc, artifact) VALUES (@Version, @created, @Algorithm, @CardJson, @Auc, @artifact)",
                new { m.Version, created = Ms(m.CreatedAt), m.Algorithm, m.CardJson, m.Auc, artifact }, cancellationToken: ct));
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new LeadScoreException($"model version '{m.Version}' already exists; versions are immutable", "version");
        }
    }

    protected abstract bool IsUniqueViolation(DbException ex);

    /// <summary>
    /// Appended to a claim's inner SELECT: PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c>, so concurrent claimers skip rows
    /// another transaction is taking instead of waiting for it. Empty on SQLite, where a write transaction holds the
    /// whole database and the single UPDATE ... RETURNING is atomic by itself.
    /// </summary>
    protected virtual string SkipLocked => "";

    /// <summary>A query returning the names of the tables that have a column named <c>@column</c> (erasure is driven by it).</summary>
    protected abstract string TablesWithColumnSql { get; }

    /// <summary>
    /// A column ordered by its bytes (ordinal), whatever the database's collation: streams are merge-joined by id
    /// in C#, which compares ordinally.
    /// </summary>
    protected abstract string Ordinal(string column);

    /// <summary>"column IN (list)" in the backend's own syntax for a Dapper list parameter.</summary>
    protected abstract string InList(string column, string parameter);

    private sealed record ModelRow(string Version, long CreatedAt, string Algorithm, string Card, double? Auc);

    public async Task<ModelVersion?> GetModelAsync(string version, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
            "SELECT version AS Version, created_at AS CreatedAt, algorithm AS Algorithm, card AS Card, auc AS Auc FROM models WHERE version = @version", new { version }, cancellationToken: ct));
        if (r is null) return null;
        var aliases = await c.QueryAsync<string>(new CommandDefinition("SELECT alias FROM model_aliases WHERE version = @version ORDER BY alias", new { version }, cancellationToken: ct));
        return ToModel(r, aliases.ToList());
    }

    private static ModelVersion ToModel(ModelRow r, IReadOnlyList<string> aliases) => new()
    {
        Version = r.Version, CreatedAt = Time(r.CreatedAt), Algorithm = r.Algorithm, CardJson = r.Card, Auc = r.Auc, Aliases = aliases,
    };

    public async Task<byte[]?> GetModelArtifactAsync(string version, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<byte[]?>(new CommandDefinition("SELECT artifact FROM models WHERE version = @version", new { version }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<ModelVersion>> ListModelsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<ModelRow>(new CommandDefinition(
            "SELECT version AS Version, created_at AS CreatedAt, algorithm AS Algorithm, card AS Card, auc AS Auc FROM models ORDER BY created_at DESC, version DESC", cancellationToken: ct));
        var aliases = (await c.QueryAsync<(string Alias, string Version)>(new CommandDefinition("SELECT alias, version FROM model_aliases ORDER BY alias", cancellationToken: ct)))
            .ToLookup(a => a.Version, a => a.Alias);
        return rows.Select(r => ToModel(r, aliases[r.Version].ToList())).ToList();
    }

    public Task SetAliasAsync(string alias, string version, CancellationToken ct = default) =>
        InTransactionAsync(async (c, tx) =>
        {
            var exists = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM models WHERE version = @version", new { version }, tx, cancellationToken: ct));
            if (exists == 0) throw new NotFoundException($"model version '{version}' not found");
            var now = NowMs;
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO model_aliases (alias, version, updated_at) VALUES (@alias, @version, @now)
                ON CONFLICT (alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """, new { alias, version, now }, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition("INSERT INTO alias_history (alias, version, at) VALUES (@alias, @version, @now)", new { alias, version, now }, tx, cancellationToken: ct));
            return true;
        }, ct);

    public async Task<string?> GetAliasAsync(string alias, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition("SELECT version FROM model_aliases WHERE alias = @alias", new { alias }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string alias, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string Alias, string Version, long At)>(new CommandDefinition(
            "SELECT alias, version, at FROM alias_history WHERE alias = @alias ORDER BY id DESC", new { alias }, cancellationToken: ct));
        return rows.Select(r => new AliasChange(r.Alias, r.Version, Time(r.At))).ToList();
    }

    public Task<long> NextModelNumberAsync(CancellationToken ct = default) =>
        InTransactionAsync(async (c, tx) => await c.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO counters (name, value) VALUES ('model', 1)
            ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
            RETURNING value
            """, transaction: tx, cancellationToken: ct)), ct);

    // ---- scores ------------------------------------------------------------------------------

    public Task SaveScoresAsync(IReadOnlyList<StoredScore> scores, CancellationToken ct = default)
    {
        if (scores.Count == 0) return Task.CompletedTask;
        return InTransactionAsync(async (c, tx) =>
        {
            var rows = scores.Select(s => new
            {
                s.LeadId, s.Probability, Score = (long)s.Score, s.Grade, s.ModelVersion, at = Ms(s.ScoredAt), cause = s.Cause.ToString(), s.ReasonsJson,
            }).ToList();
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO score_history (lead_id, probability, score, grade, model_version, scored_at, cause, reasons)
                VALUES (@LeadId, @Probability, @Score, @Grade, @ModelVersion, @at, @cause, @ReasonsJson)
                """, rows, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO scores_latest (lead_id, probability, score, grade, model_version, scored_at, cause, reasons)
                VALUES (@LeadId, @Probability, @Score, @Grade, @ModelVersion, @at, @cause, @ReasonsJson)
                ON CONFLICT (lead_id) DO UPDATE SET probability = excluded.probability, score = excluded.score, grade = excluded.grade,
                    model_version = excluded.model_version, scored_at = excluded.scored_at, cause = excluded.cause, reasons = excluded.reasons
                """, rows, tx, cancellationToken: ct));
            return true;
        }, ct);
    }

    private sealed record ScoreRow(string LeadId, double Probability, long Score, string Grade, string ModelVersion, long ScoredAt, string Cause, string Reasons);

    private const string ScoreColumns = "lead_id AS LeadId, probability AS Probability, score AS Score, grade AS Grade, model_version AS ModelVersion, scored_at AS ScoredAt, cause AS Cause, reasons AS Reasons";

    private static StoredScore ToScore(ScoreRow r) => new()
    {
        LeadId = r.LeadId, Probability = r.Probability, Score = (int)r.Score, Grade = r.Grade, ModelVersion = r.ModelVersion,
        ScoredAt = Time(r.ScoredAt), Cause = Enum.Parse<ScoreCause>(r.Cause), ReasonsJson = r.Reasons,
    };

    public async Task<StoredScore?> GetLatestScoreAsync(string leadId, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<ScoreRow>(new CommandDefinition($"SELECT {ScoreColumns} FROM scores_latest WHERE lead_id = @leadId", new { leadId }, cancellationToken: ct));
        return r is null ? null : ToScore(r);
    }

    public async Task<IReadOnlyList<StoredScore>> GetScoreHistoryAsync(string leadId, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<ScoreRow>(new CommandDefinition($"SELECT {ScoreColumns} FROM score_history WHERE lead_id = @leadId ORDER BY scored_at DESC, id DESC", new { leadId }, cancellationToken: ct));
        return rows.Select(ToScore).ToList();
    }

    public async Task<IReadOnlyList<StoredScore>> ListTopScoresAsync(string? grade, int limit, bool openOnly = false, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        // Closed: the lead's latest outcome is converted or lost (a later 'reopened' opens it again; on a tie, reopened wins).
        const string open = " AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.lead_id = scores_latest.lead_id AND o.kind <> 'reopened'" +
                            " AND NOT EXISTS (SELECT 1 FROM outcomes r WHERE r.lead_id = o.lead_id AND (r.at > o.at OR (r.at = o.at AND r.kind = 'reopened'))))";
        var rows = await c.QueryAsync<ScoreRow>(new CommandDefinition(
            $"SELECT {ScoreColumns} FROM scores_latest WHERE (@grade IS NULL OR grade = @grade){(openOnly ? open : "")} ORDER BY probability DESC, lead_id LIMIT @limit",
            new { grade, limit = (long)limit }, cancellationToken: ct));
        return rows.Select(ToScore).ToList();
    }

    public IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT lead_id, probability, score, grade, model_version, scored_at, cause, reasons FROM scores_latest ORDER BY {Ordinal("lead_id")}", r => ToScore(new ScoreRow(r.GetString(0), r.GetDouble(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetString(6), r.GetString(7))), ct);

    // ---- API keys ----------------------------------------------------------------------------

    public async Task SaveApiKeyAsync(ApiKey k, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        try
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at, revoked_at) VALUES (@Id, @Name, @Prefix, @Hash, @scopes, @created, NULL)",
                new { k.Id, k.Name, k.Prefix, k.Hash, scopes = string.Join(',', k.Scopes), created = Ms(k.CreatedAt) }, cancellationToken: ct));
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new LeadScoreException($"an API key named '{k.Name}' already exists", "name");
        }
    }

    private sealed record KeyRow(string Id, string Name, string Prefix, string Hash, string Scopes, long CreatedAt, long? RevokedAt);

    private const string KeyColumns = "id AS Id, name AS Name, prefix AS Prefix, hash AS Hash, scopes AS Scopes, created_at AS CreatedAt, revoked_at AS RevokedAt";

    private static ApiKey ToKey(KeyRow r) => new()
    {
        Id = r.Id, Name = r.Name, Prefix = r.Prefix, Hash = r.Hash, Scopes = r.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries),
        CreatedAt = Time(r.CreatedAt), RevokedAt = r.RevokedAt is { } x ? Time(x) : null,
    };

    public async Task<ApiKey?> FindApiKeyByHashAsync(string hash, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition($"SELECT {KeyColumns} FROM api_keys WHERE hash = @hash", new { hash }, cancellationToken: ct));
        return r is null ? null : ToKey(r);
    }

    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<KeyRow>(new CommandDefinition($"SELECT {KeyColumns} FROM api_keys ORDER BY created_at, name", cancellationToken: ct));
        return rows.Select(ToKey).ToList();
    }

    public async Task<bool> RevokeApiKeyAsync(string idOrName, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = @now WHERE (id = @idOrName OR name = @idOrName) AND revoked_at IS NULL",
            new { idOrName, now = NowMs }, cancellationToken: ct)) > 0;
    }
}
