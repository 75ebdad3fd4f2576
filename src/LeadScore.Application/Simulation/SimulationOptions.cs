using LeadScore.Core;
using LeadScore.Engine.Synthetic;

namespace LeadScore.Application.Simulation;

/// <summary>What <c>simulate</c> runs: how long, how many leads, which scenario, and the policy overrides.</summary>
public sealed record SimulationOptions
{
    /// <summary>Day 1 of every simulated year (fixed, so a run never depends on the real clock).</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public const int MaxDays = 3650;
    public const int MaxLeadsPerDay = 5000;

    public int Days { get; init; } = 365;
    public int LeadsPerDay { get; init; } = 137;
    public SyntheticDrift Drift { get; init; } = SyntheticDrift.None;
    /// <summary>The day the drift starts (1-based, leads created on it and later follow the new process); required with a drift.</summary>
    public int? DriftAtDay { get; init; }
    public int Seed { get; init; } = 42;
    /// <summary>
    /// How far concept drift turns the pricing signal (<see cref="SyntheticOptions.ConceptStrength"/>). The simulation's default, 3,
    /// reverses it outright: a change a model trained before it is hurt by (at the generator's own default of 1 the frozen model
    /// loses almost nothing, so there is nothing for retraining to win back). Only used with <c>--drift concept</c>.
    /// </summary>
    public double? ConceptStrength { get; init; }

    /// <summary>The concept-drift strength the run uses: the one given, else <see cref="DefaultConceptStrength"/>.</summary>
    public double EffectiveConceptStrength => ConceptStrength ?? DefaultConceptStrength;

    public const double DefaultConceptStrength = 3;
    /// <summary>Days of history imported before day 1, on which the first model is trained (day 0).</summary>
    public int HistoryDays { get; init; } = 120;
    /// <summary>Policy fields set before the run, after <see cref="SimulationDefaults.Policy"/> (dotted paths, as <c>policy set</c> takes them).</summary>
    public IReadOnlyList<(string Path, string Value)> Policy { get; init; } = [];
    /// <summary>Gate rules replacing the policy's gate; null keeps it.</summary>
    public IReadOnlyList<string>? Gate { get; init; }
    /// <summary>How often stored open leads are re-scored as time passes (the leader's <c>LeadScore:Maintenance:TimePassingRescore</c>).</summary>
    public TimeSpan TimePassingRescore { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How often the monitoring round runs (the leader's <c>LeadScore:Monitoring:MonitoringInterval</c>, hourly in a server): weekly,
    /// the window length, so each completed window is judged once it closes; a daily round costs most of a simulated year's time.
    /// </summary>
    public TimeSpan MonitoringEvery { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Checks the options; the error names the option.</summary>
    public SimulationOptions Validated()
    {
        if (Days is < 30 or > MaxDays) throw new LeadScoreException($"--days must be between 30 and {MaxDays} (got {Days})", "days");
        if (LeadsPerDay is < 1 or > MaxLeadsPerDay) throw new LeadScoreException($"--leads-per-day must be between 1 and {MaxLeadsPerDay} (got {LeadsPerDay})", "leads-per-day");
        if (HistoryDays < 60) throw new LeadScoreException($"the history must cover at least 60 days (got {HistoryDays})", "history-days");
        if (Drift == SyntheticDrift.None && DriftAtDay is not null) throw new LeadScoreException("--drift-at needs a drift scenario (--drift covariate|concept|delay)", "drift-at");
        if (Drift != SyntheticDrift.None && DriftAtDay is null) throw new LeadScoreException($"--drift {Drift.ToString().ToLowerInvariant()} needs the day it starts (--drift-at DAY)", "drift-at");
        if (DriftAtDay is { } d && (d < 1 || d > Days)) throw new LeadScoreException($"--drift-at must be a day of the simulation, 1 to {Days} (got {d})", "drift-at");
        if (ConceptStrength is { } k && (!double.IsFinite(k) || k <= 0 || k > 10)) throw new LeadScoreException($"--concept-strength must be above 0 and at most 10 (got {k.ToString(System.Globalization.CultureInfo.InvariantCulture)})", "concept-strength");
        if (Drift != SyntheticDrift.Concept && ConceptStrength is not null) throw new LeadScoreException("--concept-strength needs --drift concept", "concept-strength");
        if (MonitoringEvery <= TimeSpan.Zero || MonitoringEvery > TimeSpan.FromDays(7)) throw new LeadScoreException("the monitoring interval must be above zero and at most 7 days", "monitoring");
        if (TimePassingRescore <= TimeSpan.Zero) throw new LeadScoreException("the time-passing re-score interval must be above zero", "time-passing");
        return this;
    }
}

/// <summary>The policy a simulation starts from (printed in its header), before the user's <c>--policy</c> and <c>--gate</c>.</summary>
public static class SimulationDefaults
{
    /// <summary>
    /// A fixed algorithm with its defaults (no search) and a fixed seed, so a run gives the same result on every machine and a
    /// year fits in minutes; a 30-day horizon so outcomes mature within the year; the last 3 months of matured decisions as the
    /// window, so a retrained model learns the current process; challenge and rollback decided on 500 matured leads; a scheduled
    /// retraining every 30 days (the policy default, 15, would replace most challengers before their test decides at this volume).
    /// Dataset-drift alerts are shown but do not retrain: the reference is each lead at its decision time while the log holds
    /// re-scores of open leads of every age, so the drift test fires in a steady world (see docs/continuous-learning.md). The gate
    /// is the product's default gate (<see cref="LeadScore.Engine.Lifecycle.PromotionGate.DefaultRules"/>): the simulation shows the
    /// loop as a workspace runs it (--gate replaces it).
    /// </summary>
    public static IReadOnlyList<(string Path, string Value)> Policy(int seed) =>
    [
        ("training.algorithm", "lightgbm"), ("training.time_budget_seconds", "0"), ("training.seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("training.horizon_days", "30"), ("window.months", "3"), ("window.kind", "last_months"), ("schedule.every_days", "30"),
        ("challenger.outcomes_to_decide", "500"), ("rollback.outcomes_to_decide", "500"), ("triggers.dataset_drift", "false"),
    ];
}
