using System.CommandLine;
using System.Globalization;
using LeadScore.Core;
using LeadScore.Application.Lifecycle;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Engine.Modeling;

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
            var inv = CultureInfo.InvariantCulture;
            console.Line($"{"VERSION",-8} {"CREATED (UTC)",-17} {"ALGORITHM",-11} {"AUC",6}  {"TEST SET",-36} ALIASES");
            var sets = new List<string>();
            foreach (var m in models)
            {
                var card = ModelCards.TryRead(m.CardJson);
                var test = TestSet(card);
                if (card?.TestIdsHash is { } h) sets.Add(h); else sets.Add(m.Version);
                console.Line(string.Create(inv, $"{m.Version,-8} {m.CreatedAt.UtcDateTime,-17:yyyy-MM-dd HH:mm} {m.Algorithm,-11} {(m.Auc is { } a ? a.ToString("F4", inv) : "-"),6}  {test,-36} {string.Join(", ", m.Aliases)}"));
            }
            if (sets.Distinct(StringComparer.Ordinal).Count() > 1)
                console.Line("Note: each AUC was measured on its own version's held-out rows (TEST SET); AUCs on different test sets do not compare. " +
                             "'./leadscore models compare A B' says whether two versions share one.");
            return ExitCodes.Ok;
        });

        var cmpA = new Argument<string>("a") { Description = "Version or alias" };
        var cmpB = new Argument<string>("b") { Description = "Version or alias" };
        var cmpJson = new Option<bool>("--json") { Description = "Print the comparison as JSON" };
        var compare = new Command("compare", "Re-evaluate two versions on the same rows (the most recent matured hold-out neither trained on): AUC, PR-AUC, log loss, ECE and DeLong's p-value for the AUC difference");
        compare.Arguments.Add(cmpA);
        compare.Arguments.Add(cmpB);
        compare.Options.Add(cmpJson);
        compare.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var c = await console.StepAsync("re-evaluating both versions on the same rows", _ => host.Get<ModelComparison>().CompareAsync(parse.GetValue(cmpA)!, parse.GetValue(cmpB)!, ct));
            var inv = CultureInfo.InvariantCulture;
            if (parse.GetValue(cmpJson))
            {
                object M(MetricsOnRows m) => new { version = m.Version, auc = m.Auc, pr_auc = m.PrAuc, log_loss = m.LogLoss, ece = m.Ece, brier = m.Brier, card_auc = m.CardAuc, features_missing = m.FeaturesMissing };
                console.Line(System.Text.Json.JsonSerializer.Serialize(new
                {
                    rows = c.Rows, positives = c.Positives, from = c.From, to = c.To, horizon_days = c.HorizonDays, rule = c.Rule,
                    a = M(c.A), b = M(c.B),
                    delong = new { difference = c.Test.Difference, se = c.Test.StandardError, z = c.Test.Z, p_two_sided = c.Test.PValueTwoSided },
                    notes = c.Notes, cards_share_test_set = c.CardsShareTestSet,
                }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }
            console.Line(string.Create(inv, $"Re-evaluated on the same {c.Rows:N0} rows ({c.Positives:N0} converted), decided {c.From:yyyy-MM-dd} to {c.To:yyyy-MM-dd}: {c.Rule}."));
            console.Line($"{"VERSION",-8} {"AUC",7} {"PR-AUC",7} {"LOG LOSS",8} {"ECE",7}   {"CARD AUC (own test set)",-24}");
            foreach (var m in new[] { c.A, c.B })
                console.Line(string.Create(inv, $"{m.Version,-8} {m.Auc,7:F4} {m.PrAuc,7:F4} {m.LogLoss,8:F4} {m.Ece,7:F4}   {m.CardAuc,-24:F4}"));
            var t = c.Test;
            var verdict = double.IsNaN(t.PValueTwoSided) ? "no test (a class has too few rows)"
                : t.PValueTwoSided < 0.05 ? $"{(t.Difference > 0 ? c.B.Version : c.A.Version)} ranks these leads better (p < 0.05)"
                : "not a significant difference at the 5% level";
            console.Line(string.Create(inv, $"AUC {c.B.Version} - {c.A.Version}: {t.Difference:+0.0000;-0.0000;0.0000} (DeLong SE {t.StandardError:F4}, z {t.Z:F2}, two-sided p {t.PValueTwoSided:0.####}): {verdict}."));
            foreach (var n in c.Notes) console.Line($"Note: {n}.");
            console.Line(c.CardsShareTestSet
                ? "The cards' own figures (CARD AUC) were measured on the same held-out rows too."
                : "The cards' own figures (CARD AUC) were measured on different held-out rows and do not compare; the figures above do.");
            return ExitCodes.Ok;
        });

        var showArg = new Argument<string>("version") { Description = "Version (v3) or alias (champion)", DefaultValueFactory = _ => ModelAliases.Champion };
        var show = new Command("show", "A model version's card (JSON)");
        show.Arguments.Add(showArg);
        show.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var (version, card) = await host.Get<ModelRegistry>().ShowAsync(parse.GetValue(showArg)!, ct);
            // The card as trained, plus the grade bands it grades with now and their source (an override applies without retraining).
            var inEffect = await host.Get<GradeBandSettings>().InEffectForAsync(version.Version, ModelGrades.OfCard(version.CardJson), ct);
            var json = System.Text.Json.Nodes.JsonNode.Parse(card.ToJson())!.AsObject();
            json["grades_in_effect"] = new System.Text.Json.Nodes.JsonObject
            {
                ["a"] = inEffect.Bands.A, ["b"] = inEffect.Bands.B, ["c"] = inEffect.Bands.C, ["source"] = inEffect.Source, ["description"] = inEffect.Describe(),
            };
            console.Line(json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
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

        foreach (var c in new[] { list, show, compare, promote, rollback, history }) cmd.Subcommands.Add(c);
        return cmd;
    }

    /// <summary>"1,234 rows, 2026-05-01..2026-06-30" (the held-out rows and their decision dates), or the row count alone.</summary>
    private static string TestSet(ModelCard? card) => card is null ? "-" : string.Create(CultureInfo.InvariantCulture,
        $"{card.RowsTest:N0} rows{(card.TestFrom is { } f && card.TestTo is { } t ? $", {f:yyyy-MM-dd}..{t:yyyy-MM-dd}" : "")}{(card.TestIdsHash is { } h ? $" #{h[..6]}" : "")}");
}

/// <summary>Reading cards that may be damaged or older than this version without failing a listing.</summary>
internal static class ModelCards
{
    public static ModelCard? TryRead(string json)
    {
        try { return ModelCard.FromJson(json); }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException) { return null; }
    }
}
