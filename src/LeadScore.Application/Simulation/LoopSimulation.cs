using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Features;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Jobs;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Lifecycle;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;

namespace LeadScore.Application.Simulation;

/// <summary>What the oracle is trained on: a data set drawn from one regime of the process, the policy's training settings, and when its labels are judged.</summary>
public sealed record OracleRequest(string Regime, SyntheticOptions Data, RetrainingPolicy Policy, DateTimeOffset AsOf);

/// <summary>Trains an oracle in a workspace of its own (the composition root builds one per call) and returns the model.</summary>
public delegate Task<TrainedModel> OracleTrainer(OracleRequest request, CancellationToken ct);

/// <summary>
/// <c>simulate</c>: the continuous-learning loop on a simulated clock. Each simulated day the day's generated leads, activities,
/// enrichment and newly known outcomes are imported through <see cref="IngestionService"/> (which re-scores the leads they touch),
/// open leads are re-scored as time passes (<see cref="TimePassingRescore"/>), queued jobs run (<see cref="JobRunner"/>), the
/// monitoring round runs (<see cref="MonitoringRounds"/>) and the loop's tick runs (<see cref="ContinuousLearning.ScheduleAsync"/>
/// and <see cref="ContinuousLearning.ReviewAsync"/>): the same entry points the leader's background services call, once per day
/// instead of on timers. At the end the realized AUC per month of the model that served (from the prediction log), of a frozen
/// copy of the first model and of an oracle trained on the true current process are computed on the same matured leads.
/// </summary>
public sealed class LoopSimulation(IngestionService ingestion, IScoringService scoring, JobRunner jobs, IJobQueue jobStore, TimePassingRescore timePassing,
    MonitoringRounds monitoring, MonitoringOptions monitoringOptions, ContinuousLearning learning, RetrainingPolicyService policies, LifecycleStateStore states, PredictionLogger predictionLog,
    IPredictionLog predictions, IMonitoringAlerts alerts, LifecycleHistory history, TrainingService training, FeatureDefinitionsRepository definitions,
    ModelRegistry registry, TimeProvider time)
{
    /// <summary>Days after a promotion whose decided leads judge it (the model before against the model after).</summary>
    public const int PromotionJudgedOverDays = 60;

    /// <summary>Days generated after the last simulated day, so every lead decided in the simulation has its outcome within the horizon.</summary>
    private const int TailDays = 75;

    private static readonly ImportKind[] ImportOrder = [ImportKind.Enrichment, ImportKind.Leads, ImportKind.Activities, ImportKind.Outcomes];

    public async Task<SimulationReport> RunAsync(SimulationOptions options, string workspace, OracleTrainer oracleTrainer, IProgress<SimulationEvent>? progress = null,
        CancellationToken ct = default)
    {
        var o = options.Validated();
        var clock = time as SimulatedClock ?? throw new InvalidOperationException("simulate needs the host built with a SimulatedClock (LeadScoreHostSettings.Time)");
        var watch = Stopwatch.StartNew();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var start = SimulationOptions.Start;
        var end = start.AddDays(o.Days);
        DateTimeOffset? driftAt = o.DriftAtDay is { } dd ? start.AddDays(dd - 1) : null;

        // The policy: the simulation's defaults, then the user's fields, then the gate; validated as a whole before anything runs.
        var changes = new List<(string, string)>(SimulationDefaults.Policy(o.Seed));
        changes.AddRange(o.Policy);
        if (o.Gate is { Count: > 0 } gate) changes.Add(("gate", string.Join("; ", gate)));
        var (policy, _) = await policies.SetAsync(changes, ct);
        var trainingLine = $"{policy.Training.Algorithm}, {(policy.Training.TimeBudgetSeconds == 0 ? "its defaults (no search)" : $"search for {policy.Training.TimeBudgetSeconds} s")}, seed {policy.Training.Seed}, horizon {policy.Training.HorizonDays?.ToString(CultureInfo.InvariantCulture) ?? "chosen from the data"} days";

        // The world: one generated data set covering the history, the simulated days and a tail for the last leads' outcomes.
        var genStart = start.AddDays(-o.HistoryDays);
        var genDays = o.HistoryDays + o.Days + TailDays;
        var data = SyntheticGenerator.Generate(new SyntheticOptions
        {
            Leads = o.LeadsPerDay * genDays, Seed = o.Seed, Start = genStart, Days = genDays, Drift = o.Drift, DriftAt = driftAt, ConceptStrength = o.EffectiveConceptStrength,
            // A world that changes only where the scenario says: companies do not grow with the calendar (a year of growing
            // enrichment is drift of its own, which a control year must not have).
            StationaryEnrichment = true,
        });
        var activities = data.Activities.OrderBy(a => a.Timestamp).ThenBy(a => a.LeadId, StringComparer.Ordinal).ThenBy(a => a.EventId, StringComparer.Ordinal).ToArray();
        var enrichment = data.Enrichment.OrderBy(e => e.AsOf).ToArray();
        var outcomes = data.Outcomes.OrderBy(x => x.At).ToArray();
        var leads = data.Leads; // creation order
        int li = 0, ai = 0, ei = 0, oi = 0;

        var phases = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        // CPU per phase as well as wall time: on a shared machine wall time measures the neighbours too. The phases run one
        // after the other, so the process's CPU between a phase's start and end is that phase's (with the runtime's own threads).
        var phaseCpu = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        using var self = Process.GetCurrentProcess();
        TimeSpan Cpu()
        {
            self.Refresh();
            return self.TotalProcessorTime;
        }
        async Task Timed(string phase, Func<Task> work)
        {
            var t0 = Stopwatch.GetTimestamp();
            var c0 = Cpu();
            await work();
            phases[phase] = phases.GetValueOrDefault(phase) + Stopwatch.GetElapsedTime(t0);
            phaseCpu[phase] = phaseCpu.GetValueOrDefault(phase) + (Cpu() - c0);
        }
        var timeline = new List<SimulationEvent>();
        void Say(int day, string kind, string detail)
        {
            var e = new SimulationEvent(day, kind, detail);
            timeline.Add(e);
            progress?.Report(e);
        }
        Say(0, "start", $"{o.Days} days, {o.LeadsPerDay} leads a day after {o.HistoryDays} days of history; drift {(o.Drift == SyntheticDrift.None ? "none" : $"{o.Drift.ToString().ToLowerInvariant()} from day {o.DriftAtDay}{(o.Drift == SyntheticDrift.Concept ? string.Create(CultureInfo.InvariantCulture, $" (strength {o.EffectiveConceptStrength:0.##})") : "")}")}; seed {o.Seed}; training {trainingLine}; monitoring every {o.MonitoringEvery.TotalDays:0.##} days (on the days a window's cohort matures), open leads re-scored every {o.TimePassingRescore.TotalDays:0.##} days");

        var importDir = Path.Combine(workspace, "simulate-import");
        var imported = 0;
        async Task ImportUntilAsync(DateTimeOffset until)
        {
            var slice = new SyntheticSlice
            {
                Enrichment = Take(enrichment, ref ei, e => e.AsOf < until),
                Leads = Take(leads, ref li, l => l.CreatedAt < until && l.CreatedAt < end),
                Activities = Take(activities, ref ai, a => a.Timestamp < until),
                Outcomes = Take(outcomes, ref oi, x => x.At < until),
            };
            imported += slice.Leads.Count;
            // Activities of leads not yet created cannot occur (a lead's activities start at its creation), so none is orphaned.
            var files = SyntheticGenerator.WriteSlice(importDir, slice);
            foreach (var kind in ImportOrder)
                foreach (var (k, path) in files)
                {
                    if (k != ImportService.KindName(kind)) continue;
                    await Timed($"import {ImportService.KindName(kind)} (with re-scoring)", async () =>
                        await ingestion.ImportFileAsync(await ingestion.Importer.PlanAsync(kind, path, null, ct), path, ct: ct));
                    File.Delete(path);
                }
        }

        var seenEvent = 0L;
        var seenAlert = 0L;
        var seenFailed = new HashSet<string>(StringComparer.Ordinal);
        var challengeByDay = new List<ChallengeState?>();
        var alertList = new List<SimulationAlert>();
        var nextTimePassing = DateTimeOffset.MinValue;
        // The monitoring round runs every MonitoringEvery (weekly) instead of hourly as on a server, on the days a window's
        // cohort has just matured: its last predictions (scored at the start of the window's last day) plus the horizon.
        // A server's hourly round judges a window that day; a weekly round on another phase judged it up to six days late.
        // Set once the first model's horizon is known (day 0 has nothing matured to judge).
        var firstMonitoringDay = int.MaxValue;

        async Task TickAsync(int day)
        {
            await Timed("jobs", () => RunJobsAsync(ct));
            var now = clock.GetUtcNow();
            if (now >= nextTimePassing && scoring.ChampionVersion is not null)
            {
                nextTimePassing = now + o.TimePassingRescore;
                await Timed("time-passing re-score", async () =>
                {
                    await timePassing.QueueAsync(ct);
                    await RunJobsAsync(ct);
                });
            }
            await Timed("prediction log", () => predictionLog.FlushAsync(ct));
            if (day >= firstMonitoringDay) await Timed("monitoring", () => monitoring.RunDueAsync(ct));
            await Timed("retraining (schedule, train, gate)", async () =>
            {
                await learning.ScheduleAsync(ct);
                await RunJobsAsync(ct);
                await predictionLog.FlushAsync(ct);
            });
            await Timed("review (challenger, rollback)", async () =>
            {
                await learning.ReviewAsync(ct);
                await RunJobsAsync(ct);
                await predictionLog.FlushAsync(ct);
            });

            foreach (var a in (await alerts.ListAlertsAsync(null, 100_000, ct)).Where(a => a.Id > seenAlert).OrderBy(a => a.Id))
            {
                seenAlert = a.Id;
                var alert = new SimulationAlert(day, a.Kind, a.Message, a.ModelVersion, a.Slot);
                alertList.Add(alert);
                Say(day, "alert", $"{a.Kind} ({a.ModelVersion}, {a.Slot}, window from day {DayOf(a.WindowStart, start)}): {a.Message}");
            }
            foreach (var e in (await history.ListAsync(null, 100_000, ct)).Where(e => e.Id > seenEvent).OrderBy(e => e.Id))
            {
                seenEvent = e.Id;
                Say(day, e.Kind, Describe(e));
            }
            foreach (var j in await jobStore.ListJobsAsync(JobStatus.Failed, ct))
                if (seenFailed.Add(j.Id)) Say(day, "job_failed", $"{j.Kind} job {j.Id}: {j.Message}");
            challengeByDay.Add((await states.GetAsync(ct)).Challenge);
        }

        // Day 0: the history arrives, and the policy's first training makes the first champion (the frozen model).
        clock.MoveTo(start);
        await ImportUntilAsync(start);
        await TickAsync(0);
        var frozenVersion = scoring.ChampionVersion ?? throw new LeadScoreException(
            $"the first training made no champion (see the timeline: {string.Join("; ", timeline.Skip(1).Select(t => t.Detail))})", "simulate");
        var (_, frozenCard) = await registry.ShowAsync(frozenVersion, ct);
        var funnel = await training.ChooseFunnelAsync(null, frozenCard.HorizonDays, null, null, ct);
        var horizon = frozenCard.HorizonDays ?? funnel.HorizonDays;
        var every = Math.Max(1, (int)Math.Round(o.MonitoringEvery.TotalDays));
        var phase = (int)((monitoringOptions.WindowDays - 1 + Math.Ceiling(policy.Training.HorizonDays ?? horizon)) % every);
        firstMonitoringDay = phase == 0 ? every : phase;
        var delay = funnel.DecisionDelay;

        for (var day = 1; day <= o.Days; day++)
        {
            ct.ThrowIfCancellationRequested();
            var now = start.AddDays(day);
            clock.MoveTo(now);
            if (driftAt is { } da && day == o.DriftAtDay) Say(day, "scenario", $"{o.Drift.ToString().ToLowerInvariant()} drift starts: leads created from day {day} on follow the changed process");
            await ImportUntilAsync(now);
            await TickAsync(day);
            // Live progress only (not in the timeline): a long run says how far it is.
            if (day % 30 == 0 || day == o.Days)
                progress?.Report(new SimulationEvent(day, "progress", string.Create(CultureInfo.InvariantCulture,
                    $"{watch.Elapsed.TotalSeconds:F0} s elapsed, {(Cpu() - cpuStart).TotalSeconds:F0} s CPU; CPU by phase: {string.Join(", ", phaseCpu.OrderByDescending(p => p.Value).Take(4).Select(p => $"{p.Key} {p.Value.TotalSeconds:F0} s"))}")));
        }
        if (Directory.Exists(importDir)) Directory.Delete(importDir, recursive: true);

        // ---- the figures ----------------------------------------------------------------------------------------
        Say(o.Days, "evaluate", "training the oracles and scoring every decided lead with the served, frozen and oracle models");
        var evaluationStarted = Stopwatch.GetTimestamp();
        var evaluationCpu = Cpu();
        var (defs, _) = await definitions.GetAsync(ct);
        // Every lead as of its decision time, with what the store knew then; labels come from the generated truth (the outcome
        // within the horizon), so leads decided near the end count too.
        var set = await training.BuildTrainingSetAsync(defs, new TrainingSetOptions { DecisionDelay = delay, HorizonDays = horizon, KnownBefore = end.AddYears(10) }, ct);
        var frame = set.Frame;
        var outcomeOf = data.Outcomes.ToDictionary(x => x.LeadId, StringComparer.Ordinal);
        var createdOf = leads.ToDictionary(l => l.Id, l => l.CreatedAt, StringComparer.Ordinal);
        var keep = new List<int>();
        for (var i = 0; i < frame.Count; i++)
            if (createdOf.TryGetValue(frame.Ids[i], out var c) && c >= start && frame.Times[i] <= end) keep.Add(i);
        var rows = frame.Subset(keep);
        var labels = new bool[rows.Count];
        for (var i = 0; i < rows.Count; i++)
            labels[i] = outcomeOf.TryGetValue(rows.Ids[i], out var x) && x.Kind == OutcomeKind.Converted && x.At <= rows.Times[i].AddDays(horizon);

        var createdAt = rows.Ids.Select(id => createdOf[id]).ToArray();
        var served = await ServedAsync(rows, start, challengeByDay, ct);
        var frozen = (await registry.LoadAsync(frozenVersion, ct)).Predict(rows);
        var oracle = await OracleAsync(rows, createdAt, o, policy, frozenCard, driftAt, oracleTrainer, ct);

        phases["evaluation (oracles, frozen, served)"] = Stopwatch.GetElapsedTime(evaluationStarted);
        phaseCpu["evaluation (oracles, frozen, served)"] = Cpu() - evaluationCpu;
        var months = new List<SimulationMonth>();
        for (var m = 0; m * 30 < o.Days; m++)
            months.Add(Period(m + 1, m * 30 + 1, Math.Min(o.Days, m * 30 + 30), createdAt, labels, served, frozen, oracle, start));
        var lateFrom = (o.DriftAtDay ?? (int)Math.Round(o.Days * 180.0 / 365)) + 60;
        var late = Period(0, Math.Min(lateFrom, o.Days), o.Days, createdAt, labels, served, frozen, oracle, start);

        var events = await history.ListAsync(null, 100_000, ct);
        var promotions = new List<SimulationPromotion>();
        foreach (var e in events.Where(e => e.Kind == LifecycleEventKinds.Promotion && DayOf(e.At, start) >= 1))
            promotions.Add(await JudgePromotionAsync(e, rows, labels, start, end, ct));
        var rollbacks = events.Where(e => e.Kind == LifecycleEventKinds.Rollback)
            .Select(e => new SimulationRollback(DayOf(e.At, start), e.Previous ?? "", e.Version, e.Reason)).ToList();
        int? matured = o.DriftAtDay is { } d0 ? d0 - 1 + (int)Math.Ceiling(delay.TotalDays + horizon) : null;
        // The alert that detects the scenario: dataset drift for a covariate shift, a performance drop for the others (the labels changed).
        var detecting = o.Drift == SyntheticDrift.Covariate ? MonitoringService.DriftDetected : MonitoringService.PerformanceDropped;
        var firstAlert = alertList.Where(a => a.Slot == PredictionSlots.Champion && a.Kind == detecting && a.Day >= (o.DriftAtDay ?? 1)).OrderBy(a => a.Day).FirstOrDefault();
        foreach (var p in promotions)
            Say(p.Day, "judged", $"promotion {p.From} -> {p.To}: realized AUC on the {p.Leads} leads decided in the next {PromotionJudgedOverDays} days {F(p.AucBefore)} before, {F(p.AucAfter)} after");

        return new SimulationReport
        {
            Options = o,
            PolicyJson = (await policies.GetAsync(ct)).Policy.ToJson(),
            Training = trainingLine,
            Workspace = workspace,
            LeadsImported = imported,
            Timeline = timeline,
            Months = months,
            Promotions = promotions,
            Rollbacks = rollbacks,
            Alerts = alertList,
            Late = late,
            FirstPostDriftCohortMatured = matured,
            FirstAlertAfterDrift = firstAlert,
            PhaseSeconds = phases.OrderByDescending(p => p.Value).ToDictionary(p => p.Key, p => Math.Round(p.Value.TotalSeconds, 1)),
            PhaseCpuSeconds = phaseCpu.OrderByDescending(p => p.Value).ToDictionary(p => p.Key, p => Math.Round(p.Value.TotalSeconds, 1)),
            ElapsedSeconds = watch.Elapsed.TotalSeconds,
            CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds,
        };
    }

    private static string F(double? v) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "n/a";

    public static int DayOf(DateTimeOffset at, DateTimeOffset start) => (int)Math.Floor((at - start).TotalDays + 1e-9);

    private static List<T> Take<T>(IReadOnlyList<T> items, ref int index, Func<T, bool> before)
    {
        var list = new List<T>();
        while (index < items.Count && before(items[index])) list.Add(items[index++]);
        return list;
    }

    private async Task RunJobsAsync(CancellationToken ct)
    {
        while (await jobs.RunNextAsync(ct)) { }
    }

    private static string Describe(LifecycleEvent e)
    {
        var who = e.Kind switch
        {
            LifecycleEventKinds.Promotion or LifecycleEventKinds.Rollback => $"{e.Previous ?? "none"} -> {e.Version}",
            _ when e.Previous is not null => $"{e.Version} (champion {e.Previous})",
            _ => e.Version ?? "",
        };
        return $"{who}: {e.Reason}";
    }

    /// <summary>
    /// The probability each lead was actually served at its decision time: the latest logged prediction at or before it, of the
    /// champion slot, or of the challenger slot when a split challenger served that lead that day.
    /// </summary>
    private async Task<double[]> ServedAsync(FeatureFrame rows, DateTimeOffset start, List<ChallengeState?> challengeByDay, CancellationToken ct)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++) index[rows.Ids[i]] = i;
        var champion = new double[rows.Count];
        var challenger = new double[rows.Count];
        var challengerVersion = new string?[rows.Count];
        Array.Fill(champion, double.NaN);
        Array.Fill(challenger, double.NaN);
        await foreach (var p in predictions.StreamPredictionsAsync(start.AddDays(-1), time.GetUtcNow().AddDays(1), ct: ct))
        {
            if (p.LeadId is null || !index.TryGetValue(p.LeadId, out var i) || p.PredictedAt > rows.Times[i]) continue;
            if (p.Slot == PredictionSlots.Champion) champion[i] = p.Probability;
            else if (p.Slot == PredictionSlots.Challenger) { challenger[i] = p.Probability; challengerVersion[i] = p.ModelVersion; }
        }
        var served = new double[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            // The state during a day is the one the previous day's tick left (the clock moves only between days).
            var day = Math.Clamp(DayOf(rows.Times[i], start), 0, challengeByDay.Count - 1);
            var c = day > 0 ? challengeByDay[day - 1] : null;
            var routed = c is { Mode: ChallengerModes.Split } && challengerVersion[i] == c.Version && ChallengerSplit.ServedByChallenger(rows.Ids[i], c.SplitPercent);
            served[i] = routed ? challenger[i] : champion[i];
        }
        return served;
    }

    private static async Task<double[]> OracleAsync(FeatureFrame rows, DateTimeOffset[] createdAt, SimulationOptions o, RetrainingPolicy policy, ModelCard frozenCard, DateTimeOffset? driftAt,
        OracleTrainer trainer, CancellationToken ct)
    {
        // As many matured leads as the first model learned from (the history's leads decided and matured by day 0), drawn from
        // each regime over 180 days (the last ones censored by the horizon); so as many rows too, since both funnels give a lead
        // one row per age while it is open. (Sized by the first model's rows instead, the oracle got one lead per row: several
        // times the first model's data once training takes rows at several ages, and as many times its generation and import.)
        const int Days = 180;
        var horizonDays = policy.Training.HorizonDays ?? frozenCard.HorizonDays ?? 30;
        var firstMatured = Math.Max(30, o.HistoryDays - SyntheticGenerator.DefaultDecisionDays - horizonDays);
        var matured = Days - SyntheticGenerator.DefaultDecisionDays - horizonDays;
        var n = (int)Math.Ceiling(o.LeadsPerDay * firstMatured * (double)Days / Math.Max(30, matured) * 1.08);
        var oStart = SimulationOptions.Start.AddDays(-Days - 400);
        async Task<double[]> Train(string regime, SyntheticDrift drift, int seedOffset)
        {
            var model = await trainer(new OracleRequest(regime, new SyntheticOptions
            {
                Leads = n, Seed = o.Seed + seedOffset, Start = oStart, Days = Days, Drift = drift, DriftAt = drift == SyntheticDrift.None ? null : oStart,
                ConceptStrength = o.EffectiveConceptStrength, StationaryEnrichment = true,
            }, policy, oStart.AddDays(Days)), ct);
            var missing = model.MissingFeatures(rows);
            if (missing.Count > 0) throw new LeadScoreException($"the {regime} oracle uses features the simulated workspace lacks: {string.Join(", ", missing.Take(5))}", "simulate");
            return model.Predict(rows);
        }
        var before = await Train("pre-drift", SyntheticDrift.None, 7919);
        if (driftAt is null) return before;
        var after = await Train("post-drift", o.Drift, 7927);
        var p = new double[rows.Count];
        for (var i = 0; i < rows.Count; i++) p[i] = createdAt[i] >= driftAt ? after[i] : before[i];
        return p;
    }

    private static SimulationMonth Period(int month, int dayFrom, int dayTo, DateTimeOffset[] createdAt, bool[] labels, double[] served, double[] frozen, double[] oracle, DateTimeOffset start)
    {
        var from = start.AddDays(dayFrom - 1);
        var to = start.AddDays(dayTo);
        List<double> s = [], f = [], or = [];
        List<bool> y = [];
        for (var i = 0; i < createdAt.Length; i++)
        {
            // A lead belongs to the period it was created in.
            var created = createdAt[i];
            if (created < from || created >= to || double.IsNaN(served[i])) continue;
            s.Add(served[i]); f.Add(frozen[i]); or.Add(oracle[i]); y.Add(labels[i]);
        }
        double? Auc(List<double> p) => y.Count(l => l) is > 0 and var k && k < y.Count ? Math.Round(Ranking.Auc(p, y), 4) : null;
        return new SimulationMonth(month, dayFrom, dayTo, y.Count, y.Count(l => l), Auc(s), Auc(f), Auc(or));
    }

    private async Task<SimulationPromotion> JudgePromotionAsync(LifecycleEvent e, FeatureFrame rows, bool[] labels, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        var until = e.At.AddDays(PromotionJudgedOverDays) < end ? e.At.AddDays(PromotionJudgedOverDays) : end;
        var keep = new List<int>();
        for (var i = 0; i < rows.Count; i++) if (rows.Times[i] > e.At && rows.Times[i] <= until) keep.Add(i);
        var sub = rows.Subset(keep);
        var y = keep.Select(i => labels[i]).ToList();
        double? Auc(double[] p) => y.Count(l => l) is > 0 and var k && k < y.Count ? Math.Round(Ranking.Auc(p, y), 4) : null;
        double? after = sub.Count == 0 ? null : Auc((await registry.LoadAsync(e.Version!, ct)).Predict(sub));
        double? before = sub.Count == 0 || e.Previous is null ? null : Auc((await registry.LoadAsync(e.Previous, ct)).Predict(sub));
        return new SimulationPromotion(DayOf(e.At, start), e.Previous, e.Version!, before, after, sub.Count, e.Reason);
    }
}
