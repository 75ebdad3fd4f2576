using System.Text;
using Dapper;

namespace LeadScore.Storage;

/// <summary>The dashboard's page of leads (<see cref="ILeadListing"/>).</summary>
public abstract partial class SqlLeadStore
{
    private sealed record LeadPageRow(string LeadId, double Probability, long Score, string Grade, string ModelVersion, long ScoredAt, string Cause, string Reasons,
        long CreatedAt, string? Company, string? Source, string? LastKind);

    public async Task<LeadPage> ListLeadPageAsync(LeadPageQuery query, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        var sqlite = Backend == "sqlite";
        // Attributes are a JSON object in a text column on both backends.
        string Attr(string key) => sqlite ? $"json_extract(l.attributes, '$.{key}')" : $"(l.attributes::jsonb ->> '{key}')";
        // The latest outcome decides the status; on a tie, reopened wins (as in ListTopScoresAsync).
        const string lastKind = "(SELECT o.kind FROM outcomes o WHERE o.lead_id = s.lead_id ORDER BY o.at DESC, CASE o.kind WHEN 'reopened' THEN 0 ELSE 1 END LIMIT 1)";
        var where = new StringBuilder("WHERE 1 = 1");
        if (query.Grade is not null) where.Append(" AND s.grade = @grade");
        if (query.Source is not null) where.Append($" AND {Attr("source")} = @source");
        if (query.Status is { } st)
            where.Append(st switch
            {
                LeadStatus.Won => $" AND {lastKind} = 'converted'",
                LeadStatus.Lost => $" AND {lastKind} = 'lost'",
                _ => $" AND COALESCE({lastKind}, 'reopened') = 'reopened'",
            });
        string? like = null;
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            like = "%" + query.Search.Trim().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            where.Append($" AND (s.lead_id = @search OR {Attr("company")} {(sqlite ? "LIKE" : "ILIKE")} @like ESCAPE '\\')");
        }
        var order = query.Sort switch
        {
            LeadSort.ScoreAscending => "s.probability ASC, s.lead_id DESC",
            LeadSort.CreatedDescending => "l.created_at DESC, s.lead_id",
            LeadSort.CreatedAscending => "l.created_at ASC, s.lead_id",
            _ => "s.probability DESC, s.lead_id",
        };
        var sql = $"""
            SELECT s.lead_id AS LeadId, s.probability AS Probability, s.score AS Score, s.grade AS Grade, s.model_version AS ModelVersion,
                   s.scored_at AS ScoredAt, s.cause AS Cause, s.reasons AS Reasons, l.created_at AS CreatedAt,
                   {Attr("company")} AS Company, {Attr("source")} AS Source, {lastKind} AS LastKind
            FROM scores_latest s JOIN leads l ON l.id = s.lead_id
            {where}
            ORDER BY {order}
            LIMIT @limit OFFSET @offset
            """;
        await using var c = await OpenAsync(ct);
        var rows = (await c.QueryAsync<LeadPageRow>(new CommandDefinition(sql, new
        {
            grade = query.Grade, source = query.Source, search = query.Search?.Trim(), like,
            limit = (long)query.Limit + 1, offset = (long)query.Offset,
        }, cancellationToken: ct))).ToList();
        var items = rows.Take(query.Limit).Select(r => new LeadPageItem
        {
            Score = ToScore(new ScoreRow(r.LeadId, r.Probability, r.Score, r.Grade, r.ModelVersion, r.ScoredAt, r.Cause, r.Reasons)),
            CreatedAt = Time(r.CreatedAt),
            Company = r.Company,
            Source = r.Source,
            Status = r.LastKind switch { "converted" => LeadStatus.Won, "lost" => LeadStatus.Lost, _ => LeadStatus.Open },
        }).ToList();
        return new LeadPage(items, rows.Count > query.Limit);
    }
}
