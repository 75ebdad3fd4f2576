using System.CommandLine;
using System.Globalization;
using LeadScore.Core;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Modeling;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore models list|show|promote|rollback|history</c>: the model registry and its lifecycle.</summary>
internal static class ModelsCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("models", "List, inspect, promote and roll back model versions");

        var list = new Command("list", "All model versions, newest first, with their aliases");
        list.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var models = await host.Get<ModelRegistry>().ListAsync(ct);
            if (models.Count == 0) { console.Line("No models yet: run './leadscore train'."); return ExitCodes.Ok; }
            console.Line($"{"VERSION",-8} {"CREATED (UTC)",-17} {"ALGORITHM",-11} {"AUC",6}  ALIASES");
            foreach (var m in models)
                console.Line(string.Create(CultureInfo.InvariantCulture, $"{m.Version,-8} {m.CreatedAt.UtcDateTime,-17:yyyy-MM-dd HH:mm} {m.Algorithm,-11} {(m.Auc is { } a ? a.ToString("F4", CultureInfo.InvariantCulture) : "-"),6}  {string.Join(", ", m.Aliases)}"));
            return ExitCodes.Ok;
        });

        var showArg = new Argument<string>("version") { Description = "Version (v3) or alias (champion)", DefaultValueFactory = _ => ModelAliases.Champion };
        var show = new Command("show", "A model version's card (JSON)");
        show.Arguments.Add(showArg);
        show.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var (_, card) = await host.Get<ModelRegistry>().ShowAsync(parse.GetValue(showArg)!, ct);
            console.Line(card.ToJson());
            return ExitCodes.Ok;
        });

        var promoteArg = new Argument<string>("version") { Description = "Version to promote (v3)" };
        var aliasOpt = new Option<string>("--alias") { Description = "Alias to set", DefaultValueFactory = _ => ModelAliases.Champion };
        var promote = new Command("promote", "Point an alias (default champion) at a version");
        promote.Arguments.Add(promoteArg);
        promote.Options.Add(aliasOpt);
        promote.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var alias = parse.GetValue(aliasOpt)!;
            var change = await host.Get<ModelLifecycle>().PromoteAsync(parse.GetValue(promoteArg)!, alias, ct);
            console.Line($"{alias} is now {change.Version}{(change.Previous is { } p && p != change.Version ? $" (was {p})" : "")}");
            await RescoreStep.RunAsync(host, change.RescoreJobId, change.Version, console, ct);
            return ExitCodes.Ok;
        });

        var rbAlias = new Option<string>("--alias") { Description = "Alias to roll back", DefaultValueFactory = _ => ModelAliases.Champion };
        var rollback = new Command("rollback", "Point an alias (default champion) back at its previous version");
        rollback.Options.Add(rbAlias);
        rollback.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var alias = parse.GetValue(rbAlias)!;
            var change = await host.Get<ModelLifecycle>().RollbackAsync(alias, ct);
            console.Line($"{alias} rolled back from {change.Previous} to {change.Version}");
            await RescoreStep.RunAsync(host, change.RescoreJobId, change.Version, console, ct);
            return ExitCodes.Ok;
        });

        var json = new Option<bool>("--json") { Description = "One JSON array of events, figures included" };
        var limit = new Option<int>("--limit") { Description = "At most this many events (the newest)", DefaultValueFactory = _ => 200 };
        var history = new Command("history", "Every training, gate result, challenge, promotion and rollback, with its reason and figures, oldest first");
        history.Options.Add(json);
        history.Options.Add(limit);
        history.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var events = await host.Get<LifecycleHistory>().ListAsync(null, Math.Max(1, parse.GetValue(limit)), ct);
            if (parse.GetValue(json))
            {
                console.Line(System.Text.Json.JsonSerializer.Serialize(events.Select(LifecycleEventView.From).ToList(), LifecycleEventView.Json));
                return ExitCodes.Ok;
            }
            if (events.Count == 0) { console.Line("No lifecycle events yet: train a model ('./leadscore train') or let the retraining policy run."); return ExitCodes.Ok; }
            console.Line($"{"WHEN (UTC)",-17} {"EVENT",-17} {"VERSION",-8} {"FROM",-8} REASON");
            foreach (var e in events)
                console.Line(string.Create(CultureInfo.InvariantCulture, $"{e.At.UtcDateTime,-17:yyyy-MM-dd HH:mm} {e.Kind,-17} {e.Version ?? "-",-8} {e.Previous ?? "-",-8} {e.Reason}"));
            return ExitCodes.Ok;
        });

        foreach (var c in new[] { list, show, promote, rollback, history }) cmd.Subcommands.Add(c);
        return cmd;
    }
}
