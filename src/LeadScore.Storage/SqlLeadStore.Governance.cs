using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// The audit log (<see cref="IAuditLogStore"/>), erasure tombstones and training membership (<see cref="IPrivacyStore"/>)
/// and retention deletes (<see cref="IRetentionStore"/>), on both backends.
/// </summary>
public abstract partial class SqlLeadStore
{
    /// <summary>
    /// Taken first in an append's transaction so that appends from every instance queue up: the one that reads the last
    /// entry is the one that writes the next. Empty on SQLite, whose write transaction (BEGIN IMMEDIATE) already holds the
    /// whole database.
    /// </summary>
    protected virtual string LockAuditChainSql => "";

    public Task<AuditEntry> AppendAuditAsync(NewAuditEntry entry, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(entry.Actor);
        ArgumentException.ThrowIfNullOrEmpty(entry.Action);
        return InTransactionAsync(async (c, tx) =>
        {
            if (LockAuditChainSql.Length > 0) await c.ExecuteAsync(new CommandDefinition(LockAuditChainSql, transaction: tx, cancellationToken: ct));
            var last = await c.QuerySingleOrDefaultAsync<(long Seq, string Hash)?>(new CommandDefinition(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", transaction: tx, cancellationToken: ct));
            var seq = (last?.Seq ?? 0) + 1;
            var prev = last?.Hash ?? AuditChain.Genesis;
            // Milliseconds, as stored, so the hash verifies on the value read back.
            var at = Time(NowMs);
            var hash = AuditChain.Compute(seq, at, entry.Actor, entry.Action, entry.TargetKind, entry.TargetId, entry.Details, prev);
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO audit_log (seq, at, actor, action, target_kind, target_id, details, prev_hash, hash)
                VALUES (@seq, @at, @actor, @action, @kind, @target, @details, @prev, @hash)
                """, new { seq, at = Ms(at), actor = entry.Actor, action = entry.Action, kind = entry.TargetKind, target = entry.TargetId, details = entry.Details, prev, hash },
                tx, cancellationToken: ct));
            // The head, kept beside the chain: removing the newest entries leaves a valid chain, but not a matching head.
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO settings (name, value, version, updated_at) VALUES (@name, @head, 1, @at)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, version = settings.version + 1, updated_at = excluded.updated_at
                """, new { name = AuditHeadSetting, head = $"{seq}:{hash}", at = Ms(at) }, tx, cancellationToken: ct));
            return new AuditEntry
            {
                Sequence = seq, At = at, Actor = entry.Actor, Action = entry.Action, TargetKind = entry.TargetKind, TargetId = entry.TargetId,
                Details = entry.Details, PrevHash = prev, Hash = hash,
            };
        }, ct);
    }

    /// <summary>The setting holding the newest entry's "sequence:hash".</summary>
    public const string AuditHeadSetting = "audit:head";

    private const string AuditColumns = "seq, at, actor, action, target_kind, target_id, details, prev_hash, hash";

    private static AuditEntry ReadAudit(DbDataReader r) => new()
    {
        Sequence = r.GetInt64(0), At = Time(r.GetInt64(1)), Actor = r.GetString(2), Action = r.GetString(3), TargetKind = r.GetString(4),
        TargetId = r.GetString(5), Details = r.GetString(6), PrevHash = r.GetString(7), Hash = r.GetString(8),
    };

    public IAsyncEnumerable<AuditEntry> StreamAuditAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT {AuditColumns} FROM audit_log ORDER BY seq", ReadAudit, ct);

    public async Task<IReadOnlyList<AuditEntry>> ListAuditAsync(AuditQuery query, CancellationToken ct = default)
    {
        var where = new List<string>();
        var p = new List<(string, object?)>();
        if (query.Since is { } since) { where.Add("at >= @since"); p.Add(("@since", Ms(since))); }
        if (query.Action is { } action) { where.Add("action = @action"); p.Add(("@action", action)); }
        if (query.TargetKind is { } kind) { where.Add("target_kind = @kind"); p.Add(("@kind", kind)); }
        if (query.TargetId is { } target) { where.Add("target_id = @target"); p.Add(("@target", target)); }
        p.Add(("@limit", (long)Math.Clamp(query.Limit, 1, 100_000)));
        var sql = $"SELECT {AuditColumns} FROM audit_log{(where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))} ORDER BY seq DESC LIMIT @limit";
        var list = new List<AuditEntry>();
        await foreach (var e in StreamAsync(sql, p.ToArray(), ReadAudit, ct)) list.Add(e);
        return list;
    }

    // ---- privacy -------------------------------------------------------------------------------

    public Task<bool> EraseLeadAsync(string id, string tombstone, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tombstone);
        return EraseLeadAsync(id, tombstone, ct, withTombstone: true);
    }

    public async Task<IReadOnlySet<string>> GetErasureTombstonesAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return (await c.QueryAsync<string>(new CommandDefinition("SELECT id_hash FROM erasure_tombstones", cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
    }

    public Task<int> RemoveErasureTombstonesAsync(IReadOnlyCollection<string> tombstones, CancellationToken ct = default)
    {
        if (tombstones.Count == 0) return Task.FromResult(0);
        return InTransactionAsync(async (c, tx) =>
        {
            var n = 0;
            foreach (var chunk in tombstones.Chunk(1000))
                n += await c.ExecuteAsync(new CommandDefinition($"DELETE FROM erasure_tombstones WHERE {InList("id_hash", "@ids")}", new { ids = chunk }, tx, cancellationToken: ct));
            return n;
        }, ct);
    }

    public Task RecordTrainingLeadsAsync(string modelVersion, IReadOnlyCollection<string> leadIds, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelVersion);
        if (leadIds.Count == 0) return Task.CompletedTask;
        return InTransactionAsync(async (c, tx) =>
        {
            // Multi-row inserts of 500: one round trip each, well under both backends' parameter limits.
            foreach (var chunk in leadIds.Distinct(StringComparer.Ordinal).Chunk(500))
            {
                var values = string.Join(",", chunk.Select((_, i) => $"(@l{i}, @v)"));
                var args = new DynamicParameters();
                args.Add("v", modelVersion);
                for (var i = 0; i < chunk.Length; i++) args.Add($"l{i}", chunk[i]);
                await c.ExecuteAsync(new CommandDefinition($"INSERT INTO model_training_leads (lead_id, model_version) VALUES {values} ON CONFLICT DO NOTHING", args, tx, cancellationToken: ct));
            }
            return true;
        }, ct);
    }

    public async Task<IReadOnlyList<string>> GetModelsTrainedWithAsync(string leadId, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return (await c.QueryAsync<string>(new CommandDefinition("""
            SELECT t.model_version FROM model_training_leads t LEFT JOIN models m ON m.version = t.model_version
            WHERE t.lead_id = @leadId ORDER BY m.created_at, t.model_version
            """, new { leadId }, cancellationToken: ct))).ToList();
    }

    public async Task<string> GetOrAddSettingAsync(string name, string valueIfAbsent, DateTimeOffset at, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO settings (name, value, version, updated_at) VALUES (@name, @value, 1, @at) ON CONFLICT (name) DO NOTHING",
            new { name, value = valueIfAbsent, at = Ms(at) }, cancellationToken: ct));
        return await c.ExecuteScalarAsync<string>(new CommandDefinition("SELECT value FROM settings WHERE name = @name", new { name }, cancellationToken: ct))
            ?? throw new InvalidOperationException($"setting '{name}' vanished");
    }

    public async Task<IReadOnlyList<string>> GetOptedOutLeadIdsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return (await c.QueryAsync<string>(new CommandDefinition("SELECT id FROM leads WHERE profiling_opt_out <> 0 ORDER BY id", cancellationToken: ct))).ToList();
    }

    // ---- retention -----------------------------------------------------------------------------

    /// <summary>Rows deleted by time; PostgreSQL overrides it to drop whole monthly partitions first.</summary>
    public virtual Task<long> DeleteActivitiesOlderThanAsync(DateTimeOffset before, bool dryRun = false, CancellationToken ct = default) =>
        DeleteOlderThanAsync([("activities", "ts"), ("activity_history", "ts")], before, dryRun, ct);

    public Task<long> DeleteQuarantineOlderThanAsync(DateTimeOffset before, bool dryRun = false, CancellationToken ct = default) =>
        DeleteOlderThanAsync([("quarantine", "created_at")], before, dryRun, ct);

    public Task<long> DeleteScoreHistoryOlderThanAsync(DateTimeOffset before, bool dryRun = false, CancellationToken ct = default) =>
        DeleteOlderThanAsync([("score_history", "scored_at")], before, dryRun, ct);

    private Task<long> DeleteOlderThanAsync((string Table, string Column)[] tables, DateTimeOffset before, bool dryRun, CancellationToken ct) =>
        InTransactionAsync(async (c, tx) =>
        {
            long n = 0;
            foreach (var (table, column) in tables)
                n += dryRun
                    ? await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {table} WHERE {column} < @before", new { before = Ms(before) }, tx, cancellationToken: ct, commandTimeout: 0))
                    : await c.ExecuteAsync(new CommandDefinition($"DELETE FROM {table} WHERE {column} < @before", new { before = Ms(before) }, tx, cancellationToken: ct, commandTimeout: 0));
            return n;
        }, ct);
}
