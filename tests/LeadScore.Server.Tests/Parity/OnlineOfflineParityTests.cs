using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Synthetic;
using LeadScore.Server.Api;
using LeadScore.Server.Endpoints;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Parity;

/// <summary>
/// The promise of one set of value rules: the same raw lead gets the same feature vector and the same probability whether it
/// arrives as a file import (and is scored from the store) or in a POST /score body, on a simulated clock shared by both.
/// </summary>
public sealed class OnlineOfflineParityTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_raw_lead_imported_from_files_and_posted_to_score_gets_the_same_vector_and_probability(string backend)
    {
        // Given: a workspace model trained on demo history, served on a simulated clock.
        var time = new ManualTime(Now);
        var (store, ws, _) = await TestStores.OpenAsync(backend, time);
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 600, Seed = 11, Start = Now.AddDays(-380) });
        await store.UpsertLeadsAsync(data.Leads);
        await store.InsertActivitiesAsync(data.Activities);
        await store.UpsertEnrichmentAsync(data.Enrichment);
        await store.InsertOutcomesAsync(data.Outcomes);
        await using var app = await LeadScoreApplication.StartAsync(store, ws, time: time);
        var (run, rescoreJob) = await app.Service<ModelLifecycle>().TrainWorkspaceAsync(new WorkspaceTrainingRequest
        {
            Options = new TrainingOptions { Algorithm = ModelAlgorithm.LightGbm, TimeBudget = TimeSpan.Zero, MaxTrials = 0, Seed = 3 },
        }, ct: TestContext.Current.CancellationToken);
        run.Registration.Promoted.ShouldBeTrue();
        // The new champion's re-scoring job runs in the server's worker: let it finish, so the scores below are the import's.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await store.GetJobAsync(rescoreJob!))!.Status is not (LeadScore.Storage.JobStatus.Succeeded or LeadScore.Storage.JobStatus.Failed))
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "the re-scoring job did not finish");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        var model = app.Service<IScoringService>().Champion!;
        var template = data.Leads.First(l => l.Get(LeadFields.Domain) is not null && data.Enrichment.Any(e => e.Domain == l.Get(LeadFields.Domain)));

        // When: the raw lead and its activities come in as files, with the CRM's placeholders, mixed-case types and its own date format...
        var dir = TestPaths.NewTempDir("parity");
        var leads = Path.Combine(dir, "leads.csv");
        await File.WriteAllTextAsync(leads,
            "lead_id,created_at,company,domain,industry,company_size,country,job_title,source\n" +
            $"P-1,{Now.AddDays(-20):dd/MM/yyyy HH:mm},{C(LeadFields.Company)},{C(LeadFields.Domain)},Select,{C(LeadFields.CompanySize)},unknown,{C(LeadFields.JobTitle)},{C(LeadFields.Source)}\n");
        string C(string field) => LeadScore.Application.Exports.CsvText.Escape(template.Get(field));
        var mapping = Path.Combine(dir, "leads.mapping.json");
        await File.WriteAllTextAsync(mapping, """{"id":"lead_id","timestamp":"created_at","date_formats":["dd/MM/yyyy HH:mm"]}""");
        var acts = Path.Combine(dir, "activities.csv");
        string[] types = ["Page View", "PAGE_VIEW", "page-view", "Email Open", " email_click ", "Meeting"];
        await File.WriteAllTextAsync(acts, "event_id,lead_id,type,timestamp,url\n" + string.Concat(types.Select((t, i) =>
            $"E{i},P-1,{t},{Now.AddDays(-10 + i):yyyy-MM-ddTHH:mm:ssZ},{(i < 3 ? "/pricing" : "")}\n")));
        var ingestion = app.Service<IngestionService>();
        var m = ImportMapping.Load(mapping);
        var importedLead = await ingestion.ImportFileAsync(ingestion.Importer.Plan(ImportKind.Leads, leads, m), leads, ct: TestContext.Current.CancellationToken);
        importedLead.Summary.Accepted.ShouldBe(1, string.Join("; ", importedLead.Summary.Errors));
        importedLead.Rescored.ShouldBe(1);
        var imported = await ingestion.ImportFileAsync(ingestion.Importer.Plan(ImportKind.Activities, acts, null), acts, ct: TestContext.Current.CancellationToken);
        imported.Summary.Accepted.ShouldBe(types.Length, string.Join("; ", imported.Summary.Errors));
        imported.Rescored.ShouldBe(1);

        // ...and the same lead is posted to /score as a CRM would send it.
        var body = new
        {
            id = "P-1",
            created_at = Now.AddDays(-20),
            attributes = new Dictionary<string, string?>
            {
                ["company"] = template.Get(LeadFields.Company), ["domain"] = template.Get(LeadFields.Domain), ["industry"] = "Select",
                ["company_size"] = template.Get(LeadFields.CompanySize), ["country"] = "unknown", ["job_title"] = template.Get(LeadFields.JobTitle),
                ["source"] = template.Get(LeadFields.Source),
            },
            activities = types.Select((t, i) => new { event_id = $"E{i}", type = t, timestamp = Now.AddDays(-10 + i), url = i < 3 ? "/pricing" : null }).ToArray(),
        };
        var json = JsonSerializer.Serialize(body, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
        using var client = await app.AdminClientAsync();
        var response = await client.PostAsync("/api/v1/score", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var online = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        // Then: the feature vectors are identical, value by value...
        var stored = (await store.GetLeadAsync("P-1"))!;
        var storedActs = await store.GetActivitiesAsync("P-1", Now);
        var domain = model.Features.EnrichmentDomain(stored);
        var enrichment = domain is null ? [] : await store.GetEnrichmentAsync(domain);
        var offlineRow = model.Row(stored, storedActs, enrichment, Now);
        var input = JsonSerializer.Deserialize<LeadInput>(json, JsonOpts)!;
        var (apiLead, apiActs) = ScoringEndpoints.ToDomain(input, Now);
        var onlineRow = model.Row(apiLead, apiActs.OrderBy(a => a.Timestamp).ToList(), enrichment, Now);
        var names = model.Engine.Encoder.Features.Select(f => f.Name).ToList();
        for (var i = 0; i < names.Count; i++) onlineRow[i].ShouldBe(offlineRow[i], $"feature {names[i]}");
        onlineRow[names.IndexOf("industry")].IsMissing.ShouldBeTrue("'Select' means missing on both paths");
        storedActs.Select(a => a.Type).Distinct().Order().ShouldBe(["email_click", "email_open", "meeting", "page_view"]);

        // ...and so are the probabilities: the stored score (re-scored after the import) and the API's.
        var score = (await store.GetLatestScoreAsync("P-1"))!;
        score.Cause.ShouldBe(ScoreCause.NewData);
        score.ScoredAt.ShouldBe(Now);
        online.GetProperty("probability").GetDouble().ShouldBe(score.Probability);
        online.GetProperty("score").GetInt32().ShouldBe(score.Score);
    }

    private static readonly JsonSerializerOptions JsonOpts = CreateApiJson();

    private static JsonSerializerOptions CreateApiJson()
    {
        var o = new JsonSerializerOptions();
        LeadScoreServer.Strict(o);
        return o;
    }
}
