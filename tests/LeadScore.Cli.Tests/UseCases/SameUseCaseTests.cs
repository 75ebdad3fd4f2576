using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Security;
using LeadScore.Cli.Commands;
using LeadScore.Core;
using LeadScore.Engine.Synthetic;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.AspNetCore.Builder;

namespace LeadScore.Cli.Tests.UseCases;

/// <summary>
/// One use case, one result, whichever door it comes through: promote, import and train give the same effects from the CLI
/// and from the API (the CLI used to promote without re-scoring and to import without scoring the new leads).
/// </summary>
public sealed class SameUseCaseTests
{
    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Promote_and_import_have_the_same_effects_from_the_cli_and_the_api(string backend)
    {
        var ct = TestContext.Current.CancellationToken;
        var (store, ws, cs) = await TestStores.OpenAsync(backend);
        await using var _ = store;
        await SeedAsync(store, 600, 13, ct);
        string[] where = cs is null ? ["--workspace", ws] : ["--workspace", ws, "--database", cs];

        // Two models from the CLI; the first became champion and scored every lead.
        await CliAsync([.. where, "train", "--algorithm", "logistic", "--time-budget", "0", "--seed", "1"]);
        await CliAsync([.. where, "train", "--algorithm", "fastforest", "--time-budget", "0", "--seed", "2"]);
        var champion = (await store.GetAliasAsync(ModelAliases.Champion, ct))!;
        var other = champion == "v1" ? "v2" : "v1";

        // CLI promote: the stored scores follow the new champion (cause: new model).
        await CliAsync([.. where, "models", "promote", other]);
        await AllScoredByAsync(store, other, ScoreCause.NewModel, ct);

        // API promote: the same effect, through the re-scoring job the promotion queues.
        await using var app = await ServerHost.StartAsync(store, new WorkspaceSettings(ws, cs), "http://127.0.0.1:0", ct);
        using var client = await ClientAsync(app, store, ct);
        var promoted = JsonDocument.Parse(await (await client.PostAsync($"/api/v1/models/{champion}/promote", null, ct)).Content.ReadAsStringAsync(ct)).RootElement;
        await WaitForJobAsync(client, promoted.GetProperty("rescore_job").GetString()!, ct);
        await AllScoredByAsync(store, champion, ScoreCause.NewModel, ct);

        // CLI import of new leads scores them with the champion (cause: new data), as the API's ingestion does.
        var file = Path.Combine(TestPaths.NewTempDir("same-import"), "new-leads.csv");
        await File.WriteAllTextAsync(file, "lead_id,created_at,industry,company_size,source\nN-CLI,2026-11-20,Software,51-200,webinar\n", ct);
        var imported = await CliAsync([.. where, "import", "leads", file]);
        imported.ShouldContain("Re-scored 1 lead(s)");
        var api = await client.PostAsync("/api/v1/leads", new StringContent(
            """{"lead_id":"N-API","created_at":"2026-11-20","industry":"Software","company_size":"51-200","source":"webinar"}""", Encoding.UTF8, "application/json"), ct);
        api.StatusCode.ShouldBe(HttpStatusCode.OK, await api.Content.ReadAsStringAsync(ct));
        foreach (var id in new[] { "N-CLI", "N-API" })
        {
            var s = (await store.GetLatestScoreAsync(id, ct)).ShouldNotBeNull(id);
            (s.ModelVersion, s.Cause).ShouldBe((champion, ScoreCause.NewData), id);
        }
        // Same raw lead, same model, same clock day: the same score either way.
        (await store.GetLatestScoreAsync("N-CLI", ct))!.Score.ShouldBe((await store.GetLatestScoreAsync("N-API", ct))!.Score);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Training_from_the_cli_and_from_the_api_gives_the_same_model(string backend)
    {
        var ct = TestContext.Current.CancellationToken;
        var (cliStore, cliWs, cliCs) = await TestStores.OpenAsync(backend);
        var (apiStore, apiWs, _) = await TestStores.OpenAsync(backend);
        await using var a = cliStore;
        await using var b = apiStore;
        await SeedAsync(cliStore, 500, 17, ct);
        await SeedAsync(apiStore, 500, 17, ct);
        string[] where = cliCs is null ? ["--workspace", cliWs] : ["--workspace", cliWs, "--database", cliCs];

        var cli = JsonDocument.Parse(await CliAsync([.. where, "train", "--algorithm", "lightgbm", "--time-budget", "0", "--seed", "9", "--json"])).RootElement;

        await using var app = await ServerHost.StartAsync(apiStore, new WorkspaceSettings(apiWs, null), "http://127.0.0.1:0", ct);
        using var client = await ClientAsync(app, apiStore, ct);
        var start = await client.PostAsync("/api/v1/train", new StringContent("""{"algorithm":"lightgbm","time_budget_seconds":0,"seed":9}""", Encoding.UTF8, "application/json"), ct);
        start.StatusCode.ShouldBe(HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync(ct));
        var job = await WaitForJobAsync(client, start.Headers.Location!.ToString().Split('/')[^1], ct);

        var apiAuc = job.GetProperty("result").GetProperty("auc").GetDouble();
        cli.GetProperty("auc").GetDouble().ShouldBe(Math.Round(apiAuc, 6));
        var cliCard = JsonDocument.Parse((await cliStore.GetModelAsync("v1", ct))!.CardJson).RootElement;
        var apiCard = JsonDocument.Parse((await apiStore.GetModelAsync("v1", ct))!.CardJson).RootElement;
        foreach (var field in new[] { "algorithm", "split", "rows_train", "rows_test" })
            Prop(apiCard, field).ShouldBe(Prop(cliCard, field), field);
    }

    private static string Prop(JsonElement card, string name) =>
        card.EnumerateObject().First(p => string.Equals(p.Name.Replace("_", ""), name.Replace("_", ""), StringComparison.OrdinalIgnoreCase)).Value.ToString();

    private static async Task SeedAsync(ILeadStore store, int leads, int seed, CancellationToken ct)
    {
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = leads, Seed = seed, Start = new DateTimeOffset(2025, 10, 1, 0, 0, 0, TimeSpan.Zero) });
        await store.UpsertLeadsAsync(data.Leads, ct);
        await store.InsertActivitiesAsync(data.Activities, ct);
        await store.UpsertEnrichmentAsync(data.Enrichment, ct);
        await store.InsertOutcomesAsync(data.Outcomes, ct);
    }

    private static async Task<string> CliAsync(string[] args)
    {
        var (code, output, err) = await CliErrorTests.RunAsync(args);
        code.ShouldBe(0, $"{string.Join(' ', args)}: {err}");
        return output;
    }

    private static async Task AllScoredByAsync(ILeadStore store, string version, ScoreCause cause, CancellationToken ct)
    {
        var n = 0;
        await foreach (var s in store.StreamLatestScoresAsync(ct))
        {
            (s.ModelVersion, s.Cause).ShouldBe((version, cause), s.LeadId);
            n++;
        }
        n.ShouldBeGreaterThan(0);
    }

    private static async Task<HttpClient> ClientAsync(WebApplication app, ILeadStore store, CancellationToken ct)
    {
        var (key, record) = ApiKeys.Create("same-use-case", ApiScopes.All, DateTimeOffset.UtcNow);
        await store.SaveApiKeyAsync(record, ct);
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static async Task<JsonElement> WaitForJobAsync(HttpClient client, string id, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var job = await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}", ct);
            var status = job.GetProperty("status").GetString();
            if (status == "succeeded") return job;
            status.ShouldNotBe("failed", job.ToString());
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"job {id} did not finish");
            await Task.Delay(100, ct);
        }
    }
}
