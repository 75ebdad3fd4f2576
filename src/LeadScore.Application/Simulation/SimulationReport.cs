namespace LeadScore.Application.Simulation;

/// <summary>One line of the timeline: the simulated day, what happened and its detail.</summary>
public sealed record SimulationEvent(int Day, string Kind, string Detail);

/// <summary>Realized AUC of the served model, the frozen first model and the oracle on one period's matured leads.</summary>
public sealed record SimulationMonth(int Month, int DayFrom, int DayTo, int Leads, int Converted, double? ServedAuc, double? FrozenAuc, double? OracleAuc);

/// <summary>A promotion, with the realized AUC of the model before and after it on the leads decided in the 60 days after it.</summary>
public sealed record SimulationPromotion(int Day, string? From, string To, double? AucBefore, double? AucAfter, int Leads, string Reason);

public sealed record SimulationRollback(int Day, string From, string? To, string Reason);

public sealed record SimulationAlert(int Day, string Kind, string Detail, string Model, string Slot);

/// <summary>What a simulation found.</summary>
public sealed record SimulationReport
{
    public required SimulationOptions Options { get; init; }
    public required string PolicyJson { get; init; }
    public required string Training { get; init; }
    public required string Workspace { get; init; }
    public required int LeadsImported { get; init; }
    public required IReadOnlyList<SimulationEvent> Timeline { get; init; }
    public required IReadOnlyList<SimulationMonth> Months { get; init; }
    public required IReadOnlyList<SimulationPromotion> Promotions { get; init; }
    public required IReadOnlyList<SimulationRollback> Rollbacks { get; init; }
    public required IReadOnlyList<SimulationAlert> Alerts { get; init; }
    /// <summary>The period the figures of the issue look at: from 60 days after the drift (day 240 of a year drifting at 180) to the end.</summary>
    public required SimulationMonth Late { get; init; }
    /// <summary>The day the first cohort of post-drift leads matured (drift day + decision delay + horizon); null without drift.</summary>
    public int? FirstPostDriftCohortMatured { get; init; }
    /// <summary>The first alert of the champion of the kind that detects the scenario (drift_detected for covariate, else performance_dropped) raised on or after the drift day.</summary>
    public SimulationAlert? FirstAlertAfterDrift { get; init; }
    /// <summary>Wall-clock seconds per phase of the loop, largest first (where a simulated year spends its time).</summary>
    public required IReadOnlyDictionary<string, double> PhaseSeconds { get; init; }
    /// <summary>CPU seconds per phase (the process's, while the phase ran), largest first: the run's own cost on a shared machine.</summary>
    public IReadOnlyDictionary<string, double> PhaseCpuSeconds { get; init; } = new Dictionary<string, double>();
    public required double ElapsedSeconds { get; init; }
    public required double CpuSeconds { get; init; }
}
