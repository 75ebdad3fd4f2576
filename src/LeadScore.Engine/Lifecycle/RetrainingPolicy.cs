using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Cronos;
using LeadScore.Core;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Lifecycle;

/// <summary>
/// When and how the workspace retrains itself, and what a new model must show before it serves: stored as a shared
/// setting (JSON, snake_case), edited with <c>./leadscore policy set</c> or <c>PUT /api/v1/policy</c>.
/// </summary>
public sealed record RetrainingPolicy
{
    /// <summary>Off: nothing is trained or promoted by itself (manual training still works).</summary>
    public bool Enabled { get; init; } = true;
    public ScheduleSettings Schedule { get; init; } = new();
    public TriggerSettings Triggers { get; init; } = new();
    public WindowSettings Window { get; init; } = new();
    public TrainingSettings Training { get; init; } = new();
    /// <summary>The promotion gate's rules (see <see cref="GateRule"/>).</summary>
    public IReadOnlyList<string> Gate { get; init; } = PromotionGate.DefaultRules;
    public ChallengerSettings Challenger { get; init; } = new();
    public RollbackSettings Rollback { get; init; } = new();

    public sealed record ScheduleSettings
    {
        /// <summary>Retrain when this many days passed since the last training; null = no interval.</summary>
        public double? EveryDays { get; init; } = 15;
        /// <summary>A cron expression (five fields, UTC), e.g. "0 3 * * 1" for Mondays 03:00; used instead of <see cref="EveryDays"/> when set.</summary>
        public string? Cron { get; init; }
    }

    public sealed record TriggerSettings
    {
        /// <summary>Retrain after a dataset drift alert raised since the last training.</summary>
        public bool DatasetDrift { get; init; } = true;
        /// <summary>Retrain after a performance alert raised since the last training.</summary>
        public bool PerformanceAlert { get; init; } = true;
        /// <summary>Retrain once this many outcomes matured since the last training; null = off.</summary>
        public int? MinNewOutcomes { get; init; }
        /// <summary>Never two trainings closer than this (an alert that stays raised does not retrain every tick).</summary>
        public double MinDaysBetween { get; init; } = 3;
    }

    public sealed record WindowSettings
    {
        /// <summary>all, last_months or decay.</summary>
        public string Kind { get; init; } = TrainingWindow.All;
        /// <summary>For last_months: rows decided within this many months of the training time.</summary>
        public int? Months { get; init; }
        /// <summary>For decay: a row's weight halves every this many days of age.</summary>
        public double? HalfLifeDays { get; init; }
        /// <summary>
        /// After a performance alert of the champion, train only on the leads first decided since the first alerted window ended (the
        /// change it found), while that change is newer than the window's own start (a year for all and decay), and when those
        /// leads are enough (<see cref="TrainingWindow.MinChangeRows"/>); false = the window alone.
        /// </summary>
        public bool FollowChange { get; init; } = true;
        /// <summary>
        /// How a tree model follows a change: indicator (the default) keeps the window's older leads and marks them with a
        /// change indicator, missing after the change and at serving, so what stayed the same is learned from all of them and
        /// what changed from the new leads; new_only trains on the leads since the change alone (linear models always do).
        /// </summary>
        public string FollowChangeBy { get; init; } = TrainingWindow.ByIndicator;
        /// <summary>
        /// While a change an alert found is in force, retrain once this many days passed since the last training, whatever the
        /// schedule says: each week more leads of the new process have matured, and the first models after a change learn from
        /// few of them. Null = the schedule and the triggers alone.
        /// </summary>
        public double? FollowChangeEveryDays { get; init; } = 7;
    }

    public sealed record TrainingSettings
    {
        /// <summary>A fixed algorithm, so a retraining's result does not depend on the machine's speed.</summary>
        public string Algorithm { get; init; } = "lightgbm";
        /// <summary>0 = the algorithm's defaults, no search (reproducible); more = a search bounded by time.</summary>
        public int TimeBudgetSeconds { get; init; }
        public int Seed { get; init; } = TrainingOptions.Defaults.Seed;
        /// <summary>The horizon H in days; null = chosen from the data.</summary>
        public double? HorizonDays { get; init; }
    }

    public sealed record ChallengerSettings
    {
        /// <summary>none (a candidate that passes the gate is promoted at once), shadow or split.</summary>
        public string Mode { get; init; } = ChallengerModes.Shadow;
        /// <summary>For split: the share of leads (by a hash of the lead id) the challenger serves.</summary>
        public double SplitPercent { get; init; } = 10;
        /// <summary>Matured leads at which the sequential test is complete (information fraction 1).</summary>
        public int OutcomesToDecide { get; init; } = 2000;
        /// <summary>The false-promotion rate: the chance of promoting a challenger that is not better.</summary>
        public double Alpha { get; init; } = 0.05;
        /// <summary>Promote a winning challenger at once; false = it waits for a person (<c>models promote challenger</c>).</summary>
        public bool AutoPromote { get; init; } = true;
        /// <summary>
        /// When a retraining answers a performance alert of the champion (its realized performance fell), or runs while the change
        /// such an alert found is in force, a candidate that passes the gate and whose probabilities beat the champion's on the
        /// same matured hold-out by the paired log-loss test at <see cref="Alpha"/> (<see cref="PairedLogLoss"/>) is promoted at
        /// once, and the rollback watch guards it on live leads; a live test would keep the failing champion serving for another
        /// horizon. False = such a candidate is tested on live leads like any other. Needs <see cref="AutoPromote"/>.
        /// </summary>
        public bool FastTrackOnAlert { get; init; } = true;
    }

    public sealed record RollbackSettings
    {
        /// <summary>Roll a promoted model back when its realized AUC is significantly below the previous champion's on the same leads.</summary>
        public bool Enabled { get; init; } = true;
        /// <summary>Matured leads scored since the promotion at which the check is complete.</summary>
        public int OutcomesToDecide { get; init; } = 2000;
        public double Alpha { get; init; } = 0.05;
    }

    public static readonly RetrainingPolicy Default = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // The gate's rules are read by people (policy show, the API): "auc >= champion + 0.005", not "auc \u003E= champion \u002B 0.005".
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads and validates a policy; errors name the field (and the line and column for malformed JSON).</summary>
    public static RetrainingPolicy FromJson(string json, string source = "policy")
    {
        RetrainingPolicy? p;
        try { p = JsonSerializer.Deserialize<RetrainingPolicy>(json, Json); }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } l ? $" line {l + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "";
            throw new LeadScoreException($"{source}:{where} {Reason(ex)}", ex.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "policy");
        }
        return (p ?? throw new LeadScoreException($"{source}: empty policy", "policy")).Validated();
    }

    /// <summary>The parser's reason without .NET type names ("could not be converted to System.Nullable`1[System.Double]" reads "must be a number").</summary>
    private static string Reason(JsonException ex)
    {
        var reason = ex.Message.Split(" Path:")[0];
        var m = System.Text.RegularExpressions.Regex.Match(reason, @"could not be converted to (?:System\.Nullable`1\[)?(\w+(?:\.\w+)*)");
        if (!m.Success) return reason;
        return m.Groups[1].Value switch
        {
            "System.Double" or "System.Single" or "System.Decimal" => "must be a number",
            "System.Int32" => string.Create(CultureInfo.InvariantCulture, $"must be a whole number from {int.MinValue:N0} to {int.MaxValue:N0}"),
            "System.Int64" => "must be a whole number",
            "System.Boolean" => "must be true or false",
            "System.String" => "must be text",
            _ => "is not one of the allowed values",
        };
    }

    /// <summary>
    /// A copy with one field set by its dotted path ("schedule.every_days", "challenger.mode", "gate"): the value is read as
    /// JSON when it parses (numbers, true/false, null), else as text; for the gate, rules separated by ';'.
    /// </summary>
    public RetrainingPolicy With(string path, string value)
    {
        var root = JsonNode.Parse(ToJson())!.AsObject();
        var parts = path.Trim().ToLowerInvariant().Split('.');
        JsonObject node = root;
        for (var i = 0; i < parts.Length - 1; i++)
            node = node[parts[i]] as JsonObject ?? throw new LeadScoreException($"policy has no section '{string.Join('.', parts[..(i + 1)])}' (sections: {string.Join(", ", root.Where(kv => kv.Value is JsonObject).Select(kv => kv.Key))})", path);
        var leaf = parts[^1];
        if (!node.ContainsKey(leaf))
            throw new LeadScoreException($"policy has no field '{path}' (fields here: {string.Join(", ", node.Select(kv => kv.Key))})", path);
        JsonNode? v;
        if (node[leaf] is JsonArray) v = new JsonArray([.. value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => (JsonNode?)JsonValue.Create(s))]);
        else
        {
            try { v = JsonNode.Parse(value); }
            catch (JsonException) { v = JsonValue.Create(value); }
            if (v is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number && node[leaf] is JsonValue old && old.GetValueKind() == JsonValueKind.String) v = JsonValue.Create(value);
        }
        node[leaf] = v;
        try { return FromJson(root.ToJsonString(), "policy"); }
        // The position in the JSON the CLI or API built from the one field means nothing to the person who set it.
        catch (LeadScoreException ex) { throw new LeadScoreException($"{path} = {value}: {System.Text.RegularExpressions.Regex.Replace(ex.Message.Replace("policy: ", ""), @"^policy: ?line \d+, column \d+ |^ ?line \d+, column \d+ ", "")}", path); }
    }

    /// <summary>Checks every field; throws naming the first one that is wrong.</summary>
    public RetrainingPolicy Validated()
    {
        if (Schedule.EveryDays is { } d && !(d > 0 && d <= 3650)) Fail("schedule.every_days", $"must be more than 0 days and at most {MaxDays} (or null for no interval)");
        if (Schedule.Cron is { Length: > 0 } cron)
        {
            try { CronExpression.Parse(cron); }
            catch (CronFormatException ex) { Fail("schedule.cron", $"'{cron}' is not a cron expression ({ex.Message})"); }
        }
        if (Triggers.MinNewOutcomes is { } n && n < 1) Fail("triggers.min_new_outcomes", "must be at least 1 (or null for off)");
        if (!(Triggers.MinDaysBetween >= 0 && Triggers.MinDaysBetween <= MaxDays)) Fail("triggers.min_days_between", $"must be 0 or more and at most {MaxDays} days");
        // Checked whatever the kind, so that a value set before the kind is switched is refused when it is set.
        if (Window.Months is { } months && months is < 1 or > MaxWindowMonths) Fail("window.months", $"must be at least 1 and at most {MaxWindowMonths} (100 years; or null)");
        if (Window.HalfLifeDays is { } half && !(half > 0 && half <= MaxHalfLifeDays)) Fail("window.half_life_days", $"must be above 0 and at most {MaxHalfLifeDays} days (100 years; or null)");
        switch (Window.Kind)
        {
            case TrainingWindow.All: break;
            case TrainingWindow.LastMonths when Window.Months is > 0: break;
            case TrainingWindow.LastMonths: Fail("window.months", "last_months needs months of at least 1"); break;
            case TrainingWindow.Decay when Window.HalfLifeDays is > 0: break;
            case TrainingWindow.Decay: Fail("window.half_life_days", "decay needs half_life_days above 0"); break;
            default: Fail("window.kind", $"'{Window.Kind}' is not one of all, last_months, decay"); break;
        }
        if (Window.FollowChangeEveryDays is { } fe && !(fe > 0 && fe <= MaxDays)) Fail("window.follow_change_every_days", $"must be above 0 days and at most {MaxDays}, or null");
        if (Window.FollowChangeBy is not (TrainingWindow.ByIndicator or TrainingWindow.ByNewOnly))
            Fail("window.follow_change_by", $"'{Window.FollowChangeBy}' is not one of {TrainingWindow.ByIndicator}, {TrainingWindow.ByNewOnly}");
        try { TrainerCatalog.Parse(Training.Algorithm); }
        catch (LeadScoreException ex) { Fail("training.algorithm", ex.Message); }
        if (Training.TimeBudgetSeconds is < 0 or > MaxTimeBudgetSeconds) Fail("training.time_budget_seconds", $"must be 0 (defaults, no search) or more, and at most {MaxTimeBudgetSeconds} (a day)");
        if (Training.HorizonDays is { } h && !(h > 0 && h <= MaxDays)) Fail("training.horizon_days", $"must be above 0 days and at most {MaxDays}");
        try { PromotionGate.Parse(Gate); }
        catch (LeadScoreException ex) { Fail("gate", ex.Message); }
        if (Challenger.Mode is not (ChallengerModes.None or ChallengerModes.Shadow or ChallengerModes.Split)) Fail("challenger.mode", $"'{Challenger.Mode}' is not one of none, shadow, split");
        if (Challenger.SplitPercent is <= 0 or >= 100) Fail("challenger.split_percent", "must be above 0 and below 100");
        if (Challenger.OutcomesToDecide < 50) Fail("challenger.outcomes_to_decide", "must be at least 50");
        if (Challenger.Alpha is <= 0 or >= 0.5) Fail("challenger.alpha", "must be above 0 and below 0.5");
        if (Rollback.OutcomesToDecide < 50) Fail("rollback.outcomes_to_decide", "must be at least 50");
        if (Rollback.Alpha is <= 0 or >= 0.5) Fail("rollback.alpha", "must be above 0 and below 0.5");
        return this;
    }

    /// <summary>How <see cref="DueReason"/> begins when a performance alert is the reason.</summary>
    public const string PerformanceAlertTrigger = "trigger: performance alert";
    /// <summary>How <see cref="DueReason"/> begins when the change in force is the reason (<see cref="WindowSettings.FollowChangeEveryDays"/>).</summary>
    public const string ChangeInForceTrigger = "change in force";

    /// <summary>Upper bounds of the day counts (schedule, horizon, pause between trainings): ten years.</summary>
    public const int MaxDays = 3650;
    /// <summary>Upper bound of a last-months window: 100 years.</summary>
    public const int MaxWindowMonths = 1200;
    /// <summary>Upper bound of a decay window's half-life: 100 years.</summary>
    public const int MaxHalfLifeDays = 36_500;
    /// <summary>Upper bound of a retraining's search budget: a day.</summary>
    public const int MaxTimeBudgetSeconds = 86_400;

    private static void Fail(string field, string why) => throw new LeadScoreException($"policy: {field} {why}", field);

    /// <summary>
    /// Whether a retraining is due now, and why (the first reason that applies): the schedule, a drift or performance alert
    /// since the last training, or enough newly matured outcomes. Null when none applies or it is too soon after the last one.
    /// </summary>
    public string? DueReason(RetrainingState state, DateTimeOffset now)
    {
        if (!Enabled) return null;
        if (state.LastTrainingAt is not { } last) return "no model trained by the policy yet";
        if (now - last < TimeSpan.FromDays(Triggers.MinDaysBetween)) return null;
        if (Schedule.Cron is { Length: > 0 } cron)
        {
            var next = CronExpression.Parse(cron).GetNextOccurrence(last.UtcDateTime, TimeZoneInfo.Utc);
            if (next is { } n && n <= now.UtcDateTime) return $"schedule: cron '{cron}' was due at {n:yyyy-MM-dd HH:mm}Z";
        }
        else if (Schedule.EveryDays is { } every && now - last >= TimeSpan.FromDays(every))
            return $"schedule: every {every.ToString("0.##", CultureInfo.InvariantCulture)} days ({(now - last).TotalDays:0.#} days since the last training)";
        if (Triggers.DatasetDrift && state.DriftAlertSince is { } drift) return $"trigger: dataset drift alert ({drift})";
        if (Triggers.PerformanceAlert && state.PerformanceAlertSince is { } perf) return $"{PerformanceAlertTrigger} ({perf})";
        if (Triggers.MinNewOutcomes is { } min && state.NewMaturedOutcomes >= min)
            return $"trigger: {state.NewMaturedOutcomes} outcomes matured since the last training (at least {min})";
        if (state.ChangeInForce && Window.FollowChangeEveryDays is { } followEvery && now - last >= TimeSpan.FromDays(followEvery))
            return $"{ChangeInForceTrigger}: every {followEvery.ToString("0.##", CultureInfo.InvariantCulture)} days while the change a performance alert found is in force ({(now - last).TotalDays:0.#} days since the last training)";
        return null;
    }
}

/// <summary>What the policy's triggers look at: the last training and what happened since.</summary>
public sealed record RetrainingState(DateTimeOffset? LastTrainingAt, int NewMaturedOutcomes, string? DriftAlertSince = null, string? PerformanceAlertSince = null,
    bool ChangeInForce = false);

/// <summary>The challenger modes.</summary>
public static class ChallengerModes
{
    public const string None = "none";
    public const string Shadow = "shadow";
    public const string Split = "split";
}

/// <summary>Which training rows a retraining uses, and how it is said in the model card.</summary>
public static class TrainingWindow
{
    public const string All = "all";
    public const string LastMonths = "last_months";
    public const string Decay = "decay";
    /// <summary>Follow a change with a change indicator on the older leads (<see cref="WithChangeIndicator"/>).</summary>
    public const string ByIndicator = "indicator";
    /// <summary>Follow a change with the leads since it alone (<see cref="SinceChange"/>).</summary>
    public const string ByNewOnly = "new_only";

    /// <summary>The fewest matured rows, and of each class a tenth of that, a change window needs; with fewer the usual window trains.</summary>
    public const int MinChangeRows = 400;

    /// <summary>How long a change found by an alert narrows an all-history or decay window (a last-months window ends it itself).</summary>
    public static readonly TimeSpan FollowChangeFor = TimeSpan.FromDays(365);

    /// <summary>The start of the change window in force at <paramref name="now"/>: <paramref name="since"/> while it is newer than the window's own start.</summary>
    public static DateTimeOffset? ChangeInForce(RetrainingPolicy.WindowSettings w, DateTimeOffset? since, DateTimeOffset now)
    {
        if (!w.FollowChange || since is not { } s || s > now) return null;
        return w.Kind == LastMonths ? (s > now.AddMonths(-(w.Months ?? 12)) ? s : null) : (now - s < FollowChangeFor ? s : null);
    }

    /// <summary>
    /// The rows of leads first decided at or after <paramref name="since"/> (a lead's rows at every age stay together: a lead
    /// decided before the change learned from the old process, whatever its age), or null when they are too few to train on:
    /// fewer than <see cref="MinChangeRows"/> matured rows, or fewer than a tenth of that in either class.
    /// </summary>
    public static FeatureFrame? SinceChange(FeatureFrame frame, DateTimeOffset since) =>
        NewLeads(frame, since) is { } n ? frame.Subset(n.Rows) : null;

    /// <summary>
    /// Each lead's first decision time and the rows of the leads first decided at or after <paramref name="since"/>, or null
    /// when those are too few to train on (the rule of <see cref="SinceChange"/>) or the frame has no times.
    /// </summary>
    private static (Dictionary<string, DateTimeOffset> FirstDecided, List<int> Rows)? NewLeads(FeatureFrame frame, DateTimeOffset since)
    {
        if (frame.Times.Count != frame.Count) return null;
        var first = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        for (var i = 0; i < frame.Count; i++)
            if (!first.TryGetValue(frame.Ids[i], out var t) || frame.Times[i] < t) first[frame.Ids[i]] = frame.Times[i];
        var rows = new List<int>();
        int matured = 0, positives = 0;
        for (var i = 0; i < frame.Count; i++)
        {
            if (first[frame.Ids[i]] < since) continue;
            rows.Add(i);
            if (!frame.IsMatured(i)) continue;
            matured++;
            if (frame.Labels.Count == frame.Count && frame.Labels[i]) positives++;
        }
        if (matured < MinChangeRows || positives < MinChangeRows / 10 || matured - positives < MinChangeRows / 10) return null;
        return (first, rows);
    }

    /// <summary>
    /// The window's rows with the change indicator (<see cref="FeatureInfo.ChangeIndicatorName"/>): 1 on the rows of leads first
    /// decided before <paramref name="since"/>, missing on the others, as on every served lead. Null when the leads since the
    /// change are too few (the rule of <see cref="SinceChange"/>). The training holds out the latest share of the new leads'
    /// rows (see TrainingService), so the hold-out is new leads only, however few of the window's rows they are. (Until
    /// 2026-12-03 the new leads also had to fill the held-out share of the whole window, a rule from when a share of the whole
    /// window was held out: in the 137-a-day concept year it kept the indicator out of every training before day 260, and
    /// those trainings learned from one to four weeks of new leads alone.)
    /// </summary>
    public static FeatureFrame? WithChangeIndicator(FeatureFrame frame, DateTimeOffset since)
    {
        if (frame.IndexOf(FeatureInfo.ChangeIndicatorName) >= 0 || NewLeads(frame, since) is not { } n) return null;
        var first = n.FirstDecided;
        var indicator = new FeatureInfo(FeatureInfo.ChangeIndicatorName, FeatureKind.Numeric,
            string.Create(CultureInfo.InvariantCulture, $"1 for leads first decided before {since:yyyy-MM-dd} (the change a performance alert found), missing after it and on every served lead"))
        { IsContext = true };
        return frame.WithNumeric(indicator, i => first[frame.Ids[i]] < since ? 1 : double.NaN);
    }

    public static string Describe(RetrainingPolicy.WindowSettings w) => w.Kind switch
    {
        LastMonths => $"the last {w.Months} months of decision times",
        Decay => $"all history, time-decayed with a half-life of {w.HalfLifeDays:0.##} days (a seeded sample: each row kept with probability 0.5^(age / half-life))",
        _ => "all history",
    };

    /// <summary>
    /// The rows of <paramref name="frame"/> the window keeps, by decision time, as of <paramref name="asOf"/>. Decay keeps each
    /// row with probability 0.5^(age / half-life) (seeded): in expectation the same as weighting rows by that factor, and the
    /// trainers' own weight column stays free for class balance.
    /// </summary>
    public static FeatureFrame Apply(FeatureFrame frame, RetrainingPolicy.WindowSettings w, DateTimeOffset asOf, int seed)
    {
        if (w.Kind == All || frame.Times.Count != frame.Count) return frame;
        var keep = new List<int>(frame.Count);
        if (w.Kind == LastMonths)
        {
            var from = asOf.AddMonths(-(w.Months ?? 12));
            for (var i = 0; i < frame.Count; i++) if (frame.Times[i] >= from) keep.Add(i);
        }
        else
        {
            var rng = new Random(seed);
            var half = w.HalfLifeDays ?? 90;
            for (var i = 0; i < frame.Count; i++)
            {
                var age = Math.Max(0, (asOf - frame.Times[i]).TotalDays);
                if (rng.NextDouble() < Math.Pow(0.5, age / half)) keep.Add(i);
            }
        }
        return frame.Subset(keep);
    }
}
