using System.Data.Common;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Stored scores, latest and history (<see cref="IScoreStore"/>).</summary>
public abstract partial class SqlLeadStore
{
    public Task SaveScoresAsync(IReadOnlyList<StoredScore> scores, CancellationToken ct = default)
    {
        if (scores.Count == 0) return Task.CompletedTask;
        return InTransactionAsync(async (c, tx) =>
        {
            await InsertScoresAsync(c, tx, scores, ct);
            return true;
        }, ct);
    }

    /// <summary>Appends to score history and replaces the latest scores, inside the caller's transaction.</summary>
    private static async Task InsertScoresAsync(DbConnection c, DbTransaction tx, IReadOnlyList<StoredScore> scores, CancellationToken ct)
    {
        if (scores.Count == 0) return;
        var rows = scores.Select(s => new
        {
            s.LeadId, s.Probability, Score = (long)s.Score, s.Grade, s.ModelVersion, at = Ms(s.ScoredAt), cause = s.Cause.ToString(), s.ReasonsJson,
        }).ToList();
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO score_history (lead_id, probability, score, grade, model_version, scored_at, cause, reasons)
            VALUES (@LeadId, @Probability, @Score, @Grade, @ModelVersion, @at, @cause, @ReasonsJson)
            """, rows, tx, cancellationToken: ct));
        // The status is written with the score (one probe of the outcomes key), so a score row is never without it.
        await c.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO scores_latest (lead_id, probability, score, grade, model_version, scored_at, cause, reasons, status)
            VALUES (@LeadId, @Probability, @Score, @Grade, @ModelVersion, @at, @cause, @ReasonsJson, {LeadStatusSql("@LeadId")})
            ON CONFLICT (lead_id) DO UPDATE SET probability = excluded.probability, score = excluded.score, grade = excluded.grade,
                model_version = excluded.model_version, scored_at = excluded.scored_at, cause = excluded.cause, reasons = excluded.reasons,
                status = excluded.status
            """, rows, tx, cancellationToken: ct));
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
        // Closed: the lead's latest outcome is converted or lost (a later 'reopened' opens it again; on a tie, reopened wins),
        // kept in scores_latest.status; open leads are read through the partial indexes of migration 016.
        var open = $" AND status = {OpenStatus}";
        var rows = await c.QueryAsync<ScoreRow>(new CommandDefinition(
            $"SELECT {ScoreColumns} FROM scores_latest WHERE (@grade IS NULL OR grade = @grade){(openOnly ? open : "")} ORDER BY probability DESC, lead_id LIMIT @limit",
            new { grade, limit = (long)limit }, cancellationToken: ct));
        return rows.Select(ToScore).ToList();
    }

    public IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(CancellationToken ct = default) =>
        StreamAsync($"SELECT lead_id, probability, score, grade, model_version, scored_at, cause, reasons FROM scores_latest ORDER BY {Ordinal("lead_id")}", r => ToScore(new ScoreRow(r.GetString(0), r.GetDouble(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetString(6), r.GetString(7))), ct);

    public IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(LeadIdRange range, CancellationToken ct = default) =>
        StreamAsync($"SELECT lead_id, probability, score, grade, model_version, scored_at, cause, reasons FROM scores_latest WHERE {RangeFilter("lead_id", range)} ORDER BY {Ordinal("lead_id")}", RangeParams(range), r => ToScore(new ScoreRow(r.GetString(0), r.GetDouble(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetString(6), r.GetString(7))), ct);

    public IAsyncEnumerable<StoredScore> StreamLatestScoresOfOpenLeadsAsync(LeadIdRange range, CancellationToken ct = default) =>
        StreamAsync($"SELECT lead_id, probability, score, grade, model_version, scored_at, cause, reasons FROM scores_latest WHERE {RangeFilter("lead_id", range)} AND status = {OpenStatus} ORDER BY {Ordinal("lead_id")}", RangeParams(range), r => ToScore(new ScoreRow(r.GetString(0), r.GetDouble(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetString(6), r.GetString(7))), ct);

    public IAsyncEnumerable<StoredScore> StreamLatestScoresAsync(IEnumerable<string> leadIds, CancellationToken ct = default) =>
        StreamByIdsAsync(leadIds, list => $"SELECT lead_id, probability, score, grade, model_version, scored_at, cause, reasons FROM scores_latest WHERE lead_id IN ({list}) ORDER BY {Ordinal("lead_id")}", [], r => ToScore(new ScoreRow(r.GetString(0), r.GetDouble(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetString(6), r.GetString(7))), ct);
}
