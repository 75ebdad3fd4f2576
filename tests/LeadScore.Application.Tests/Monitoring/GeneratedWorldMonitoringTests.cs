using System.Diagnostics;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Engine.Synthetic;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Monitoring;

/// <summary>
/// Monitoring over months of the built-in generator's leads, scored live (new leads as they arrive, open leads as time passes)
/// into the real prediction log of a real store: quiet in a steady world, the shifted features flagged under covariate drift,
/// the performance alert under concept drift (see <see cref="GeneratedWorld"/>). Seeded: the same figures on every run.
/// </summary>
/// <remarks>
/// Chance bounds. A window's per-feature tests, its score test and its grade-mix test are each at p &lt; 0.05, so in a world that
/// does not move each flags about 5% of the time (a little less: ties and pooled rare values make the tests conservative).
/// A count of windows flagged by chance is bounded with the binomial tail, not with its mean (a bound at the mean fails half
/// the time by chance): at most k - 1 where P(X &gt;= k) &lt; 0.001 for n windows at p = 0.05 (scipy.stats.binom.sf, computed once):
/// n = 52: k = 10 (P = 2.2e-4); n = 14: k = 5 (P = 3.6e-4); n = 130 features in one window: k = 16 (P = 3.4e-4).
/// </remarks>
public sealed class GeneratedWorldMonitoringTests
{
    private const int LeadsPerDay = 10;

    private static string Describe(MonitoringResult r) => string.Join("\n", r.Windows.Select(w =>
        $"{w.Start:yyyy-MM-dd} n={w.Predictions} compared={w.Compared} drifted={w.Drift?.DriftedFeatures} share={w.Drift?.DriftedImportanceShare:F2} dataset={w.Drift?.DatasetDrift} " +
        $"score={w.Drift?.ScoreDrift?.Drifted} grades={w.Drift?.GradeMixDrift?.Drifted} realized={w.Realized?.Auc:F3} est={w.Estimated?.Auc:F3} concept={w.Concept?.Dropped} {w.Concept?.Explanation} " +
        string.Join("; ", w.Drift?.Features.Where(f => f.Drifted).Take(4).Select(f => f.Explanation) ?? [])));

    private static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

    private static void Report(string what) => TestContext.Current.SendDiagnosticMessage(what);

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Without_drift_a_year_of_weekly_windows_flags_at_most_5_percent_of_feature_windows_and_no_dataset_drift(string backend)
    {
        var cpu = Cpu();
        await using var world = await GeneratedWorld.RunAsync(backend, LeadsPerDay);
        var built = Cpu() - cpu;

        var result = await world.MonitorAsync();

        var why = Describe(result);
        result.HasReference.ShouldBeTrue(result.Message);
        result.DecisionAgesDays.ShouldBe([GeneratedWorld.DecisionDays]);
        var year = result.Windows.Where(w => w.Complete && w.Start < world.LiveEnd).ToList();
        year.Count.ShouldBe(52);
        year.ShouldAllBe(w => w.Drift != null, why);
        // Each window compares the leads that reached the decision age in it (about 7 days of leads still open at 14 days),
        // out of several times as many logged predictions of leads of every age.
        year.ShouldAllBe(w => w.Compared >= 40, why);
        (year.Sum(w => w.Compared) * 5).ShouldBeLessThan(year.Sum(w => w.Predictions), why);
        var featureWindows = year.SelectMany(w => w.Drift!.Features).ToList();
        var flagged = featureWindows.Count(f => f.Drifted);
        var scoreDrifted = year.Count(w => w.Drift!.ScoreDrift!.Drifted);
        var gradesDrifted = year.Count(w => w.Drift!.GradeMixDrift is { Drifted: true });
        Report($"{backend}: {world.Predictions} predictions, {flagged} of {featureWindows.Count} feature-windows flagged ({100.0 * flagged / featureWindows.Count:F1}%), " +
               $"score drift in {scoreDrifted} and grade-mix drift in {gradesDrifted} of {year.Count} windows; CPU {built.TotalSeconds:F0} s world + {(Cpu() - cpu - built).TotalSeconds:F0} s monitoring");
        // At most 5% of the feature-windows over the whole year (2026-12-01: 3.5% on both backends). The generator's enrichment
        // is stationary (SyntheticGenerator.MakeCompanies): it used to grow (technologies added, employees +1% at each refresh,
        // intent walking away), which moved the enrichment features away from the reference as the year went on (5.8%).
        flagged.ShouldBeLessThanOrEqualTo((int)(0.05 * featureWindows.Count), why);
        year.ShouldAllBe(w => !w.Drift!.DatasetDrift, why);
        // Score and grade-mix drift: a test at p < 0.05 per window each, bounded by the binomial tail (see the remarks; measured
        // 2026-12-01 with the stationary enrichment: within 3 of 52 each, where the growing enrichment gave grade-mix drift in 6).
        scoreDrifted.ShouldBeLessThan(10, why);
        gradesDrifted.ShouldBeLessThan(10, why);
        result.NewAlerts.Where(a => a.Kind == MonitoringService.DriftDetected).ShouldBeEmpty(why);
        result.NewAlerts.Where(a => a.Kind == MonitoringService.PerformanceDropped).ShouldBeEmpty(why);

        // The same log compared row for row, whatever the lead's age (what monitoring did before): the age mix alone looks
        // like drift, which is the false alarm matching ages removes.
        var unmatched = await world.MonitorAsync(matchAges: false, raiseAlerts: false);
        unmatched.Windows.Count(w => w.Drift is { DatasetDrift: true }).ShouldBeGreaterThan(year.Count / 2, Describe(unmatched));
    }

    /// <summary>The drift scenarios' live half-year: 26 weeks, the drift from day 91 (week 13) on.</summary>
    private const int CovariateLiveDays = 182, CovariateDriftDay = 91;

    /// <summary>
    /// The first window made only of drifted leads at their decision age: a window compares the leads that turn 14 days
    /// old in it (age within half a day of 14), so the first one is the first window starting 14.5 days or more after the drift.
    /// </summary>
    private static DateTimeOffset FirstFullAfter(int driftDay, int windowDays) =>
        GeneratedWorld.LiveStart.AddDays(windowDays * (int)Math.Ceiling((driftDay + GeneratedWorld.DecisionDays + 0.5) / windowDays));

    /// <summary>A window made only of leads created before the drift (its decision-age leads, 13.5 days old or more, were created before it).</summary>
    private static bool BeforeDrift(MonitoringWindow w, int driftDay) => w.End <= GeneratedWorld.LiveStart.AddDays(driftDay + GeneratedWorld.DecisionDays - 0.5);

    [Fact]
    public async Task Covariate_drift_flags_the_shifted_features_in_the_first_full_window_after_it_and_not_the_others()
    {
        var cpu = Cpu();
        // Every open lead re-scored every 4 weeks (the decision-age leads daily): the log still holds leads of every age, at a
        // third of the weekly cadence's cost.
        await using var world = await GeneratedWorld.RunAsync(TestStores.Sqlite, LeadsPerDay, SyntheticDrift.Covariate, CovariateDriftDay,
            liveDays: CovariateLiveDays, fullRescoreDays: 28);
        var built = Cpu() - cpu;

        var result = await world.MonitorAsync();

        var why = Describe(result);
        var firstFull = FirstFullAfter(CovariateDriftDay, 7);
        var first = result.Windows.Single(w => w.Start == firstFull);
        var flagged = first.Drift!.Features.Where(f => f.Drifted).Select(f => f.Feature).ToList();
        flagged.ShouldContain(LeadFields.Source, why);
        first.Drift.Features.Single(f => f.Feature == LeadFields.Source).Explanation.ShouldContain("cold_outbound");
        // The others: each is tested at p < 0.05, so a few of them are flagged by chance in any window; no more than chance
        // allows (the binomial tail, see the remarks).
        flagged.Count(f => !Shifted(f)).ShouldBeLessThan(16, why);
        // Before the drift the world is steady: no dataset drift, the source flagged at most by chance.
        var before = result.Windows.Where(w => BeforeDrift(w, CovariateDriftDay)).ToList();
        before.Count.ShouldBe(14);
        before.ShouldAllBe(w => !w.Drift!.DatasetDrift, why);
        before.Count(w => w.Drift!.Features.Single(f => f.Feature == LeadFields.Source).Drifted).ShouldBeLessThan(5, why);
        // After it the source stays flagged; the features the switch does not move stay within the chance rate, as in the steady world.
        var after = result.Windows.Where(w => w.Start >= firstFull && w.Start < world.LiveEnd).ToList();
        after.Count.ShouldBe(10);
        after.ShouldAllBe(w => w.Drift!.Features.Single(f => f.Feature == LeadFields.Source).Drifted, why);
        var others = after.SelectMany(w => w.Drift!.Features.Where(f => !Shifted(f.Feature))).ToList();
        Report($"covariate: source flagged in {after.Count(w => w.Drift!.Features.Single(f => f.Feature == LeadFields.Source).Drifted)} of {after.Count} windows after the drift " +
               $"({before.Count(w => w.Drift!.Features.Single(f => f.Feature == LeadFields.Source).Drifted)} of {before.Count} before); first full window: {string.Join(", ", flagged)}; " +
               $"unshifted features flagged in {others.Count(f => f.Drifted)} of {others.Count} feature-windows after it ({100.0 * others.Count(f => f.Drifted) / others.Count:F1}%); " +
               $"CPU {built.TotalSeconds:F0} s world + {(Cpu() - cpu - built).TotalSeconds:F0} s monitoring");
        others.Count(f => f.Drifted).ShouldBeLessThanOrEqualTo((int)(0.05 * others.Count), why);
        result.NewAlerts.Count(a => a.Kind == MonitoringService.DriftDetected).ShouldBe(result.Windows.Count(w => w.Complete && w.Drift is { DatasetDrift: true }));
    }

    /// <summary>
    /// The features covariate drift moves, found by generating 30,000 leads (seed 11) with and without the switch and comparing
    /// the leads created after the drift date at their decision age (KS, or a two-sample chi-squared, 12,500 leads a side,
    /// 2026-12-01): only these differ at p &lt; 0.001. The source mix itself; the sales calls that follow cold outbound (every
    /// call count, value and recency feature); and the features of all activity together, to which calls add (activity_count,
    /// active_days_30d, engagement_score, events_per_week, days_since_last_activity). Nothing else moves (the source's effect
    /// on interest, and so on web and email behaviour, keeps its mean by design).
    /// </summary>
    private static bool Shifted(string feature) => feature == LeadFields.Source || feature.Contains("_call", StringComparison.Ordinal)
        || feature is "activity_count" or "active_days_30d" or "engagement_score" or "events_per_week" or "days_since_last_activity";

    /// <summary>Concept drift's live period: 8 four-week cohorts, the drift from day 84 (the start of the fourth) on.</summary>
    private const int ConceptLiveDays = 224, ConceptDriftDay = 84, CohortDays = 28;

    /// <remarks>
    /// The power argument. A four-week cohort holds about 270 leads at the decision age (10 a day still open at 14 days) with
    /// about 30 conversions: its AUC's standard error is about 0.045 (Hanley-McNeil), and the alert needs the realized AUC
    /// 2.33 standard errors (about 0.11) below the held-out figure, or the conversions 3.29 binomial standard errors off the
    /// scores' sum. The generator's default concept drift (pricing visits mirrored, strength 1) takes a frozen oracle's AUC from
    /// 0.917 to 0.798 only, and the logistic model leans little on pricing: 0.70-0.74 realized after it against 0.64-0.79
    /// before, not detectable at this size. At strength 3 (SyntheticOptions.ConceptStrength; measured on 30,000 leads, seed 11)
    /// the frozen oracle falls to 0.656 and conversions rise from 11% to 21% (the mirrored logit keeps its mean, not the
    /// probability's): either rule then has its margin several standard errors wide on every post-drift cohort.
    /// </remarks>
    [Fact]
    public async Task Concept_drift_raises_the_performance_alert_once_the_first_drifted_cohorts_mature_while_data_drift_stays_quiet()
    {
        var cpu = Cpu();
        await using var world = await GeneratedWorld.RunAsync(TestStores.Sqlite, LeadsPerDay, SyntheticDrift.Concept, ConceptDriftDay,
            liveDays: ConceptLiveDays, conceptStrength: 3, fullRescoreDays: 28);
        var built = Cpu() - cpu;

        var result = await world.MonitorAsync(windowDays: CohortDays);

        var why = Describe(result);
        var live = result.Windows.Where(w => w.Start < world.LiveEnd).ToList();
        live.Count.ShouldBe(ConceptLiveDays / CohortDays);
        live.ShouldAllBe(w => w.Drift != null && !w.Drift.DatasetDrift, why);
        result.NewAlerts.Where(a => a.Kind == MonitoringService.DriftDetected).ShouldBeEmpty(why);
        var dropped = result.NewAlerts.Where(a => a.Kind == MonitoringService.PerformanceDropped).ToList();
        Report($"concept: performance alerts for the cohorts of {string.Join(", ", dropped.Select(a => a.WindowStart.ToString("yyyy-MM-dd")))}; " +
               $"cohorts: {string.Join("; ", live.Select(w => $"{w.Start:MM-dd} {w.Concept?.Explanation ?? "not judged"}"))}; " +
               $"CPU {built.TotalSeconds:F0} s world + {(Cpu() - cpu - built).TotalSeconds:F0} s monitoring");
        dropped.ShouldNotBeEmpty(why);
        // Not on a cohort of leads created before the drift, and on the first cohort made only of drifted leads.
        var before = live.Where(w => BeforeDrift(w, ConceptDriftDay)).ToList();
        before.Count.ShouldBe(3);
        before.ShouldAllBe(w => w.Concept != null && !w.Concept.Dropped, why);
        dropped.ShouldAllBe(a => !BeforeDrift(live.Single(w => w.Start == a.WindowStart), ConceptDriftDay), why);
        var firstDrifted = FirstFullAfter(ConceptDriftDay, CohortDays);
        dropped.Min(a => a.WindowStart).ShouldBeLessThanOrEqualTo(firstDrifted, why);
        // Every judged cohort made only of drifted leads raises it.
        live.Where(w => w.Start >= firstDrifted && w.Concept != null).ShouldAllBe(w => w.Concept!.Dropped, why);
        live.Count(w => w.Start >= firstDrifted && w.Concept != null).ShouldBeGreaterThanOrEqualTo(3, why);
    }
}
