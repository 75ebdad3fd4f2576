using System.Text.Json;

namespace LeadScore.Cli.Tests.Lifecycle;

/// <summary>
/// The figures of issue 13 on a simulated year, as the README states them: concept drift at day 180 and a control year without
/// drift, at 137 leads a day (50,000 in the year). Tolerances: the figures themselves (no slack added).
/// STILL EXPLICIT (2026-12-01): the re-scoring passes no longer grow with the store (time passing reads open leads only, an
/// import's touched leads are read by id), but neither year could be timed to the end on the shared 2-core machine that day
/// (load 30-40: a run got a tenth of a core), so whether the two fit the CI budget (~8 minutes together) is not shown yet.
/// Run them with -explicit on; see docs/continuous-learning.md, "Where the time goes".
/// STILL EXPLICIT (2026-12-02): time passing now keeps unchanged scores (no reasons, no writes) and imports leave closed leads
/// alone, but on the shared machine (load 20-30) no year run finished in the session either, so the CI budget is still not shown.
/// STILL EXPLICIT (2026-12-02, evening): both years now run at 137 leads a day (the 50,000-lead year of the issue; at 20 a day
/// the post-drift labels are too few for any retrained model, measured: oracle 0.650 over days 240-365). The concept year ran
/// to the end in 3,836 s. Its alert came on time (+10 days), but the only promotion came on day 365, so served equals frozen
/// (0.608) against an oracle of 0.707: the first test fails, and an hour a year is far over the CI budget. See the README,
/// "Not there yet".
/// STILL EXPLICIT (2026-12-02, afternoon): with the window following the change and the fast track, the concept year alerts
/// on day 225 (+4) and promotes on day 274; days 240-365 served 0.636, frozen 0.608, oracle 0.707, so the first test still
/// fails. The control year passes (no alert, no promotion) but takes 40 minutes beside the other; together they would not
/// fit the CI budget.
/// STILL EXPLICIT (2026-12-03): with the change indicator the concept year promoted on day 260 (14 days earlier) but served
/// 0.629 over days 240-365 (frozen 0.608, oracle 0.707), and took 3,503 s. Three fixes found in that run (the indicator's
/// hold-out, no second change from a retrained model's alert, the exact sequential boundaries) are not measured on a year yet.
/// STILL EXPLICIT (2026-12-03, evening): with those fixes, the indicator from the first trainable new leads and the fast track
/// while the change is in force, days 240-365 served 0.686 (frozen 0.608, oracle 0.707): the oracle figure missed by 0.002,
/// and a year takes about an hour here (3,480 CPU-s).
/// STILL EXPLICIT (2026-12-04): with the fast track by a paired log-loss test and a training every week while the change is
/// in force, days 240-365 served 0.684 (frozen 0.608, oracle 0.707): the oracle figure missed by 0.004. The control year passes
/// (no alert, no promotion). A year takes 36-62 minutes here (2,157-3,099 CPU-s), beyond the CI budget for the two.
/// </summary>
public sealed class SimulatedYearTests
{
    private static async Task<JsonElement> SimulateAsync(params string[] args)
    {
        var (code, output, err) = await CliErrorTests.RunAsync(["simulate", "--days", "365", "--leads-per-day", "137", "--seed", "42", "--json", .. args]);
        code.ShouldBe(0, err);
        return JsonDocument.Parse(output).RootElement;
    }

    private static double Auc(JsonElement e, string name) => e.GetProperty(name).GetDouble();

    [Fact(Explicit = true)]
    public async Task Concept_drift_at_day_180_is_alerted_retrained_promoted_and_the_served_model_recovers()
    {
        var r = await SimulateAsync("--drift", "concept", "--drift-at", "180");

        // The alert within 14 days of the first post-drift cohort maturing (drift day + decision delay + horizon).
        var matured = r.GetProperty("first_post_drift_cohort_matured").GetInt32();
        var alert = r.GetProperty("first_alert_after_drift");
        alert.ValueKind.ShouldBe(JsonValueKind.Object, "an alert after the drift");
        alert.GetProperty("day").GetInt32().ShouldBeLessThanOrEqualTo(matured + 14);

        // A retrained model promoted after the drift.
        r.GetProperty("promotions").EnumerateArray().Any(p => p.GetProperty("day").GetInt32() > 180).ShouldBeTrue("a promotion after the drift");

        // Days 240-365: served >= frozen + 0.05 and within 0.02 of the oracle.
        var late = r.GetProperty("late");
        late.GetProperty("day_from").GetInt32().ShouldBe(240);
        Auc(late, "served_auc").ShouldBeGreaterThanOrEqualTo(Auc(late, "frozen_auc") + 0.05);
        Auc(late, "served_auc").ShouldBeGreaterThanOrEqualTo(Auc(late, "oracle_auc") - 0.02);
    }

    [Fact(Explicit = true)]
    public async Task Without_drift_no_promotion_lowers_realized_auc_and_at_most_one_false_drift_alert()
    {
        var r = await SimulateAsync();
        foreach (var p in r.GetProperty("promotions").EnumerateArray().Where(p => p.GetProperty("day").GetInt32() >= 1))
            if (p.GetProperty("auc_before").ValueKind == JsonValueKind.Number && p.GetProperty("auc_after").ValueKind == JsonValueKind.Number)
                Auc(p, "auc_after").ShouldBeGreaterThanOrEqualTo(Auc(p, "auc_before"), $"promotion on day {p.GetProperty("day").GetInt32()}");
        r.GetProperty("alerts").EnumerateArray().Count(a => a.GetProperty("kind").GetString() == "drift_detected" && a.GetProperty("slot").GetString() == "champion")
            .ShouldBeLessThanOrEqualTo(1);
    }
}
