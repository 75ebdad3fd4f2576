using System.Data.Common;
using Dapper;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>Activities (<see cref="IActivityData"/>); the bulk insert is per backend.</summary>
public abstract partial class SqlLeadStore
{
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
        Properties = r.IsDBNull(6) ? AttributeMap.Empty : FromJson(r.GetString(6)),
    };

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

    public IAsyncEnumerable<Activity> StreamActivitiesAsync(LeadIdRange range, CancellationToken ct = default) =>
        StreamAsync($"SELECT {ActivityColumns} FROM activities WHERE {RangeFilter("lead_id", range)} ORDER BY {Ordinal("lead_id")}, ts, {Ordinal("event_id")}", RangeParams(range), r => ReadActivity(r), ct);

    public IAsyncEnumerable<Activity> StreamActivitiesOfOpenLeadsAsync(LeadIdRange range, DateTimeOffset before, CancellationToken ct = default) =>
        // Driven by the open leads (primary key in id order), each one's activities read through ix_activities_lead_ts.
        StreamAsync($"SELECT {ActivityColumns} FROM activities WHERE {RangeFilter("lead_id", range)} AND ts < @before" +
                    $" AND lead_id IN (SELECT id FROM leads WHERE {RangeFilter("id", range)} AND {OpenLead("leads.id")})" +
                    $" ORDER BY {Ordinal("lead_id")}, ts, {Ordinal("event_id")}", [.. RangeParams(range), ("@before", MsAbove(before))], r => ReadActivity(r), ct);

    public IAsyncEnumerable<Activity> StreamActivitiesAsync(IEnumerable<string> leadIds, DateTimeOffset before, CancellationToken ct = default) =>
        StreamByIdsAsync(leadIds, list => $"SELECT {ActivityColumns} FROM activities WHERE lead_id IN ({list}) AND ts < @before ORDER BY {Ordinal("lead_id")}, ts, {Ordinal("event_id")}",
            [("@before", MsAbove(before))], r => ReadActivity(r), ct);

    public async Task<long> CountActivitiesAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM activities", cancellationToken: ct));
    }
}
