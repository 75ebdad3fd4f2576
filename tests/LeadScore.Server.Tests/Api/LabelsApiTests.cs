using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Scoring;
using LeadScore.Server.Tests.Dashboard;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>
/// Value labels and display names (issue 17) over HTTP: POST /score, stored leads (GET /leads/{id}) and the dashboard's
/// lead page read the workspace's labels, and a changed label applies without retraining.
/// </summary>
public sealed class LabelsApiTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    /// <summary>The labels an import with this mapping stores (the same merge the import use case runs).</summary>
    internal static Task LabelAsync(ILeadStore store, string eventLabel) =>
        LabelSettings.MergeAsync(store, FeatureLabels.FromMapping(ImportMapping.Parse($$"""
            { "labels": { "source": { "event": "{{eventLabel}}", "web": "Website" } }, "display_names": { "source": "Lead source" } }
            """)), DateTimeOffset.UtcNow);

    private static List<string> Texts(JsonElement reasons) => reasons.EnumerateArray().Select(r => r.GetProperty("text").GetString()!).ToList();

    [Theory, MemberData(nameof(Backends))]
    public async Task Score_stored_leads_and_the_dashboard_read_the_labels_and_a_new_label_needs_no_retraining(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: async store =>
        {
            await TestModels.SeedChampionAsync(store);
            await LabelAsync(store, "Trade show");
        });
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score, ApiScopes.Ingest));

        // POST /score: the reason names the column and the value as the mapping says; the value stays the code.
        var scored = JsonDocument.Parse(await (await client.PostAsync("/api/v1/score", Json("""{"id":"hot","attributes":{"visits":18,"source":"event"}}"""))).Content.ReadAsStringAsync()).RootElement;
        var source = scored.GetProperty("reasons").EnumerateArray().Single(r => r.GetProperty("feature").GetString() == "source");
        source.GetProperty("text").GetString().ShouldBe("Lead source: Trade show");
        source.GetProperty("value").GetString().ShouldBe("event");

        // A stored lead: scored on ingest, its reasons read back with the labels.
        var ingest = await client.PostAsync("/api/v1/leads", Json("""{"lead_id":"L1","created_at":"2026-03-01T09:00:00Z","visits":"19","source":"event","company":"Initech"}"""));
        ingest.StatusCode.ShouldBe(HttpStatusCode.OK);
        var lead = JsonDocument.Parse(await client.GetStringAsync("/api/v1/leads/L1")).RootElement;
        Texts(lead.GetProperty("score").GetProperty("reasons")).ShouldContain("Lead source: Trade show");

        // The dashboard's lead page: display names and labels beside the stored values.
        var (dash, _, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score));
        var page = JsonDocument.Parse(await dash.GetStringAsync("/dashboard/api/lead?id=L1")).RootElement;
        var row = page.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "source");
        row.GetProperty("display_name").GetString().ShouldBe("Lead source");
        row.GetProperty("label").GetString().ShouldBe("Trade show");
        row.GetProperty("value").GetString().ShouldBe("event");
        var visits = page.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "visits");
        visits.GetProperty("display_name").GetString().ShouldBe("Visits");
        visits.GetProperty("label").ValueKind.ShouldBe(JsonValueKind.Null);

        // A new label: the same model (v1) serves at its next reload with the new words and the same probability.
        await LabelAsync(app.Store, "Conference");
        await app.Service<IScoringService>().ReloadAsync();
        var again = JsonDocument.Parse(await (await client.PostAsync("/api/v1/score", Json("""{"id":"hot","attributes":{"visits":18,"source":"event"}}"""))).Content.ReadAsStringAsync()).RootElement;
        again.GetProperty("model_version").GetString().ShouldBe("v1");
        again.GetProperty("probability").GetDouble().ShouldBe(scored.GetProperty("probability").GetDouble());
        Texts(again.GetProperty("reasons")).ShouldContain("Lead source: Conference");
    }
}
