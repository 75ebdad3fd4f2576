using System.ComponentModel.DataAnnotations;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Governance;

/// <summary>
/// How long each data class is kept (bound from <c>LeadScore:Retention</c>, validated at start). Zero keeps a class
/// forever. The audit log is not a data class: it is never deleted.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "LeadScore:Retention";

    /// <summary>How often the leader runs retention.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")] public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Activities (and their replaced versions), by event time. Two years: longer than any sales cycle the features look back over.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "36500.00:00:00")] public TimeSpan Activities { get; set; } = TimeSpan.FromDays(730);

    /// <summary>Quarantined raw rows (source text, personal data included), by the time they were quarantined.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "36500.00:00:00")] public TimeSpan Quarantine { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Score history, by scoring time; each lead's latest score is kept.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "36500.00:00:00")] public TimeSpan ScoreHistory { get; set; } = TimeSpan.FromDays(365);

    /// <summary>The prediction log (monitoring), by prediction time.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "36500.00:00:00")] public TimeSpan PredictionLog { get; set; } = TimeSpan.FromDays(180);
}

/// <summary>
/// One kind of data retention deletes: its name, its limit, and how to delete (or, dry, count) the rows older than a cut.
/// Adding a data class is adding one of these to <see cref="RetentionService.Classes"/>.
/// </summary>
public sealed record RetentionDataClass(string Name, Func<RetentionOptions, TimeSpan> Limit, Func<DateTimeOffset, bool, CancellationToken, Task<long>> DeleteOlderThan);

/// <summary>What retention did (or, dry, would do) to one data class.</summary>
public sealed record RetentionCount(string DataClass, TimeSpan Limit, DateTimeOffset? Before, long Rows);

/// <summary>
/// Deletes rows older than each data class's limit. The leader runs it on a schedule (Hosting's RetentionMaintenance);
/// <c>./leadscore retention run [--dry-run]</c> runs it now. A real run leaves one audit entry with the counts.
/// </summary>
public sealed class RetentionService(IRetentionStore store, IPredictionLog predictions, ISettingsStore settings, RetentionOptions options, AuditLog audit, TimeProvider time)
{
    public RetentionOptions Options => options;

    /// <summary>The data classes, in the order they run.</summary>
    public IReadOnlyList<RetentionDataClass> Classes { get; } =
    [
        new("activities", o => o.Activities, store.DeleteActivitiesOlderThanAsync),
        new("quarantine", o => o.Quarantine, store.DeleteQuarantineOlderThanAsync),
        new("score_history", o => o.ScoreHistory, store.DeleteScoreHistoryOlderThanAsync),
        new("prediction_log", o => o.PredictionLog, predictions.DeletePredictionsOlderThanAsync),
    ];

    public async Task<IReadOnlyList<RetentionCount>> RunAsync(bool dryRun = false, Actor? actor = null, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var counts = new List<RetentionCount>();
        foreach (var c in Classes)
        {
            var limit = c.Limit(options);
            if (limit <= TimeSpan.Zero) { counts.Add(new RetentionCount(c.Name, limit, null, 0)); continue; }
            var before = now - limit;
            counts.Add(new RetentionCount(c.Name, limit, before, await c.DeleteOlderThan(before, dryRun, ct)));
        }
        // Deleted activities change the features a training set would hold: a stored one is stale.
        if (!dryRun && counts.Any(c => c.Rows > 0)) await settings.SaveSettingAsync(SettingNames.DataVersion, "{}", now, ct);
        if (!dryRun)
            await audit.RecordAsync(AuditActions.Retention, AuditTargets.Leads, "*",
                counts.ToDictionary(c => c.DataClass, c => (object?)c.Rows), actor, ct);
        return counts;
    }
}
