using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Synthetic;
using LeadScore.Application.Features;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Application.Security;
using LeadScore.Storage;
using Microsoft.Extensions.Hosting;

namespace LeadScore.Cli.Commands;

/// <summary>
/// <c>leadscore quickstart</c>, the main job: demo data into the workspace, import, features, training,
/// held-out evaluation, a summary a person can read, then the API with a ready-to-paste curl command.
/// </summary>
internal static class QuickstartCommand
{
    private const string DemoFolder = "demo-data";

    /// <summary>Trials of the demo's search: fewer than <c>train</c>'s default, so the quickstart stays about a minute.</summary>
    public const int QuickstartTrials = 4;

    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var leads = new Option<int>("--leads") { Description = "How many demo leads to generate", DefaultValueFactory = _ => 5000 };
        var seed = new Option<int>("--seed") { Description = "Seed for the demo data and the model", DefaultValueFactory = _ => 42 };
        var noServe = new Option<bool>("--no-serve") { Description = "Stop after the summary instead of serving the API" };
        var reset = new Option<bool>("--reset") { Description = "Start over: delete the workspace's SQLite database first (otherwise an existing demo workspace is reused)" };
        var urls = new Option<string>("--urls") { Description = "Where the API listens", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var budget = new Option<double>("--time-budget") { Description = "Upper bound in seconds for model selection (a safety cap; the search itself is a fixed number of trials)", DefaultValueFactory = _ => TrainingOptions.Defaults.TimeBudgetSeconds };
        var cmd = new Command("quickstart", "Generate demo leads, import them, train and evaluate a model, print a summary, then serve the API");
        // The demo keeps its search short so it finishes in about a minute; `train` searches more (TrainingOptions.Defaults.MaxTrials).
        var trials = new Option<int>("--max-trials") { Description = "Hyperparameter trials of the search (fixed, so the demo model is the same on any machine)", DefaultValueFactory = _ => QuickstartTrials };
        foreach (var o in new Option[] { leads, seed, noServe, reset, urls, budget, trials }) cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            var ws = global.Read(parse);
            if (parse.GetValue(reset)) Reset(ws, console);
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var store = host.Store;
            console.Line($"Workspace: {ws.Directory} ({store.Describe()})");

            var champion = await store.GetAliasAsync(ModelAliases.Champion, ct);
            var existing = await store.CountLeadsAsync(ct);
            if (existing > 0 && champion is not null)
            {
                console.Line($"Reusing the workspace: it already holds {existing:N0} leads and champion model {champion} (run with --reset to start over).");
            }
            else
            {
                if (existing > 0) console.Line($"The workspace holds {existing:N0} leads but no model yet: importing the demo data (re-imports change nothing) and training.");
                await BuildDemoAsync(host, ws, parse.GetValue(leads), parse.GetValue(seed), parse.GetValue(budget), Math.Max(0, parse.GetValue(trials)), console, ct);
            }

            var scoring = host.Get<ScoringService>();
            await scoring.ReloadAsync(ct);
            await PrintSummaryAsync(store, scoring, console, ct);

            var (key, record) = await host.Get<ApiKeyService>().CreateAsync($"quickstart-{host.Get<TimeProvider>().GetUtcNow():yyyyMMddHHmmssfff}", ApiScopes.All, ct);
            var url = parse.GetValue(urls)!.Split(';')[0].TrimEnd('/');
            var body = await ExampleBodyAsync(store, host.Get<TimeProvider>().GetUtcNow(), ct);
            console.Line();
            console.Line($"Demo API key '{record.Name}' (all scopes; shown once, stored hashed): {key}");
            // With --no-serve nothing is listening when this is printed: say how to start the server before the curl.
            var serving = !parse.GetValue(noServe);
            console.Line(serving ? "Score a lead against the running server:" : "Start the server with ./leadscore serve, then score a lead:");
            console.Line($"  curl -s -X POST {url}/api/v1/score -H 'X-Api-Key: {key}' -H 'Content-Type: application/json' -d '{body}'");
            console.Line($"API reference: {url}/scalar   OpenAPI: {url}/openapi/v1.json");

            if (!serving) return ExitCodes.Ok;
            await using var app = await ServerHost.StartAsync(store, ws, parse.GetValue(urls)!, ct);
            console.Line($"Serving on {url} (Ctrl+C stops).");
            // Last, so it is the line a new user sees: the leads and their reasons, in the browser.
            console.Line($"Dashboard: {url}/ (sign in with the demo key above)");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Reset(WorkspaceSettings ws, CliConsole console)
    {
        if (ws.Database is not null)
            throw new LeadScoreException("--reset only resets a SQLite workspace; to start over on PostgreSQL, create a new database and pass it with --database", "reset");
        foreach (var f in new[] { LeadStore.SqliteFileName, LeadStore.SqliteFileName + "-wal", LeadStore.SqliteFileName + "-shm", FeatureDefinitionsRepository.FileName })
            File.Delete(Path.Combine(ws.Directory, f));
        if (Directory.Exists(Path.Combine(ws.Directory, DemoFolder))) Directory.Delete(Path.Combine(ws.Directory, DemoFolder), recursive: true);
        console.Line($"Reset the workspace {ws.Directory}: starting over.");
    }

    private static async Task BuildDemoAsync(CliHost host, WorkspaceSettings ws, int leads, int seed, double budget, int maxTrials, CliConsole console, CancellationToken ct)
    {
        var dataDir = Path.Combine(ws.Directory, DemoFolder);
        // The demo's 12 months end at midnight, yesterday: the open pipeline scored now holds leads of every age, the freshest
        // a day old, as a live CRM's does (a gap of quiet days before "now" would make every open lead look dormant).
        var now = host.Get<TimeProvider>().GetUtcNow();
        var start = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-366);
        var summary = await console.StepAsync($"generating {leads:N0} demo leads", p =>
            Task.Run(() => SyntheticGenerator.WriteCsv(dataDir, new SyntheticOptions { Leads = leads, Seed = seed, Start = start, ObservedUntil = now }, p), ct));
        console.Line(string.Create(CultureInfo.InvariantCulture,
            $"Demo data: {summary.Leads:N0} leads, {summary.Activities:N0} activities, {summary.EnrichmentRows:N0} enrichment rows; {summary.Converted:N0} converted, {summary.Lost:N0} lost, {summary.Open:N0} open (in {dataDir})"));

        var importer = host.Get<IngestionService>();
        var files = new (ImportKind Kind, string File)[]
        {
            (ImportKind.Leads, "leads.csv"), (ImportKind.Activities, "activities_web.csv"), (ImportKind.Activities, "activities_email.csv"),
            (ImportKind.Activities, "activities_social.csv"), (ImportKind.Activities, "activities_sales.csv"),
            (ImportKind.Enrichment, "enrichment.csv"), (ImportKind.Outcomes, "outcomes.csv"),
        };
        foreach (var (kind, file) in files)
        {
            var path = Path.Combine(dataDir, file);
            var plan = importer.Importer.Plan(kind, path, null);
            var r = (await console.StepAsync($"importing {file}", p => importer.ImportFileAsync(plan, path, p, ct: ct))).Summary;
            console.Line($"Imported {file}: {r.RowsRead:N0} rows, {r.Accepted:N0} accepted ({r.Inserted:N0} new, {r.Unchanged:N0} unchanged), {r.Rejected:N0} rejected");
        }

        var lifecycle = host.Get<ModelLifecycle>();
        var (run, rescoreJob) = await console.StepAsync("building point-in-time features and training", _ => lifecycle.TrainWorkspaceAsync(new WorkspaceTrainingRequest
        {
            Options = new TrainingOptions { TimeBudget = TimeSpan.FromSeconds(budget), MaxTrials = maxTrials, Seed = seed },
            ReportDirectory = Path.Combine(ws.Directory, "report"),
        }, new Progress<string>(console.Log), ct));
        console.Line($"Training set: {run.TrainingSetDescription}");
        if (run.Funnel is { } funnel && run.Set is { } set) FunnelLines.Print(console, funnel, set);
        foreach (var f in run.Leakage) console.Line($"Leakage audit excluded '{f.Feature}': {f.Reason}");
        console.Line($"Model {run.Card.Version}: {run.Card.Algorithm}; {run.Card.Selection}");
        console.Line($"Split: {run.Card.Split}");
        console.Line(run.Registration.Promoted ? $"{run.Card.Version} is the champion ({run.Registration.Decision})." : $"{run.Card.Version} stays a candidate ({run.Registration.Decision}).");
        if (run.ReportPath is not null) console.Line($"Evaluation report: {run.ReportPath}");

        await RescoreStep.RunAsync(host, rescoreJob, run.Card.Version, console, ct);
    }

    private static async Task PrintSummaryAsync(ILeadStore store, ScoringService scoring, CliConsole console, CancellationToken ct)
    {
        var model = scoring.RequireChampion();
        var card = ModelCard.FromJson(model.CardJson);
        var m = card.Metrics;
        var inv = CultureInfo.InvariantCulture;
        console.Line();
        console.Line($"== Model {card.Version} ({card.Algorithm}), evaluated on {card.RowsTest:N0} held-out leads ==");
        console.Line(string.Create(inv, $"AUC {m.Auc:F3}   PR-AUC {m.PrAuc:F3}   log loss {m.LogLoss:F3}   Brier {m.Brier:F3}   top-10% lift {m.LiftAt(0.1).Lift:F2}"));
        console.Line($"Probabilities are calibrated ({card.Calibration}); they mean {card.Meaning}.");

        // Top features by permutation importance on the held-out leads, built at their decision time. Stored leads
        // scored today would mislead here: old demo leads carry recency values far beyond anything seen in training.
        var top = card.Importance.Where(t => t.AucDrop > 0).Take(8).ToList();
        if (top.Count > 0)
            console.Line("Top features (held-out AUC lost when shuffled): " + string.Join(", ", top.Select(t => string.Create(inv, $"{t.Feature} {t.AucDrop:F3}"))));

        console.Line();
        console.Line("Example open leads (no outcome yet: the ones a seller would work on):");
        var examples = new List<StoredScore>();
        foreach (var g in new[] { "A", "A", "B", "C", "D" })
        {
            var pick = (await store.ListTopScoresAsync(g, 5, openOnly: true, ct)).FirstOrDefault(s => examples.All(e => e.LeadId != s.LeadId));
            if (pick is not null) examples.Add(pick);
        }
        foreach (var s in examples)
        {
            var lead = await store.GetLeadAsync(s.LeadId, ct);
            var who = lead is null ? "" : $" {lead.Get(LeadFields.JobTitle)} at {lead.Get(LeadFields.Company)}";
            console.Line($"  {s.LeadId}{who}: score {s.Score}, grade {s.Grade}");
            var reasons = StoredReasons.Read(s.ReasonsJson);
            foreach (var r in reasons.OrderByDescending(r => Math.Abs(r.Points)).Take(3))
                console.Line(string.Create(inv, $"      {(r.Points >= 0 ? "+" : "")}{r.Points:F1} pts  {r.Text}"));
        }
    }

    /// <summary>The JSON body of a real open lead (attributes and a few recent activities) for the curl example.</summary>
    private static async Task<string> ExampleBodyAsync(ILeadStore store, DateTimeOffset now, CancellationToken ct)
    {
        var top = (await store.ListTopScoresAsync("A", 1, openOnly: true, ct)).FirstOrDefault() ?? (await store.ListTopScoresAsync(null, 1, ct: ct)).FirstOrDefault();
        var lead = top is null ? null : await store.GetLeadAsync(top.LeadId, ct);
        var attrs = new JsonObject();
        if (lead is not null)
            foreach (var k in new[] { LeadFields.Company, LeadFields.Domain, LeadFields.Industry, LeadFields.CompanySize, LeadFields.Country, LeadFields.JobTitle, LeadFields.Source })
                if (lead.Get(k) is { } v) attrs[k] = v;
        var acts = new JsonArray();
        if (lead is not null)
            foreach (var a in (await store.GetActivitiesAsync(lead.Id, now, ct)).TakeLast(3))
                acts.Add(new JsonObject { ["type"] = a.Type, ["timestamp"] = a.Timestamp.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), ["url"] = a.Url });
        var body = new JsonObject
        {
            ["id"] = "demo-lead-1",
            ["created_at"] = lead?.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["attributes"] = attrs,
            ["activities"] = acts,
        };
        return body.ToJsonString().Replace("'", "'\\''");
    }
}
