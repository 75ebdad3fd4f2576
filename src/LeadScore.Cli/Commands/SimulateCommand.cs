using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Simulation;
using LeadScore.Core;
using LeadScore.Engine.Synthetic;
using LeadScore.Hosting;

namespace LeadScore.Cli.Commands;

/// <summary>
/// <c>leadscore simulate</c>: the continuous-learning loop on a simulated year (issue 13): generated leads arrive day by day,
/// are imported and scored, outcomes arrive after their delay, monitoring, retraining, the gate, the challenger, promotion and
/// rollback run as the leader would, and the realized AUC of the served, frozen and oracle models is printed per month.
/// </summary>
internal static class SimulateCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var days = new Option<int>("--days") { Description = "Simulated days (30 to 3650)", DefaultValueFactory = _ => 365 };
        var perDay = new Option<int>("--leads-per-day") { Description = "New leads a day (137 a day is 50,000 a year)", DefaultValueFactory = _ => new SimulationOptions().LeadsPerDay };
        var drift = new Option<string>("--drift") { Description = "The change in the world: none, covariate, concept or delay", DefaultValueFactory = _ => "none" };
        drift.AcceptOnlyFromAmong("none", "covariate", "concept", "delay");
        var driftAt = new Option<int?>("--drift-at") { Description = "The simulated day the drift starts (1 to --days)" };
        var strength = new Option<double?>("--concept-strength")
        {
            Description = $"With --drift concept: how far the pricing signal turns (1 mirrors it, 3 reverses it strongly; default {SimulationOptions.DefaultConceptStrength})",
        };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated world and of every training", DefaultValueFactory = _ => 42 };
        var policy = new Option<string[]>("--policy")
        {
            Description = "Policy fields FIELD=VALUE as `policy set` takes them (e.g. --policy challenger.mode=split challenger.split_percent=20)",
            AllowMultipleArgumentsPerToken = true,
        };
        var gate = new Option<string[]>("--gate") { Description = "A promotion gate rule (repeat for several), replacing the policy's gate: --gate 'auc >= champion + 0.005'" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (months, promotions, rollbacks, alerts, settings, elapsed seconds)" };
        var cmd = new Command("simulate", "Run the continuous-learning loop on a simulated year in a throwaway workspace (or --workspace DIR to keep it) and print a timeline and the realized AUC per month");
        foreach (var o in new Option[] { days, perDay, drift, driftAt, strength, seed, policy, gate, json }) cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(global.Database) is not null && parse.GetResult(global.Database) is { Implicit: false })
                throw new LeadScoreException("simulate runs in a SQLite workspace of its own; leave out --database", "database");
            var changes = new List<(string, string)>();
            foreach (var p in parse.GetValue(policy) ?? [])
            {
                var eq = p.IndexOf('=');
                if (eq <= 0) throw new LeadScoreException($"--policy '{p}': expected FIELD=VALUE (e.g. challenger.mode=split)", "policy");
                changes.Add((p[..eq].Trim(), p[(eq + 1)..].Trim()));
            }
            var options = new SimulationOptions
            {
                Days = parse.GetValue(days),
                LeadsPerDay = parse.GetValue(perDay),
                Drift = Enum.Parse<SyntheticDrift>(parse.GetValue(drift)!, ignoreCase: true),
                DriftAtDay = parse.GetValue(driftAt),
                ConceptStrength = parse.GetValue(strength),
                Seed = parse.GetValue(seed),
                Policy = changes,
                Gate = parse.GetValue(gate) is { Length: > 0 } g ? g : null,
            }.Validated();
            // --workspace keeps the simulated workspace only when given on the command line (the global default is the current workspace).
            var keep = parse.GetResult(global.Workspace) is { Implicit: false } ? global.Read(parse).Directory : null;
            var asJson = parse.GetValue(json);
            if (!asJson)
            {
                console.Line($"Simulating {options.Days} days, {options.LeadsPerDay} leads a day, drift {(options.Drift == SyntheticDrift.None ? "none" : $"{parse.GetValue(drift)} from day {options.DriftAtDay}")}, seed {options.Seed}");
                console.Line("Timeline (day, kind, detail):");
            }
            var live = asJson ? null : new SyncProgress<SimulationEvent>(e => console.Line(Line(e)));
            var report = await LeadScoreSimulation.RunAsync(options, keep, live, ct);
            if (asJson) console.Line(JsonSerializer.Serialize(ToJson(report, parse.GetValue(drift)!), Json));
            else Print(report, console);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; posts to the thread pool and can reorder lines).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static string Line(SimulationEvent e) => $"  day {e.Day,3}  {e.Kind,-17} {e.Detail}";

    private static string A(double? v) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "  n/a";

    private static void Print(SimulationReport r, CliConsole console)
    {
        console.Line();
        console.Line($"Training in the simulation: {r.Training}");
        console.Line("Realized AUC on each month's matured leads (served: the probability the loop served and logged at the decision time; frozen: the first model, never retrained; oracle: trained on the true current process):");
        console.Line("  month  days       leads  converted  served  frozen  oracle");
        foreach (var m in r.Months)
            console.Line(string.Create(CultureInfo.InvariantCulture, $"  {m.Month,5}  {m.DayFrom,3}-{m.DayTo,-3}  {m.Leads,8}  {m.Converted,9}  {A(m.ServedAuc),6}  {A(m.FrozenAuc),6}  {A(m.OracleAuc),6}"));
        var l = r.Late;
        console.Line(string.Create(CultureInfo.InvariantCulture,
            $"Days {l.DayFrom}-{l.DayTo} ({l.Leads} leads): served {A(l.ServedAuc)}, frozen {A(l.FrozenAuc)}, oracle {A(l.OracleAuc)}; served - frozen {Diff(l.ServedAuc, l.FrozenAuc)}, oracle - served {Diff(l.OracleAuc, l.ServedAuc)}"));
        if (r.FirstPostDriftCohortMatured is { } matured)
            console.Line(r.FirstAlertAfterDrift is { } a
                ? $"First post-drift cohort matured on day {matured}; first alert of the champion after the drift on day {a.Day} ({a.Day - matured:+0;-0;0} days): {a.Kind}"
                : $"First post-drift cohort matured on day {matured}; no alert of the champion after the drift");
        console.Line($"Promotions {r.Promotions.Count}, rollbacks {r.Rollbacks.Count}, alerts {r.Alerts.Count} ({r.Alerts.Count(a => a.Kind == "drift_detected")} drift, {r.Alerts.Count(a => a.Kind == "performance_dropped")} performance)");
        foreach (var p in r.Promotions)
            console.Line($"  day {p.Day}: {p.From ?? "none"} -> {p.To}, realized AUC on the next {LoopSimulation.PromotionJudgedOverDays} days' {p.Leads} leads {A(p.AucBefore)} before, {A(p.AucAfter)} after");
        console.Line(string.Create(CultureInfo.InvariantCulture, $"{r.LeadsImported:N0} leads in {r.ElapsedSeconds:F0} s (CPU {r.CpuSeconds:F0} s)"));
        console.Line("Time by phase: " + string.Join(", ", r.PhaseSeconds.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F0} s"))));
        console.Line("CPU by phase: " + string.Join(", ", r.PhaseCpuSeconds.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F0} s"))));
        console.Line(r.Workspace == "(deleted)" ? "The simulated workspace was deleted (--workspace DIR keeps it)." : $"Workspace kept: {r.Workspace} (try: leadscore --workspace {r.Workspace} models history)");
    }

    private static string Diff(double? a, double? b) => a is { } x && b is { } y ? (x - y).ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "n/a";

    private static object ToJson(SimulationReport r, string drift) => new
    {
        settings = new
        {
            days = r.Options.Days, leads_per_day = r.Options.LeadsPerDay, drift, drift_at = r.Options.DriftAtDay, concept_strength = r.Options.Drift == SyntheticDrift.Concept ? r.Options.EffectiveConceptStrength : (double?)null, seed = r.Options.Seed,
            history_days = r.Options.HistoryDays, time_passing_rescore_days = r.Options.TimePassingRescore.TotalDays,
            policy_overrides = r.Options.Policy.Select(p => $"{p.Path}={p.Value}").ToArray(), gate = r.Options.Gate,
            training = r.Training, policy = JsonDocument.Parse(r.PolicyJson).RootElement,
        },
        workspace = r.Workspace,
        leads = r.LeadsImported,
        months = r.Months.Select(m => new { month = m.Month, day_from = m.DayFrom, day_to = m.DayTo, leads = m.Leads, converted = m.Converted, served_auc = m.ServedAuc, frozen_auc = m.FrozenAuc, oracle_auc = m.OracleAuc }),
        late = new { day_from = r.Late.DayFrom, day_to = r.Late.DayTo, leads = r.Late.Leads, served_auc = r.Late.ServedAuc, frozen_auc = r.Late.FrozenAuc, oracle_auc = r.Late.OracleAuc },
        promotions = r.Promotions.Select(p => new { day = p.Day, from = p.From, to = p.To, auc_before = p.AucBefore, auc_after = p.AucAfter, leads = p.Leads, reason = p.Reason }),
        rollbacks = r.Rollbacks.Select(b => new { day = b.Day, from = b.From, to = b.To, reason = b.Reason }),
        alerts = r.Alerts.Select(a => new { day = a.Day, kind = a.Kind, detail = a.Detail, model = a.Model, slot = a.Slot }),
        first_post_drift_cohort_matured = r.FirstPostDriftCohortMatured,
        first_alert_after_drift = r.FirstAlertAfterDrift is { } fa ? new { day = fa.Day, kind = fa.Kind, detail = fa.Detail } : null,
        timeline = r.Timeline.Select(e => new { day = e.Day, kind = e.Kind, detail = e.Detail }),
        phase_seconds = r.PhaseSeconds,
        phase_cpu_seconds = r.PhaseCpuSeconds,
        elapsed_seconds = Math.Round(r.ElapsedSeconds, 1),
        cpu_seconds = Math.Round(r.CpuSeconds, 1),
    };
}
