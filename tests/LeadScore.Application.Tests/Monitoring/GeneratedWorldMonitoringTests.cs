using LeadScore.Application.Monitoring;
using LeadScore.Engine.Synthetic;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests.Monitoring;

/// <summary>
/// Monitoring over a year of the built-in generator's leads, scored live (new leads as they arrive, open leads as time passes)
/// into the real prediction log of a real store: quiet in a steady world, the shifted features flagged under covariate drift,
/// the performance alert under concept drift (see <see cref="GeneratedWorld"/>).
/// </summary>
public sealed class GeneratedWorldMonitoringTests
{
    private const int LeadsPerDay = 10;

    private static string Describe(MonitoringResult r) => string.Join("\n", r.Windows.Select(w =>
        $"{w.Start:yyyy-MM-dd} n={w.Predictions} compared={w.Compared} drifted={w.Drift?.DriftedFeatures} share={w.Drift?.DriftedImportanceShare:F2} dataset={w.Drift?.DatasetDrift} " +
        $"realized={w.Realized?.Auc:F3} est={w.Estimated?.Auc:F3} concept={w.Concept?.Dropped} " +
        string.Join("; ", w.Drift?.Features.Where(f => f.Drifted).Take(4).Select(f => f.Explanation) ?? [])));

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Without_drift_a_year_of_weekly_windows_flags_at_most_5_percent_of_feature_windows_and_no_dataset_drift(string backend)
    {
        await using var world = await GeneratedWorld.RunAsync(backend, LeadsPerDay);

        var result = await world.MonitorAsync();

        var why = Describe(result);
        result.HasReference.ShouldBeTrue(result.Message);
        result.DecisionAgesDays.ShouldBe([GeneratedWorld.DecisionDays]);
        var year = result.Windows.Where(w => w.Complete && w.Start < GeneratedWorld.LiveStart.AddDays(GeneratedWorld.LiveDays)).ToList();
        year.Count.ShouldBe(52);
        year.ShouldAllBe(w => w.Drift != null, why);
        // Each window compares the leads that reached the decision age in it (about 7 days of leads still open at 14 days),
        // out of several times as many logged predictions of leads of every age.
        year.ShouldAllBe(w => w.Compared >= 40 && w.Compared * 3 < w.Predictions, why);
        var featureWindows = year.SelectMany(w => w.Drift!.Features).ToList();
        featureWindows.Count(f => f.Drifted).ShouldBeLessThanOrEqualTo((int)(0.05 * featureWindows.Count), why);
        year.ShouldAllBe(w => !w.Drift!.DatasetDrift, why);
        year.ShouldAllBe(w => !w.Drift!.ScoreDrift!.Drifted, why);
        year.ShouldAllBe(w => w.Drift!.GradeMixDrift == null || !w.Drift.GradeMixDrift.Drifted, why);
        result.NewAlerts.Where(a => a.Kind == MonitoringService.DriftDetected).ShouldBeEmpty(why);
        result.NewAlerts.Where(a => a.Kind == MonitoringService.PerformanceDropped).ShouldBeEmpty(why);

        // The same log compared row for row, whatever the lead's age (what monitoring did before): the age mix alone looks
        // like drift, which is the false alarm matching ages removes.
        var unmatched = await world.MonitorAsync(matchAges: false, raiseAlerts: false);
        unmatched.Windows.Count(w => w.Drift is { DatasetDrift: true }).ShouldBeGreaterThan(year.Count / 2, Describe(unmatched));
    }
}
