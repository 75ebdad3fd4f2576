using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;

namespace LeadScore.Storage;

/// <summary>The prediction log (<see cref="IPredictionLog"/>) and monitoring alerts (<see cref="IMonitoringAlerts"/>); the bulk append is per backend.</summary>
public abstract partial class SqlLeadStore
{
    /// <summary>SQLite: one prepared statement stepped per row; PostgreSQL: binary COPY. One transaction per batch.</summary>
    public abstract Task AppendPredictionsAsync(IReadOnlyList<LoggedPrediction> predictions, CancellationToken ct = default);

    protected const string PredictionColumns = "predicted_at, lead_id, model_version, slot, probability, grade, horizon_days, source, features, feature_weight";

    public async IAsyncEnumerable<LoggedPrediction> StreamPredictionsAsync(DateTimeOffset from, DateTimeOffset to, string? modelVersion = null, string? slot = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var sql = $"SELECT {PredictionColumns} FROM prediction_log WHERE predicted_at >= @from AND predicted_at < @to" +
                  (modelVersion is null ? "" : " AND model_version = @version") + (slot is null ? "" : " AND slot = @slot") + " ORDER BY predicted_at, id";
        var parameters = new List<(string, object?)> { ("@from", Ms(from)), ("@to", Ms(to)) };
        if (modelVersion is not null) parameters.Add(("@version", modelVersion));
        if (slot is not null) parameters.Add(("@slot", slot));
        // Strings repeat on every row (a handful of versions, slots, grades, sources): read once, shared.
        var pool = new Dictionary<string, string>(StringComparer.Ordinal);
        string Intern(string s)
        {
            if (pool.TryGetValue(s, out var v)) return v;
            if (pool.Count < 256) pool[s] = s;
            return s;
        }
        await foreach (var p in StreamAsync(sql, [.. parameters], r => new LoggedPrediction
        {
            PredictedAt = Time(r.GetInt64(0)),
            LeadId = r.IsDBNull(1) ? null : r.GetString(1),
            ModelVersion = Intern(r.GetString(2)),
            Slot = Intern(r.GetString(3)),
            Probability = r.GetDouble(4),
            Grade = Intern(r.GetString(5)),
            HorizonDays = r.IsDBNull(6) ? null : r.GetDouble(6),
            Source = Intern(r.GetString(7)),
            Features = r.IsDBNull(8) ? null : (byte[])r.GetValue(8),
            FeatureWeight = r.IsDBNull(9) ? null : r.GetDouble(9),
        }, ct)) yield return p;
    }

    /// <summary>Per backend: SQLite steps its own statement (zero-copy columns), PostgreSQL reads a data reader.</summary>
    public abstract Task<PredictionCursor> OpenPredictionCursorAsync(DateTimeOffset from, DateTimeOffset to, string modelVersion, string slot, CancellationToken ct = default);

    /// <summary>The cursor's query: columns predicted_at, lead_id, probability, grade, horizon_days, features, feature_weight (0-6), then <paramref name="extra"/>.</summary>
    protected static string PredictionCursorSql(string extra = "") =>
        $"SELECT predicted_at, lead_id, probability, grade, horizon_days, features, feature_weight{extra} FROM prediction_log " +
        "WHERE model_version = @version AND slot = @slot AND predicted_at >= @from AND predicted_at < @to ORDER BY predicted_at, id";

    /// <summary>Converts stored milliseconds (for the backends' cursors).</summary>
    protected static DateTimeOffset PredictionTime(long ms) => Time(ms);

    /// <summary>Stored milliseconds of a time (for the backends' cursors).</summary>
    protected static long PredictionMs(DateTimeOffset t) => Ms(t);

    public async Task<(DateTimeOffset First, DateTimeOffset Last)?> GetPredictionSpanAsync(string? modelVersion = null, string? slot = null, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QuerySingleAsync<(long? First, long? Last)>(new CommandDefinition(
            "SELECT MIN(predicted_at), MAX(predicted_at) FROM prediction_log WHERE (@version IS NULL OR model_version = @version) AND (@slot IS NULL OR slot = @slot)",
            new { version = modelVersion, slot }, cancellationToken: ct));
        return row.First is { } f && row.Last is { } l ? (Time(f), Time(l)) : null;
    }

    public async Task<long> CountPredictionsAsync(string? modelVersion = null, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM prediction_log WHERE (@version IS NULL OR model_version = @version)", new { version = modelVersion }, cancellationToken: ct));
    }

    public async Task<long> DeletePredictionsOlderThanAsync(DateTimeOffset cutoff, bool dryRun = false, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var command = new CommandDefinition(dryRun ? "SELECT COUNT(*) FROM prediction_log WHERE predicted_at < @cutoff" : "DELETE FROM prediction_log WHERE predicted_at < @cutoff",
            new { cutoff = Ms(cutoff) }, commandTimeout: 0, cancellationToken: ct);
        return dryRun ? await c.ExecuteScalarAsync<long>(command) : await c.ExecuteAsync(command);
    }

    public Task<bool> TryAddAlertAsync(MonitoringAlert alert, IReadOnlyList<NewDelivery>? deliveries = null, CancellationToken ct = default)
    {
        var now = NowMs;
        return InTransactionAsync(async (c, tx) =>
        {
            // ON CONFLICT DO NOTHING on the unique (kind, model, slot, window) index: concurrent instances raise it once,
            // and only the one that stored it queues the deliveries.
            var n = await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO monitoring_alerts (kind, model_version, slot, window_start, window_end, raised_at, message, details)
                VALUES (@Kind, @ModelVersion, @Slot, @start, @end, @raised, @Message, @DetailsJson)
                ON CONFLICT (kind, model_version, slot, window_start) DO NOTHING
                """, new
            {
                alert.Kind, alert.ModelVersion, alert.Slot, start = Ms(alert.WindowStart), end = Ms(alert.WindowEnd), raised = Ms(alert.RaisedAt), alert.Message, alert.DetailsJson,
            }, tx, cancellationToken: ct));
            if (n > 0 && deliveries is { Count: > 0 })
                await c.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO webhook_deliveries (webhook_id, event_type, lead_id, payload, status, attempts, next_attempt_at, created_at)
                    VALUES (@WebhookId, @EventType, @LeadId, @Payload, 'Pending', 0, @now, @now)
                    """, deliveries.Select(d => new { d.WebhookId, d.EventType, d.LeadId, d.Payload, now }).ToList(), tx, cancellationToken: ct));
            return n > 0;
        }, ct);
    }

    private sealed record AlertRow(long Id, string Kind, string ModelVersion, string Slot, long WindowStart, long WindowEnd, long RaisedAt, string Message, string Details);

    public async Task<IReadOnlyList<MonitoringAlert>> ListAlertsAsync(DateTimeOffset? since = null, int limit = 100, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<AlertRow>(new CommandDefinition("""
            SELECT id AS Id, kind AS Kind, model_version AS ModelVersion, slot AS Slot, window_start AS WindowStart, window_end AS WindowEnd,
                   raised_at AS RaisedAt, message AS Message, details AS Details
            FROM monitoring_alerts WHERE raised_at >= @since ORDER BY window_start DESC, id DESC LIMIT @limit
            """, new { since = since is { } s ? Ms(s) : long.MinValue, limit = (long)limit }, cancellationToken: ct));
        return rows.Select(r => new MonitoringAlert
        {
            Id = r.Id, Kind = r.Kind, ModelVersion = r.ModelVersion, Slot = r.Slot, WindowStart = Time(r.WindowStart), WindowEnd = Time(r.WindowEnd),
            RaisedAt = Time(r.RaisedAt), Message = r.Message, DetailsJson = r.Details,
        }).ToList();
    }
}
