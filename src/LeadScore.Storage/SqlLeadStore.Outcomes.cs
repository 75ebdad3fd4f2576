using System.Data.Common;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Outcomes (<see cref="IOutcomeData"/>).</summary>
public abstract partial class SqlLeadStore
{
    public Task<InsertCounts> InsertOutcomesAsync(IReadOnlyList<Outcome> outcomes, CancellationToken ct = default)
    {
        if (outcomes.Count == 0) return Task.FromResult(default(InsertCounts));
        return InTransactionAsync(async (c, tx) =>
        {
            var inserted = await InsertOutcomeRowsAsync(c, tx, outcomes, ct);
            // The touched leads' stored status follows, in the same transaction (rows whose status holds are not rewritten).
            if (inserted > 0)
                foreach (var ids in outcomes.Select(o => o.LeadId).Distinct(StringComparer.Ordinal).Chunk(500))
                    await c.ExecuteAsync(new CommandDefinition(
                        $"UPDATE scores_latest SET status = {LeadStatusSql("scores_latest.lead_id")} WHERE {InList("lead_id", "@ids")} AND status <> {LeadStatusSql("scores_latest.lead_id")}",
                        new { ids }, tx, cancellationToken: ct));
            return new InsertCounts(inserted, outcomes.Count - inserted);
        }, ct);
    }

    /// <summary>Inserts the outcomes not stored yet (a stored one conflicts and is skipped); returns how many went in.</summary>
    protected virtual async Task<int> InsertOutcomeRowsAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Outcome> outcomes, CancellationToken ct)
    {
        var inserted = 0;
        foreach (var o in outcomes)
            inserted += await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO outcomes (lead_id, kind, at) VALUES (@l, @k, @a) ON CONFLICT (lead_id, at, kind) DO NOTHING",
                new { l = o.LeadId, k = KindName(o.Kind), a = Ms(o.At) }, tx, cancellationToken: ct));
        return inserted;
    }

    protected static string KindName(OutcomeKind k) => k.ToString().ToLowerInvariant();
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

    public IAsyncEnumerable<Outcome> StreamOutcomesAsync(IEnumerable<string> leadIds, CancellationToken ct = default) =>
        StreamByIdsAsync(leadIds, list => $"SELECT lead_id, kind, at FROM outcomes WHERE lead_id IN ({list}) ORDER BY {Ordinal("lead_id")}, at, kind", [],
            r => new Outcome { LeadId = r.GetString(0), Kind = ParseKind(r.GetString(1)), At = Time(r.GetInt64(2)) }, ct);
}
