using LeadScore.Application.Fairness;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Monitoring;

/// <summary>
/// The fairness groups of live leads, for monitoring. The prediction log keeps the model's feature row (and only for a sample
/// of predictions), and a sensitive attribute is usually not a feature, so the group is read from the lead row, joined by lead
/// id, as known at the prediction's time (the point-in-time rule training uses: a lead's replaced versions). Only the declared
/// attributes' values are kept, one small array per lead, so memory grows with leads times declared attributes.
/// </summary>
internal sealed class LiveGroups
{
    private readonly string[] _attributes;
    private readonly FairnessRole[] _roles;
    private readonly FairnessOptions _options;
    private readonly Dictionary<string, string?[]> _current = new(StringComparer.Ordinal);
    /// <summary>A lead's replaced versions, oldest replacement first: the values in effect until <c>ReplacedAt</c>.</summary>
    private readonly Dictionary<string, List<(DateTimeOffset ReplacedAt, string?[] Values)>> _history = new(StringComparer.Ordinal);

    private LiveGroups(FairnessConfiguration config)
    {
        var s = config.Effective;
        var attributes = s.Sensitive.Select(a => (a, FairnessRole.Sensitive)).Concat(s.Watch.Select(a => (a, FairnessRole.Watch))).ToArray();
        _attributes = attributes.Select(a => a.a).ToArray();
        _roles = attributes.Select(a => a.Item2).ToArray();
        _options = s.Options;
        Source = config.Source;
    }

    public string Source { get; }

    public FairnessOptions Options => _options;

    /// <summary>The groups of every stored lead; null when no attribute is declared (nothing to monitor).</summary>
    public static async Task<LiveGroups?> LoadAsync(ILeadStore store, FairnessConfiguration config, CancellationToken ct)
    {
        var g = new LiveGroups(config);
        if (g._attributes.Length == 0) return null;
        await foreach (var lead in store.StreamLeadsAsync(ct)) g._current[lead.Id] = g.Values(lead.Get);
        await foreach (var h in store.StreamLeadHistoryAsync(ct))
        {
            if (!g._history.TryGetValue(h.Previous.Id, out var list)) g._history[h.Previous.Id] = list = [];
            list.Add((h.ReplacedAt, g.Values(h.Previous.Get)));
        }
        foreach (var list in g._history.Values) list.Sort((a, b) => a.ReplacedAt.CompareTo(b.ReplacedAt));
        return g;
    }

    private string?[] Values(Func<string, string?> get)
    {
        var v = new string?[_attributes.Length];
        // Interned: a few distinct group values repeated over every lead.
        for (var i = 0; i < v.Length; i++) v[i] = get(_attributes[i]) is { } s ? string.Intern(s) : null;
        return v;
    }

    /// <summary>Whether the lead is stored (a prediction of an erased or never-stored lead has no group).</summary>
    public bool Knows(string leadId) => _current.ContainsKey(leadId);

    private string?[] At(string leadId, DateTimeOffset t)
    {
        if (_history.TryGetValue(leadId, out var versions))
            foreach (var (replacedAt, values) in versions)
                if (replacedAt > t) return values;
        return _current[leadId];
    }

    /// <summary>
    /// The fairness figures of one window's leads (each with its last prediction in the window): the grade decides A/B; the
    /// outcome is known where the prediction's horizon has passed by <paramref name="now"/> (converted within it or not), else null.
    /// </summary>
    public FairnessReport Analyze(IReadOnlyDictionary<string, (DateTimeOffset At, double P, string Grade, double? Horizon)> leads,
        MonitoringService.Conversions conversions, DateTimeOffset now)
    {
        // Ordinal order of lead ids: the figures do not depend on dictionary order.
        var ids = leads.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var grades = new string[ids.Length];
        var probabilities = new double[ids.Length];
        var outcomes = new bool?[ids.Length];
        var columns = _attributes.Select(_ => new string[ids.Length]).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            var (at, p, grade, horizon) = leads[ids[i]];
            grades[i] = grade;
            probabilities[i] = p;
            outcomes[i] = horizon is { } h && at.AddDays(h) <= now ? conversions.Any(ids[i], at, at.AddDays(h)) : null;
            var values = At(ids[i], at);
            for (var a = 0; a < _attributes.Length; a++) columns[a][i] = GroupGrades.GroupOf(values[a]);
        }
        var groups = _attributes.Select((a, k) => new GroupColumn(a, _roles[k], columns[k])).ToArray();
        return FairnessAnalyzer.Analyze(grades, probabilities, outcomes, groups, _options) with { AttributesFrom = Source };
    }
}
