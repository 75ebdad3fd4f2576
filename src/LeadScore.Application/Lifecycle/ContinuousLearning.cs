using LeadScore.Application.Ingestion;
using LeadScore.Application.Features;
using LeadScore.Application.Jobs;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Features;
using LeadScore.Engine.Lifecycle;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Lifecycle;

/// <summary>What a policy retraining led to.</summary>
public sealed record RetrainOutcome(TrainingRun Run, GateResult? Gate, bool Promoted, bool BecameChallenger, string Decision, string? RescoreJobId);

/// <summary>
/// The continuous-learning loop: the retraining policy says when to train (<see cref="ScheduleAsync"/>, leader only), a policy
/// training registers a candidate that the promotion gate compares with the champion on the same recent matured hold-out
/// (<see cref="RetrainAsync"/>), a candidate that passes becomes the challenger on live leads (shadow or split) and is promoted
/// when a sequential test says it is better, and a promoted model is rolled back when its realized AUC is significantly below
/// the previous champion's on the same leads (<see cref="ReviewAsync"/>, leader only). Every step goes to the lifecycle history;
/// every alias change goes through <see cref="ModelLifecycle"/>.
/// </summary>
public sealed class ContinuousLearning(RetrainingPolicyService policies, LifecycleStateStore states, ModelLifecycle lifecycle, ModelRegistry registry,
    TrainingService training, FeatureDefinitionsRepository definitions, JobQueue jobs, IJobQueue jobStore, IOutcomeData outcomes, IModelStore models,
    ILeadData leads, IMonitoringAlerts alerts, LifecycleHistory history, IImportLog imports, TimeProvider time)
{
    /// <summary>A look of the sequential tests happens when this much more information (matured leads / planned) arrived since the last.</summary>
    public const double LookEvery = 0.1;

    /// <summary>Queues a policy training when one is due and none is queued or running; returns the job, or null.</summary>
    public async Task<JobRecord?> ScheduleAsync(CancellationToken ct = default)
    {
        var (policy, _) = await policies.GetAsync(ct);
        if (!policy.Enabled) return null;
        if (await TrainingUnderWayAsync(ct)) return null;
        // Not while an import is committing batches: a training then learns from half a file (on a fresh workspace, the
        // first leads without their activities). The next tick after it finishes trains; a record left Running by a
        // process that died counts only until it is stale.
        if (await ImportUnderWayAsync(ct)) return null;
        var state = await states.GetAsync(ct);
        var now = time.GetUtcNow();
        var newOutcomes = policy.Triggers.MinNewOutcomes is null || state.LastTrainingAt is null ? 0 : await CountOutcomesSinceAsync(state.LastTrainingAt.Value, ct);
        // Alerts the champion raised since the last training and not yet used by a retraining (monitoring raises them, see MonitoringService).
        var champion = await models.GetAliasAsync(ModelAliases.Champion, ct);
        var fresh = state.LastTrainingAt is null ? [] : (await alerts.ListAlertsAsync(state.LastTrainingAt, 1000, ct))
            .Where(a => a.Id > state.LastAlertSeen && a.ModelVersion == champion && a.Slot == PredictionSlots.Champion).ToList();
        // While a challenger is under test the champion's alerts are already being answered: a retraining on each weekly alert
        // would replace the challenger before its test decides, and the loop would never promote while the champion is bad.
        // The alerts wait (not marked seen), and trigger once the test ends if the champion still raised them; the schedule and
        // the outcome count still retrain.
        // A performance alert still retrains with the fast track on: its candidate can only be promoted by the fast track then,
        // never replace the challenger (see RetrainAsync), so the test goes on unless a clearly better model turns up.
        var testing = state.Challenge is not null;
        bool Answerable(string kind) => !testing || (FastTrackOn(policy) && kind == AlertKinds.PerformanceDropped);
        string? Alert(string kind) => !Answerable(kind) ? null : fresh.Where(a => a.Kind == kind).OrderBy(a => a.WindowStart).Select(a => a.Message).FirstOrDefault();
        var inForce = TrainingWindow.ChangeInForce(policy.Window, state.Change?.Since, now) is not null;
        var reason = policy.DueReason(new RetrainingState(state.LastTrainingAt, newOutcomes, Alert(AlertKinds.DriftDetected), Alert(AlertKinds.PerformanceDropped), inForce), now);
        if (reason is null) return null;
        var answered = fresh.Where(a => Answerable(a.Kind)).ToList();
        var seen = answered.Count > 0 ? Math.Max(state.LastAlertSeen, answered.Max(a => a.Id)) : state.LastAlertSeen;
        // A performance alert answered: the process changed within the first alerted window (the window before it was fine), so
        // the leads first decided from its end on are the new process's; the window follows them. The end, not the start: a
        // window is flagged once a part of it changed (in the 137-a-day year, the window from day 189 with the first changed
        // leads decided on day 194), and leads decided before the change, mixed in, taught the candidates the old process.
        // Unless a change found earlier is still in force: a later alert says the champion kept failing, not a new change.
        // Nor when the alerted model was trained after the change was found: it learned from the changed process, so its alert
        // says it did not learn it well enough, not that the process changed again (in the 137-a-day year, the model promoted
        // after the change alerted once the change had left the window, and a "change" found in its first judged window
        // narrowed the next four trainings to five weeks of leads, all failing the gate). The window alone trains then.
        var change = state.Change;
        if (reason.StartsWith(RetrainingPolicy.PerformanceAlertTrigger, StringComparison.Ordinal) && policy.Window.FollowChange
            && !inForce
            && fresh.Where(a => a.Kind == AlertKinds.PerformanceDropped).OrderBy(a => a.WindowStart).FirstOrDefault() is { } first
            && !await TrainedSinceAsync(first.ModelVersion, change, ct))
            change = new ChangeState { Since = first.WindowEnd, FoundAt = now, ModelVersion = first.ModelVersion, Alert = first.Message };
        await states.UpdateAsync(s => s with { LastTrainingAt = now, LastAlertSeen = seen, Change = change }, ct);
        return await jobs.EnqueueTrainingAsync(new TrainJobRequest
        {
            Algorithm = policy.Training.Algorithm,
            TimeBudgetSeconds = policy.Training.TimeBudgetSeconds,
            Seed = policy.Training.Seed,
            HorizonDays = policy.Training.HorizonDays,
            Trigger = reason,
        }, ct);
    }

    /// <summary>Whether <paramref name="version"/> was registered after <paramref name="change"/> was found (it learned from the changed process).</summary>
    private async Task<bool> TrainedSinceAsync(string version, ChangeState? change, CancellationToken ct) =>
        change is not null && await models.GetModelAsync(version, ct) is { } m && m.CreatedAt > change.FoundAt;

    /// <summary>The monitoring alert kinds the triggers read (raised by the monitoring job).</summary>
    public static class AlertKinds
    {
        public const string DriftDetected = "drift_detected";
        public const string PerformanceDropped = "performance_dropped";
    }

    private async Task<bool> ImportUnderWayAsync(CancellationToken ct)
    {
        return await imports.ImportRunningSinceAsync(time.GetUtcNow() - ImportService.StaleAfter, ct);
    }

    private async Task<bool> TrainingUnderWayAsync(CancellationToken ct)
    {
        foreach (var status in new[] { JobStatus.Queued, JobStatus.Running })
            if ((await jobStore.ListJobsAsync(status, ct)).Any(j => j.Kind == JobKinds.Train)) return true;
        return false;
    }

    private async Task<int> CountOutcomesSinceAsync(DateTimeOffset since, CancellationToken ct)
    {
        var n = 0;
        await foreach (var o in outcomes.StreamOutcomesAsync(ct)) if (o.At > since && o.Kind != OutcomeKind.Reopened) n++;
        return n;
    }

    /// <summary>
    /// Trains as the policy says (fixed algorithm, window, seed), registers a candidate, runs the gate against the champion on
    /// the candidate's held-out rows (the most recent matured rows, time-split, none of them trained on), and then promotes it
    /// (challenger mode none) or makes it the challenger.
    /// </summary>
    public async Task<RetrainOutcome> RetrainAsync(string trigger, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var (policy, _) = await policies.GetAsync(ct);
        var now = time.GetUtcNow();
        var since = TrainingWindow.ChangeInForce(policy.Window, (await states.GetAsync(ct)).Change?.Since, now);
        var (run, rescore) = await lifecycle.TrainWorkspaceAsync(new WorkspaceTrainingRequest
        {
            Options = new TrainingOptions
            {
                Algorithm = TrainerCatalog.Parse(policy.Training.Algorithm),
                TimeBudget = TimeSpan.FromSeconds(policy.Training.TimeBudgetSeconds),
                Seed = policy.Training.Seed,
                Clock = time,
            },
            HorizonDays = policy.Training.HorizonDays,
            AsOf = now,
            Window = policy.Window,
            ChangeSince = since,
            Trigger = trigger,
        }, progress, ct);
        var reg = run.Registration;
        if (reg.Promoted) return new RetrainOutcome(run, null, true, false, reg.Decision, rescore);

        var champion = reg.PreviousChampion!;
        var gated = await EvaluateGateAsync(run, champion, policy, ct);
        var (gate, evaluation) = (gated.Gate, gated.Evaluation);
        await history.RecordAsync(LifecycleEventKinds.Gate, reg.Version, champion, gate.Describe(), new { rows = evaluation.Rows, passed = gate.Passed }, evaluation.Id, ct);
        if (!gate.Passed) return new RetrainOutcome(run, gate, false, false, $"stays a candidate: the gate {gate.Describe()}", null);

        if (policy.Challenger.Mode == ChallengerModes.None)
        {
            var change = await lifecycle.PromoteAsync(reg.Version, ct: ct, reason: $"gate {gate.Describe()} (challenger mode none)");
            return new RetrainOutcome(run, gate, true, false, "promoted: it passed the gate (challenger mode none)", change.RescoreJobId);
        }

        // The fast track answers a performance alert, and any training while the change an alert found is in force: the leads
        // since the change are what every candidate then learns, and each week more of them have matured, so a candidate whose
        // probabilities for the latest of them beat the champion's is promoted at once (the rollback watch guards it). A live
        // test would keep the weaker model serving for another horizon: in the 137-a-day concept year, the schedule's
        // candidate of day 290 (AUC 0.698 against 0.625 on the hold-out) waited 34 days in shadow and then lost a final look.
        var onAlert = trigger.StartsWith(RetrainingPolicy.PerformanceAlertTrigger, StringComparison.Ordinal);
        var mayFastTrack = FastTrackOn(policy) && (onAlert || since is not null);
        var underTest = (await states.GetAsync(ct)).Challenge is { } tested && await models.GetAliasAsync(ServingModels.ChallengerAlias, ct) == tested.Version ? tested : null;
        if (mayFastTrack && FastTrack(run, gated.ChampionProbabilities, policy.Challenger.Alpha) is { } fast)
        {
            var (test, auc, figures) = fast;
            var said = $"log loss {test.LogLossA:F4} vs {test.LogLossB:F4} (paired, clustered by lead), one-sided p {PValue(test.PValueAGreater)}";
            if (test.PValueAGreater <= policy.Challenger.Alpha)
            {
                var after = onAlert ? "after the champion's performance alert" : "while the change is in force";
                var cause = onAlert ? $"the champion {champion} raised a performance alert"
                    : $"the change a performance alert found (the leads first decided since {since!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}) is in force";
                var than = onAlert ? "" : $" than the champion {champion}";
                if (underTest is not null && await EndChallengeAsync(underTest, ct))
                {
                    await lifecycle.RemoveAliasAsync(ServingModels.ChallengerAlias, ct);
                    await EndedAsync(underTest, $"ended: the newer candidate {reg.Version} was fast-tracked {after}", figures, null, ct);
                }
                var change = await lifecycle.PromoteAsync(reg.Version, ct: ct,
                    reason: $"fast track: {cause}, and on the same {test.Rows} matured hold-out rows of {test.Leads} leads the candidate's probabilities are better{than}: {said} <= {policy.Challenger.Alpha}, AUC {auc.AucA:F4} vs {auc.AucB:F4}; the rollback watch checks it on live leads",
                    figures: figures);
                return new RetrainOutcome(run, gate, true, false, $"promoted: fast track {after}", change.RescoreJobId);
            }
            await history.RecordAsync(LifecycleEventKinds.Gate, reg.Version, champion,
                $"no fast track: on the hold-out {said} above {policy.Challenger.Alpha} (AUC {auc.AucA:F4} vs the champion's {auc.AucB:F4}); " +
                (underTest is null ? "tested on live leads instead" : onAlert ? $"the challenger {underTest.Version} under test stays" : $"compared with the challenger {underTest.Version} under test"), figures, ct: ct);
        }
        // An alert answered while a challenger is under test: only the fast track could promote it; the test goes on.
        if (FastTrackOn(policy) && onAlert && underTest is not null)
            return new RetrainOutcome(run, gate, false, false, $"stays a candidate: not fast-tracked, and the challenger {underTest.Version} under test stays", null);

        if (underTest is { } old)
        {
            // A challenger under test is replaced only by a candidate that does better than it on the same hold-out rows (by the
            // margin a challenger needs over the champion): a newer candidate of the same quality would restart the test and
            // throw away the matured leads it has gathered.
            var (keep, why) = await KeepChallengerAsync(old.Version, run, ct);
            if (keep)
            {
                await history.RecordAsync(LifecycleEventKinds.ChallengeKept, old.Version, champion, $"the challenger under test is kept over the newer candidate {reg.Version}: {why}", ct: ct);
                return new RetrainOutcome(run, gate, false, false, $"stays a candidate: it passed the gate, but the challenger {old.Version} under test {why}", null);
            }
            await history.RecordAsync(LifecycleEventKinds.ChallengeEnded, old.Version, old.Champion, $"replaced by the newer candidate {reg.Version} before the test decided: {why}", ct: ct);
        }
        var funnel = await training.ChooseFunnelAsync(null, run.Card.HorizonDays, null, null, ct);
        var challenge = new ChallengeState
        {
            Version = reg.Version, Champion = champion, Mode = policy.Challenger.Mode, SplitPercent = policy.Challenger.SplitPercent,
            StartedAt = time.GetUtcNow(), DecisionDelayDays = funnel.DecisionDelay.TotalDays, HorizonDays = run.Card.HorizonDays ?? funnel.HorizonDays,
        };
        // The state first: serving reads the split share from it when the alias change reloads the serving set.
        await states.UpdateAsync(s => s with { Challenge = challenge }, ct);
        await lifecycle.PromoteAsync(reg.Version, ServingModels.ChallengerAlias, ct);
        await history.RecordAsync(LifecycleEventKinds.ChallengeStarted, reg.Version, champion,
            challenge.Mode == ChallengerModes.Split ? $"challenger on live leads: split, {challenge.SplitPercent:0.##}% of leads (by lead id)" : "challenger on live leads: shadow (scores every lead, serves none)",
            new { mode = challenge.Mode, split_percent = challenge.Mode == ChallengerModes.Split ? challenge.SplitPercent : (double?)null, outcomes_to_decide = policy.Challenger.OutcomesToDecide, alpha = policy.Challenger.Alpha }, ct: ct);
        return new RetrainOutcome(run, gate, false, true, $"challenger ({challenge.Mode}): it passed the gate", null);
    }

    /// <summary>Whether a performance alert's candidate may be promoted at once (the fast track needs automatic promotion).</summary>
    private static bool FastTrackOn(RetrainingPolicy policy) => policy.Challenger.FastTrackOnAlert && policy.Challenger.AutoPromote;

    /// <summary>A p-value in words: four decimals, or "< 0.0001" (not "0").</summary>
    private static string PValue(double p) => p < 0.00005 ? "< 0.0001" : p.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The fast track's test of the candidate against the champion on the gate's hold-out (null when the gate could not score
    /// the champion there): the paired log-loss test, clustered by lead, decides (<see cref="PairedLogLoss"/>); DeLong's test of
    /// the AUC difference is recorded beside it. The gate has already asked the AUC rule of the same rows.
    /// </summary>
    private static (PairedLossTest Test, PairedAucTest Auc, object Figures)? FastTrack(TrainingRun run, double[]? championProbabilities, double alpha)
    {
        if (championProbabilities is not { } theirs) return null;
        var test = run.Result.Test;
        var labels = test.Labels;
        if (labels.All(l => l) || labels.All(l => !l)) return null;
        var mine = run.Result.TestProbabilities;
        var t = PairedLogLoss.Test(mine, theirs, labels, test.Ids);
        var auc = DeLong.Paired(mine, theirs, labels);
        return (t, auc, new
        {
            test = "paired log-loss test (Diebold-Mariano, clustered by lead) on the gate's hold-out (fast track)", rows = t.Rows, leads = t.Leads, positives = t.Positives,
            candidate_log_loss = t.LogLossA, champion_log_loss = t.LogLossB, difference = t.Difference, se = t.StandardError, z = t.Z, p = t.PValueAGreater, alpha,
            candidate_auc = auc.AucA, champion_auc = auc.AucB, auc_difference = auc.Difference, auc_se = auc.StandardError, auc_p = auc.PValueAGreater,
        });
    }

    /// <summary>The AUC margin a newer candidate needs over the challenger under test, on the same hold-out, to replace it.</summary>
    public const double ReplaceChallengerMargin = 0.005;

    /// <summary>Whether the challenger under test stays (the candidate does not beat it by <see cref="ReplaceChallengerMargin"/> on the candidate's hold-out), and why.</summary>
    private async Task<(bool Keep, string Why)> KeepChallengerAsync(string challenger, TrainingRun run, CancellationToken ct)
    {
        var test = run.Result.Test;
        var model = await registry.LoadAsync(challenger, ct);
        if (model.MissingFeatures(test).Count > 0) return (false, $"{challenger} cannot be scored on the new hold-out (features it uses are gone)");
        var labels = test.Labels;
        if (labels.All(l => l) || labels.All(l => !l)) return (false, "the hold-out has one class only");
        var theirs = Ranking.Auc(model.Predict(test), labels);
        var mine = Ranking.Auc(run.Result.TestProbabilities, labels);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return mine >= theirs + ReplaceChallengerMargin
            ? (false, string.Create(c, $"AUC {mine:F4} on its hold-out of {test.Count} rows beats the challenger's {theirs:F4} by at least {ReplaceChallengerMargin}"))
            : (true, string.Create(c, $"does as well on the same {test.Count} hold-out rows: AUC {theirs:F4} against the candidate's {mine:F4} (replacing it needs + {ReplaceChallengerMargin})"));
    }

    private async Task<(GateResult Gate, ModelEvaluation Evaluation, double[]? ChampionProbabilities)> EvaluateGateAsync(TrainingRun run, string champion, RetrainingPolicy policy, CancellationToken ct)
    {
        var gate = PromotionGate.Parse(policy.Gate);
        var test = run.Result.Test;
        var candidate = Evaluator.Evaluate(run.Result.TestProbabilities, test.Labels, test);
        var championModel = await registry.LoadAsync(champion, ct);
        var missing = championModel.MissingFeatures(test);
        EvaluationMetrics? theirs = null;
        FairnessReport? candidateFairness = null, championFairness = null;
        double[]? championProbabilities = null;
        GateResult result;
        if (missing.Count > 0)
            result = new GateResult(false, [new GateRuleResult("same rows", false, double.NaN, null, double.NaN,
                $"champion {champion} uses features the new hold-out lacks ({string.Join(", ", missing.Take(5))}); the two cannot be compared on the same rows")]);
        else
        {
            championProbabilities = championModel.Predict(test);
            theirs = Evaluator.Evaluate(championProbabilities, test.Labels, test);
            if (gate.NeedsFairness)
            {
                // Both models graded by their own bands on the same hold-out rows (each lead once, the model card's rule), group
                // values as known at each row's decision time.
                var (config, rows) = await training.FairnessRowsAsync(test, ct);
                var options = config.Effective.Options;
                var candidateProbabilities = rows.Of(run.Result.TestProbabilities);
                var championRowProbabilities = rows.Of(championProbabilities);
                var candidateGrades = await ServedGradesAsync(run.Registration.Version, run.Result.Model.Grades, candidateProbabilities, rows.Columns, ct);
                var championGrades = await ServedGradesAsync(champion, championModel.Grades, championRowProbabilities, rows.Columns, ct);
                candidateFairness = FairnessAnalyzer.Analyze(candidateGrades, candidateProbabilities, rows.Outcomes, rows.Columns, options);
                championFairness = FairnessAnalyzer.Analyze(championGrades, championRowProbabilities, rows.Outcomes, rows.Columns, options);
            }
            result = gate.Evaluate(candidate, theirs, candidateFairness, championFairness, CalibrationError.Noise(run.Result.TestProbabilities, seed: policy.Training.Seed));
        }
        var evaluation = await history.SaveEvaluationAsync("gate", run.Registration.Version, champion, result.Passed, test.Count, result.Describe(),
            new
            {
                hold_out = new { rows = test.Count, positives = test.Labels.Count(l => l), from = test.Times.Count > 0 ? test.Times.Min() : (DateTimeOffset?)null, to = test.Times.Count > 0 ? test.Times.Max() : (DateTimeOffset?)null },
                candidate = Figures(candidate),
                champion = theirs is null ? null : Figures(theirs),
                fairness = candidateFairness is null || championFairness is null ? null : FairnessFigures(candidateFairness, championFairness),
            }, result.Rules, ct);
        return (result, evaluation, championProbabilities);
    }

    /// <summary>
    /// The grades a model serves on these rows: its own bands, or, when it was trained with mitigation, its group-aware bands
    /// for the groups it has them for (read from its artifact, as serving does). A mitigated attribute no longer declared has
    /// no group values here; its rows keep the model's bands.
    /// </summary>
    private async Task<string[]> ServedGradesAsync(string version, GradeBands bands, IReadOnlyList<double> probabilities, IReadOnlyList<GroupColumn> columns, CancellationToken ct)
    {
        var artifact = await models.GetModelArtifactAsync(version, ct);
        var groupGrades = artifact is null ? null : ServableModel.Load(version, artifact).GroupGrades;
        var column = groupGrades is null ? null : columns.FirstOrDefault(c => c.Attribute == groupGrades.Attribute);
        return probabilities.Select((p, i) =>
            (groupGrades is not null && column is not null && groupGrades.Groups.TryGetValue(column.Values[i], out var b) ? b : bands).GradeOf(p)).ToArray();
    }

    /// <summary>Per sensitive attribute and group, both models' A/B ratio and TPR/FPR gaps: what the fairness rule was judged on.</summary>
    private static object FairnessFigures(FairnessReport candidate, FairnessReport champion)
    {
        var regression = FairnessRegression.Compare(candidate, champion);
        return new
        {
            ratio_threshold = candidate.RatioLimit,
            min_group_size = candidate.MinGroupSize,
            widening = regression.Widening,
            widest = regression.Where,
            crossings = regression.Crossings,
            attributes = candidate.Attributes.Where(a => a.Role == FairnessRole.Sensitive).Select(a =>
            {
                var theirs = champion.Attributes.FirstOrDefault(x => x.Attribute == a.Attribute)?.Groups.ToDictionary(g => g.Group, StringComparer.Ordinal) ?? [];
                return new
                {
                    attribute = a.Attribute,
                    groups = a.Groups.Select(g =>
                    {
                        var o = theirs.GetValueOrDefault(g.Group);
                        return new
                        {
                            group = g.Group, rows = g.Rows, too_few = g.TooFew,
                            candidate_ab_ratio = g.AbRatio, champion_ab_ratio = o?.AbRatio,
                            candidate_tpr_gap = g.TprGap, champion_tpr_gap = o?.TprGap,
                            candidate_fpr_gap = g.FprGap, champion_fpr_gap = o?.FprGap,
                        };
                    }).ToArray(),
                };
            }).ToArray(),
        };
    }

    private static object Figures(EvaluationMetrics m) => new { auc = m.Auc, pr_auc = m.PrAuc, ece = m.Ece, brier = m.Brier, log_loss = m.LogLoss };

    /// <summary>One pass of the leader's review: a look at the challenge under way and at the promotion being watched.</summary>
    public async Task<IReadOnlyList<string>> ReviewAsync(CancellationToken ct = default)
    {
        var (policy, _) = await policies.GetAsync(ct);
        var done = new List<string>();
        if (!policy.Enabled) return done;
        var state = await states.GetAsync(ct);
        if (state.Challenge is { } c && await ReviewChallengeAsync(c, policy, ct) is { } said) done.Add(said);
        state = await states.GetAsync(ct);
        if (state.Watch is { } w && policy.Rollback.Enabled && await ReviewWatchAsync(w, policy, ct) is { } watched) done.Add(watched);
        return done;
    }

    /// <summary>The rows to compare two models on: leads decided at or after <paramref name="since"/> whose horizon has passed, with point-in-time features.</summary>
    private async Task<FeatureFrame> MaturedSinceAsync(DateTimeOffset since, double delayDays, double horizonDays, CancellationToken ct)
    {
        var (defs, _) = await definitions.GetAsync(ct);
        var set = await training.BuildTrainingSetAsync(defs, new TrainingSetOptions
        {
            DecisionDelay = TimeSpan.FromDays(delayDays), HorizonDays = horizonDays, KnownBefore = time.GetUtcNow(),
        }, ct);
        var f = set.Frame;
        var keep = new List<int>();
        for (var i = 0; i < f.Count; i++) if (f.Times[i] >= since && f.IsMatured(i)) keep.Add(i);
        return f.Subset(keep);
    }

    /// <summary>
    /// Whether a look could be due: the rows <see cref="MaturedSinceAsync"/> would build are at most the leads created from
    /// <paramref name="since"/> - delay to now - delay - horizon (one row per lead decided since then whose horizon has passed;
    /// leads decided by an early outcome or opted out give none), so when even that count is not 10% more information than at
    /// the last look, no look is due and the training set (a pass over the whole store) need not be built. Exact: it only
    /// skips builds whose result would have been "no look".
    /// </summary>
    private async Task<bool> LookPossibleAsync(DateTimeOffset since, double delayDays, double horizonDays, int toDecide, double lastInformation, CancellationToken ct)
    {
        var delay = TimeSpan.FromDays(delayDays);
        var upTo = time.GetUtcNow() - delay - TimeSpan.FromDays(horizonDays);
        var atMost = upTo < since - delay ? 0 : await leads.CountLeadsCreatedAsync(since - delay, upTo, ct);
        var information = Math.Min(1, (double)atMost / toDecide);
        return information >= 1 || information - lastInformation >= LookEvery;
    }

    /// <summary>
    /// A look of a sequential test with the exact boundaries of its looks so far; a test begun before the looks' fractions
    /// were kept (state from an older version) goes on with the conservative per-look alpha it started with.
    /// </summary>
    private static SequentialLook LookAt(double alpha, int looks, IReadOnlyList<double> fractions, double alphaSpent, double information, double p) =>
        fractions.Count == looks
            ? AlphaSpending.Look(alpha, fractions, information, p)
            : AlphaSpending.LookByIncrement(alpha, alphaSpent, information, p);

    private async Task<string?> ReviewChallengeAsync(ChallengeState c, RetrainingPolicy policy, CancellationToken ct)
    {
        var champion = await models.GetAliasAsync(ModelAliases.Champion, ct);
        var challenger = await models.GetAliasAsync(ServingModels.ChallengerAlias, ct);
        if (champion != c.Champion || challenger != c.Version)
        {
            await states.UpdateAsync(s => s.Challenge?.Version == c.Version ? s with { Challenge = null } : s, ct);
            return await EndedAsync(c, $"ended: the champion or challenger alias was changed by hand (champion {champion ?? "none"}, challenger {challenger ?? "none"})", null, null, ct);
        }
        if (!await LookPossibleAsync(c.StartedAt, c.DecisionDelayDays, c.HorizonDays, policy.Challenger.OutcomesToDecide, c.LastInformation, ct)) return null;
        var rows = await MaturedSinceAsync(c.StartedAt, c.DecisionDelayDays, c.HorizonDays, ct);
        var information = Math.Min(1, (double)rows.Count / policy.Challenger.OutcomesToDecide);
        if (information < 1 && information - c.LastInformation < LookEvery) return null;
        var championModel = await registry.LoadAsync(c.Champion, ct);
        var challengerModel = await registry.LoadAsync(c.Version, ct);
        var pChampion = championModel.Predict(rows);
        var pChallenger = challengerModel.Predict(rows);
        double pValue;
        object figures;
        string test;
        if (c.Mode == ChallengerModes.Split)
        {
            // Each arm is judged on the leads it served: its realized AUC there (independent samples, DeLong variances per arm).
            // Precision at the top 10% of each arm is reported beside it; as a test it needs about ten times the leads.
            var (a, b) = SplitArms(rows, pChampion, pChallenger, c.SplitPercent);
            var t = DeLong.Unpaired(a.Scores, a.Labels, b.Scores, b.Labels);
            var topA = Proportions.Top(a.Scores, a.Labels, 0.1);
            var topB = Proportions.Top(b.Scores, b.Labels, 0.1);
            var precision = Proportions.Compare(topA.Rows, topA.Positives, topB.Rows, topB.Positives);
            pValue = t.PValueAGreater;
            test = $"realized AUC of each arm on the leads it served: challenger {t.AucA:F4} ({a.Labels.Count} leads) vs champion {t.AucB:F4} ({b.Labels.Count} leads), one-sided p {pValue:0.####}; precision at the top 10% {precision.RateA:P1} vs {precision.RateB:P1}";
            figures = new { test = "unpaired AUC test (DeLong variance per arm)", challenger_rows = a.Labels.Count, champion_rows = b.Labels.Count, challenger_auc = t.AucA, champion_auc = t.AucB, z = t.Z, p = pValue,
                challenger_precision_top10 = precision.RateA, champion_precision_top10 = precision.RateB };
        }
        else
        {
            var t = DeLong.Paired(pChallenger, pChampion, rows.Labels);
            pValue = t.PValueAGreater;
            test = $"AUC challenger {t.AucA:F4} vs champion {t.AucB:F4} on the same {t.Rows} leads (DeLong), one-sided p {pValue:0.####}";
            figures = new { test = "DeLong paired AUC test", rows = t.Rows, positives = t.Positives, challenger_auc = t.AucA, champion_auc = t.AucB, difference = t.Difference, se = t.StandardError, z = t.Z, p = pValue };
        }
        var look = LookAt(policy.Challenger.Alpha, c.Looks, c.LookFractions, c.AlphaSpent, information, pValue);
        var summary = $"look {c.Looks + 1} at information {information:P0}: {test}; alpha this look {look.AlphaThisLook:0.#####}";
        var evaluation = await history.SaveEvaluationAsync("challenge", c.Version, c.Champion, look.Reject, rows.Count, summary, figures,
            new[] { new { rule = $"one-sided p <= this look's level (exact boundaries, O'Brien-Fleming spending, alpha {policy.Challenger.Alpha})", passed = look.Reject, alpha_this_look = look.AlphaThisLook, boundary_z = double.IsFinite(look.Boundary) ? look.Boundary : (double?)null, alpha_spent = look.AlphaSpentAfter, information } }, ct);
        if (look.Reject)
        {
            // Only the writer that ends this very look moves the challenger: another instance that decided from the same state finds it changed.
            if (!await EndChallengeAsync(c, ct)) return null;
            await EndedAsync(c, $"won: {test}", figures, evaluation.Id, ct);
            if (!policy.Challenger.AutoPromote)
                return $"challenger {c.Version} won and waits for a person (models promote {c.Version})";
            await lifecycle.RemoveAliasAsync(ServingModels.ChallengerAlias, ct);
            await lifecycle.PromoteAsync(c.Version, ct: ct, reason: $"challenger won on live leads: {test}", figures: figures);
            return $"challenger {c.Version} promoted";
        }
        if (look.Final)
        {
            if (!await EndChallengeAsync(c, ct)) return null;
            await lifecycle.RemoveAliasAsync(ServingModels.ChallengerAlias, ct);
            return await EndedAsync(c, $"lost: not better by the end of the test ({test})", figures, evaluation.Id, ct);
        }
        await states.UpdateAsync(s => s.Challenge?.Version != c.Version ? s : s with { Challenge = c with { AlphaSpent = look.AlphaSpentAfter, LastInformation = information, Looks = c.Looks + 1, LookFractions = [.. c.LookFractions, look.InformationFraction] } }, ct);
        return summary;
    }

    /// <summary>Clears the challenge if it is still the one this look started from (same version, same number of looks); false when another writer moved it first.</summary>
    private async Task<bool> EndChallengeAsync(ChallengeState c, CancellationToken ct)
    {
        var ended = false;
        await states.UpdateAsync(s =>
        {
            ended = s.Challenge is { } now && now.Version == c.Version && now.Looks == c.Looks;
            return ended ? s with { Challenge = null } : s;
        }, ct);
        return ended;
    }

    private async Task<string> EndedAsync(ChallengeState c, string reason, object? figures, string? evaluationId, CancellationToken ct)
    {
        await history.RecordAsync(LifecycleEventKinds.ChallengeEnded, c.Version, c.Champion, reason, figures, evaluationId, ct);
        return $"challenge of {c.Version} {reason}";
    }

    private static ((List<double> Scores, List<bool> Labels) Challenger, (List<double> Scores, List<bool> Labels) Champion) SplitArms(
        FeatureFrame rows, double[] pChampion, double[] pChallenger, double percent)
    {
        (List<double>, List<bool>) a = ([], []), b = ([], []);
        for (var i = 0; i < rows.Count; i++)
        {
            if (ChallengerSplit.ServedByChallenger(rows.Ids[i], percent)) { a.Item1.Add(pChallenger[i]); a.Item2.Add(rows.Labels[i]); }
            else { b.Item1.Add(pChampion[i]); b.Item2.Add(rows.Labels[i]); }
        }
        return (a, b);
    }

    private async Task<string?> ReviewWatchAsync(WatchState w, RetrainingPolicy policy, CancellationToken ct)
    {
        if (await models.GetAliasAsync(ModelAliases.Champion, ct) != w.Version)
        {
            await states.UpdateAsync(s => s.Watch?.Version == w.Version ? s with { Watch = null } : s, ct);
            return null;
        }
        if (w.DecisionDelayDays is null || w.HorizonDays is null)
        {
            var (_, card) = await registry.ShowAsync(w.Version, ct);
            var funnel = await training.ChooseFunnelAsync(null, card.HorizonDays, null, null, ct);
            w = w with { DecisionDelayDays = funnel.DecisionDelay.TotalDays, HorizonDays = card.HorizonDays ?? funnel.HorizonDays };
            var fixedWatch = w;
            await states.UpdateAsync(s => s.Watch?.Version == w.Version ? s with { Watch = fixedWatch } : s, ct);
        }
        if (!await LookPossibleAsync(w.PromotedAt, w.DecisionDelayDays.Value, w.HorizonDays.Value, policy.Rollback.OutcomesToDecide, w.LastInformation, ct)) return null;
        var rows = await MaturedSinceAsync(w.PromotedAt, w.DecisionDelayDays.Value, w.HorizonDays.Value, ct);
        var information = Math.Min(1, (double)rows.Count / policy.Rollback.OutcomesToDecide);
        if (information < 1 && information - w.LastInformation < LookEvery) return null;
        var current = (await registry.LoadAsync(w.Version, ct)).Predict(rows);
        var previous = (await registry.LoadAsync(w.Previous, ct)).Predict(rows);
        var t = DeLong.Paired(previous, current, rows.Labels);
        var look = LookAt(policy.Rollback.Alpha, w.Looks, w.LookFractions, w.AlphaSpent, information, t.PValueAGreater);
        var test = $"realized AUC {t.AucB:F4} against the previous champion {w.Previous}'s {t.AucA:F4} on the same {t.Rows} leads (DeLong), one-sided p {t.PValueAGreater:0.####}";
        var figures = new { test = "DeLong paired AUC test", rows = t.Rows, positives = t.Positives, auc = t.AucB, previous_auc = t.AucA, difference = -t.Difference, se = t.StandardError, p = t.PValueAGreater };
        var evaluation = await history.SaveEvaluationAsync("rollback_check", w.Version, w.Previous, !look.Reject, rows.Count, test, figures,
            new[] { new { rule = $"previous champion not significantly better (O'Brien-Fleming spending, alpha {policy.Rollback.Alpha})", passed = !look.Reject, alpha_this_look = look.AlphaThisLook, information } }, ct);
        if (look.Reject)
        {
            var ended = false;
            await states.UpdateAsync(s =>
            {
                ended = s.Watch is { } now && now.Version == w.Version && now.Looks == w.Looks;
                return ended ? s with { Watch = null } : s;
            }, ct);
            // Another instance ended this watch first (and rolled back): rolling back again would move the champion twice.
            if (!ended) return null;
            // The champion came from the watched promotion (checked above), so the alias's previous version is w.Previous.
            var change = await lifecycle.RollbackAsync(ct: ct, reason: $"automatic rollback: {test}", figures: figures);
            return $"rolled back {w.Version} to {change.Version}";
        }
        if (look.Final)
        {
            await states.UpdateAsync(s => s.Watch?.Version == w.Version ? s with { Watch = null } : s, ct);
            await history.RecordAsync(LifecycleEventKinds.WatchEnded, w.Version, w.Previous, $"kept: {test}", figures, evaluation.Id, ct);
            return $"watch of {w.Version} ended: kept";
        }
        await states.UpdateAsync(s => s.Watch?.Version != w.Version ? s : s with { Watch = w with { AlphaSpent = look.AlphaSpentAfter, LastInformation = information, Looks = w.Looks + 1, LookFractions = [.. w.LookFractions, look.InformationFraction] } }, ct);
        return test;
    }
}
