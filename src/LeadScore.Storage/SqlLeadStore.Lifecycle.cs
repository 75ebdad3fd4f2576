using Dapper;

namespace LeadScore.Storage;

/// <summary>The lifecycle record (<see cref="ILifecycleLog"/>), on both backends.</summary>
public abstract partial class SqlLeadStore
{
    public async Task SaveEvaluationAsync(ModelEvaluation e, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO model_evaluations (id, at, kind, candidate, champion, passed, rows_evaluated, summary, figures, rules)
            VALUES (@Id, @at, @Kind, @Candidate, @Champion, @passed, @Rows, @Summary, @FiguresJson, @RulesJson)
            """, new { e.Id, at = Ms(e.At), e.Kind, e.Candidate, e.Champion, passed = e.Passed ? 1L : 0L, e.Rows, e.Summary, e.FiguresJson, e.RulesJson }, cancellationToken: ct));
    }

    private sealed record EvaluationRow(string Id, long At, string Kind, string Candidate, string? Champion, long Passed, long Rows, string Summary, string Figures, string Rules);

    private const string EvaluationColumns =
        "id AS Id, at AS At, kind AS Kind, candidate AS Candidate, champion AS Champion, passed AS Passed, rows_evaluated AS Rows, summary AS Summary, figures AS Figures, rules AS Rules";

    private static ModelEvaluation ToEvaluation(EvaluationRow r) => new()
    {
        Id = r.Id, At = Time(r.At), Kind = r.Kind, Candidate = r.Candidate, Champion = r.Champion, Passed = r.Passed != 0, Rows = (int)r.Rows,
        Summary = r.Summary, FiguresJson = r.Figures, RulesJson = r.Rules,
    };

    public async Task<ModelEvaluation?> GetEvaluationAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<EvaluationRow>(new CommandDefinition($"SELECT {EvaluationColumns} FROM model_evaluations WHERE id = @id", new { id }, cancellationToken: ct));
        return r is null ? null : ToEvaluation(r);
    }

    public async Task<IReadOnlyList<ModelEvaluation>> ListEvaluationsAsync(string candidate, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<EvaluationRow>(new CommandDefinition(
            $"SELECT {EvaluationColumns} FROM model_evaluations WHERE candidate = @candidate ORDER BY at, id", new { candidate }, cancellationToken: ct));
        return rows.Select(ToEvaluation).ToList();
    }

    public async Task<long> AddLifecycleEventAsync(LifecycleEvent e, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO lifecycle_events (at, kind, version, previous, reason, figures, evaluation_id)
            VALUES (@at, @Kind, @Version, @Previous, @Reason, @FiguresJson, @EvaluationId) RETURNING id
            """, new { at = Ms(e.At), e.Kind, e.Version, e.Previous, e.Reason, e.FiguresJson, e.EvaluationId }, cancellationToken: ct));
    }

    private sealed record EventRow(long Id, long At, string Kind, string? Version, string? Previous, string Reason, string? Figures, string? EvaluationId);

    public async Task<IReadOnlyList<LifecycleEvent>> ListLifecycleEventsAsync(DateTimeOffset? since = null, int limit = 1000, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<EventRow>(new CommandDefinition("""
            SELECT id AS Id, at AS At, kind AS Kind, version AS Version, previous AS Previous, reason AS Reason, figures AS Figures, evaluation_id AS EvaluationId
            FROM lifecycle_events WHERE at >= @since ORDER BY at DESC, id DESC LIMIT @limit
            """, new { since = since is { } s ? Ms(s) : long.MinValue, limit = (long)Math.Max(1, limit) }, cancellationToken: ct));
        return rows.Reverse().Select(r => new LifecycleEvent
        {
            Id = r.Id, At = Time(r.At), Kind = r.Kind, Version = r.Version, Previous = r.Previous, Reason = r.Reason, FiguresJson = r.Figures, EvaluationId = r.EvaluationId,
        }).ToList();
    }
}
