using LeadScore.Core;
using LeadScore.Engine.Reporting;

namespace LeadScore.Application.Monitoring;

/// <summary>The monitoring report of a run over the prediction log: the latest window's drift, and every window over time.</summary>
public static class MonitoringLogReport
{
    /// <summary>Writes the report into <paramref name="directory"/>; returns the path of index.html.</summary>
    public static string Write(MonitoringResult result, string directory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(time);
        var latest = result.LatestDrift;
        if (latest?.Drift is not { } drift || result.ReferenceSample is not { } reference || result.LatestSample is not { } current)
            throw new LeadScoreException(result.Message ?? "no window has predictions with feature values to compare with the reference; nothing to report", "report");
        var matured = result.Windows.Where(w => w.Realized is not null).ToList();
        return MonitoringReport.Write(directory, new MonitoringReportInput
        {
            Title = $"{result.Slot}, {result.Windows.Count} window(s) of {result.WindowDays} day(s); latest from {latest.Start:yyyy-MM-dd}",
            ModelVersion = result.ModelVersion ?? "",
            CreatedAt = time.GetUtcNow(),
            Drift = drift,
            Reference = reference,
            Current = current,
            // The summary's figures: the latest matured cohort's realized performance beside its estimate; else the latest estimate.
            Realized = matured.LastOrDefault()?.Realized,
            Estimated = matured.Count > 0 ? matured[^1].Estimated : latest.Estimated,
            ScoreOverTime = result.Windows.Where(w => w.Scores is not null)
                .Select(w => new ScoreWindow(w.Start, (int)Math.Min(int.MaxValue, w.Scores!.Rows), w.Scores.P10, w.Scores.P25, w.Scores.Median, w.Scores.P75, w.Scores.P90, w.Scores.Mean))
                .ToList(),
            AucOverTime = result.Windows.Where(w => w.Estimated is not null)
                .Select(w => new AucWindow(w.Start, (int)Math.Min(int.MaxValue, w.Predictions), w.Estimated!.Auc,
                    w.Realized is { } r && double.IsFinite(r.Auc) ? r.Auc : null))
                .ToList(),
            CalibrationOverTime = matured.Where(w => w.Realized!.CalibrationPerGrade.Count > 0)
                .Select(w => new GradeCalibrationWindow(w.Start, w.Realized!.CalibrationPerGrade)).ToList(),
            Fairness = result.Windows.LastOrDefault(w => w.Fairness is not null)?.Fairness,
            FairnessWindow = result.Windows.LastOrDefault(w => w.Fairness is not null)?.Start,
        });
    }
}
