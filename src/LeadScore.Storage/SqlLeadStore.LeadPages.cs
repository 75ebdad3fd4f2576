using System.Text;

namespace LeadScore.Storage;

/// <summary>The dashboard's page of leads (<see cref="ILeadListing"/>).</summary>
public abstract partial class SqlLeadStore
{
    public async Task<LeadPage> ListLeadPageAsync(LeadPageQuery query, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        var sqlite = Backend == "sqlite";
        // Attributes are a JSON object in a text column on both backends.
        string Attr(string key) => sqlite ? $"json_extract(l.attributes, '$.{key}')" : $"(l.attributes::jsonb ->> '{key}')";
        // The status is stored beside the score (scores_latest.status, migration 016; the latest outcome decides, on a tie
        // reopened wins): the open leads sorted by score walk the partial index ix_scores_latest_open_grade and stop after the page.
        var where = new StringBuilder("WHERE l.id = s.lead_id");
        if (query.Grade is not null) where.Append(" AND s.grade = @grade");
        if (query.Source is not null) where.Append($" AND {Attr("source")} = @source");
        if (query.SegmentAttribute is not null)
        {
            // The attribute's name is a parameter (the JSON path on SQLite, the key on PostgreSQL), never SQL text.
            if (!IsAttributeName(query.SegmentAttribute)) throw new ArgumentException($"'{query.SegmentAttribute}' is not an attribute name", nameof(query));
            where.Append(sqlite ? " AND json_extract(l.attributes, @segpath) = @segvalue" : " AND (l.attributes::jsonb ->> @segattr) = @segvalue");
        }
        if (query.Email is not null) where.Append($" AND lower({Attr("email")}) = lower(@email)");
        if (query.Statuses is { Count: < 3 } statuses)
        {
            if (statuses.Count == 0) where.Append(" AND 1 = 0");
            else
                where.Append(statuses.Count == 1 ? " AND s.status = " : " AND s.status IN (").AppendJoin(", ", statuses.Order().Select(st => st switch
                {
                    LeadStatus.Won => "'won'",
                    LeadStatus.Lost => "'lost'",
                    _ => OpenStatus,
                })).Append(statuses.Count == 1 ? "" : ")");
        }
        string? like = null, prefix = null, prefixEnd = null;
        var search = !string.IsNullOrWhiteSpace(query.Search);
        if (search)
        {
            var term = query.Search!.Trim();
            if (sqlite)
            {
                // A prefix of the company name, as a range on ix_leads_company_lower (migration 013): SQLite's lower() folds
                // ASCII letters only, so the term is folded the same way. The range ends just below the term followed by the
                // highest code point, so every name that starts with the term is inside it.
                prefix = AsciiLower(term);
                prefixEnd = prefix + "\U0010FFFF";
                where.Append(" AND (l.id = @search OR (lower(json_extract(l.attributes, '$.company')) >= @prefix AND lower(json_extract(l.attributes, '$.company')) < @prefixEnd))");
            }
            else
            {
                // Any part of the name in any case: ILIKE on the expression of the pg_trgm index ix_leads_company_trgm (migration 013).
                like = "%" + term.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
                where.Append(" AND (l.id = @search OR (l.attributes::jsonb ->> 'company') ILIKE @like ESCAPE '\\')");
            }
        }
        var order = query.Sort switch
        {
            LeadSort.ScoreAscending => "s.probability ASC, s.lead_id DESC",
            LeadSort.CreatedDescending => "l.created_at DESC, s.lead_id",
            LeadSort.CreatedAscending => "l.created_at ASC, s.lead_id",
            _ => "s.probability DESC, s.lead_id",
        };
        // CROSS JOIN fixes SQLite's join order. Sorted by score, scores_latest is the outer loop, walking the score index
        // and stopping after the page (with a filter on the leads side it would otherwise scan and sort every lead: 2.6 s
        // at 1M). Sorted by creation, leads is the outer loop, walking ix_leads_created the same way. Searching, leads is
        // the outer loop too, reached through the id and company indexes (then the matches are sorted): walking the score
        // index instead would read every lead when few match.
        var byCreated = query.Sort is LeadSort.CreatedDescending or LeadSort.CreatedAscending;
        var from = byCreated || search ? "leads l CROSS JOIN scores_latest s" : "scores_latest s CROSS JOIN leads l";
        var pageSql = $"""
            SELECT s.lead_id AS LeadId, s.probability AS Probability, s.score AS Score, s.grade AS Grade, s.model_version AS ModelVersion,
                   s.scored_at AS ScoredAt, s.cause AS Cause, {(query.WithReasons ? "s.reasons" : "'[]'")} AS Reasons, l.created_at AS CreatedAt,
                   {Attr("company")} AS Company, {Attr("source")} AS Source, s.status AS Status
            FROM {from}
            {where}
            ORDER BY {order}
            LIMIT @limit OFFSET @offset
            """;
        // The score as of the trend's moment, for the page's rows only (the page is cut first): the latest history entry at
        // or before it, one ix_score_history_lead (lead_id, scored_at) lookup per row.
        var sql = query.TrendAsOf is null ? pageSql : $"""
            SELECT p.*, (SELECT h.score FROM score_history h WHERE h.lead_id = p.LeadId AND h.scored_at <= @trendAsOf ORDER BY h.scored_at DESC, h.id DESC LIMIT 1) AS ScoreThen
            FROM ({pageSql}) p
            ORDER BY {order.Replace("s.probability", "p.Probability").Replace("s.lead_id", "p.LeadId").Replace("l.created_at", "p.CreatedAt")}
            """;
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        AddParam(cmd, "grade", query.Grade);
        AddParam(cmd, "source", query.Source);
        AddParam(cmd, "search", query.Search?.Trim());
        AddParam(cmd, "like", like);
        AddParam(cmd, "prefix", prefix);
        AddParam(cmd, "prefixEnd", prefixEnd);
        AddParam(cmd, "trendAsOf", query.TrendAsOf is { } asOf ? (object?)Ms(asOf) : null);
        AddParam(cmd, "segpath", query.SegmentAttribute is null ? null : "$.\"" + query.SegmentAttribute + "\"");
        AddParam(cmd, "segattr", query.SegmentAttribute);
        AddParam(cmd, "segvalue", query.SegmentValue ?? "");
        AddParam(cmd, "email", query.Email?.Trim());
        AddParam(cmd, "limit", (long)query.Limit + 1);
        AddParam(cmd, "offset", (long)query.Offset);
        // Read by position: SQLite gives JSON-extracted columns no declared type, which a mapper cannot rely on.
        var items = new List<LeadPageItem>(query.Limit);
        var more = false;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (items.Count == query.Limit) { more = true; break; }
            string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            items.Add(new LeadPageItem
            {
                Score = ToScore(new ScoreRow(r.GetString(0), r.GetDouble(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetString(6), r.GetString(7))),
                CreatedAt = Time(r.GetInt64(8)),
                Company = Text(9),
                Source = Text(10),
                Status = Text(11) switch { "won" => LeadStatus.Won, "lost" => LeadStatus.Lost, _ => LeadStatus.Open },
                ScoreThen = query.TrendAsOf is null || r.IsDBNull(12) ? null : (int)r.GetInt64(12),
            });
        }
        return new LeadPage(items, more);
    }

    /// <summary>Lower case the way SQLite's built-in lower() does it: ASCII letters only.</summary>
    internal static string AsciiLower(string s) => string.Create(s.Length, s, (span, src) =>
    {
        for (var i = 0; i < src.Length; i++) span[i] = src[i] is >= 'A' and <= 'Z' ? (char)(src[i] + 32) : src[i];
    });

    /// <summary>An attribute name the listing filters on: 1-64 ASCII letters, digits, '_' or '-'.</summary>
    public static bool IsAttributeName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
