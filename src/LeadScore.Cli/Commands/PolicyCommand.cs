using System.CommandLine;
using LeadScore.Application.Lifecycle;
using LeadScore.Core;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore policy show|set</c>: the retraining policy, promotion gate and challenger settings, stored in the database.</summary>
internal static class PolicyCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("policy", "Show or change the retraining policy (schedule, triggers, window, gate, challenger, rollback)");

        var show = new Command("show", "The policy in force (JSON) and its version");
        show.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var (policy, version) = await host.Get<RetrainingPolicyService>().GetAsync(ct);
            console.Line(policy.ToJson());
            console.Err.WriteLine(version == 0 ? "(the default policy: never saved)" : $"(version {version})");
            return ExitCodes.Ok;
        });

        var pairs = new Argument<string[]>("field=value")
        {
            Description = "One or more dotted fields and values: schedule.every_days=10, schedule.cron='0 3 * * 1', triggers.min_new_outcomes=500, " +
                "window.kind=last_months window.months=6, gate='auc >= champion + 0.005; ece <= max(0.03, champion + 0.02)', challenger.mode=split challenger.split_percent=10",
            Arity = ArgumentArity.OneOrMore,
        };
        var set = new Command("set", "Change fields of the policy (all or none: the result is validated before it is saved)");
        set.Arguments.Add(pairs);
        set.SetAction(async (parse, ct) =>
        {
            var changes = new List<(string, string)>();
            foreach (var p in parse.GetValue(pairs)!)
            {
                var eq = p.IndexOf('=');
                if (eq <= 0) throw new LeadScoreException($"'{p}': expected FIELD=VALUE (e.g. schedule.every_days=10)", "field");
                changes.Add((p[..eq].Trim(), p[(eq + 1)..].Trim()));
            }
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var (policy, version) = await host.Get<RetrainingPolicyService>().SetAsync(changes, ct);
            console.Line(policy.ToJson());
            console.Err.WriteLine($"policy saved (version {version})");
            return ExitCodes.Ok;
        });

        cmd.Subcommands.Add(show);
        cmd.Subcommands.Add(set);
        return cmd;
    }
}
