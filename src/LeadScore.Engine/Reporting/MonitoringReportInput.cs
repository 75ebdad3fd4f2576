using LeadScore.Engine.Monitoring;

namespace LeadScore.Engine.Reporting;

/// <summary>
/// What the monitoring report shows. The drift of one comparison is required; the time series are optional (the log
/// mode fills them; the flat-file mode has one window and leaves them empty, and their sections are left out).
/// </summary>
public sealed record MonitoringReportInput
{
    /// <summary>Title line, e.g. "Model 20261201-1 on current.csv".</summary>
    public required string Title { get; init; }
    public required string ModelVersion { get; init; }
    /// <summary>When the report was made (from the caller's TimeProvider).</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    public required DriftReport Drift { get; init; }
    /// <summary>Reference and current values of the features, for the distribution plots of the top drifted ones.</summary>
    public required DriftSample Reference { get; init; }
    public required DriftSample Current { get; init; }
    public RealizedPerformance? Realized { get; init; }
    public EstimatedPerformance? Estimated { get; init; }
    /// <summary>Score distribution per window (optional).</summary>
    public IReadOnlyList<ScoreWindow> ScoreOverTime { get; init; } = [];
    /// <summary>Realized (when matured) and estimated AUC per window (optional).</summary>
    public IReadOnlyList<AucWindow> AucOverTime { get; init; } = [];
    /// <summary>Predicted vs actual per grade per window (optional).</summary>
    public IReadOnlyList<GradeCalibrationWindow> CalibrationOverTime { get; init; } = [];
    /// <summary>Fairness across groups on the latest window's live leads (optional: log mode with declared attributes).</summary>
    public Fairness.FairnessReport? Fairness { get; init; }
    /// <summary>The start of the window <see cref="Fairness"/> is about.</summary>
    public DateTimeOffset? FairnessWindow { get; init; }
}

/// <summary>Quantiles of the score in one window (probabilities 0-1).</summary>
public sealed record ScoreWindow(DateTimeOffset Start, int Rows, double P10, double P25, double Median, double P75, double P90, double Mean);

/// <summary>AUC of one window: estimated by CBPE always, realized once the cohort has matured (null until then).</summary>
public sealed record AucWindow(DateTimeOffset Start, int Rows, double EstimatedAuc, double? RealizedAuc);

/// <summary>Calibration per grade in one matured window.</summary>
public sealed record GradeCalibrationWindow(DateTimeOffset Start, IReadOnlyList<GradeCalibration> Grades);
