using System.Net;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

public sealed class LeadEndpointTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static async Task SeedAsync(LeadScoreApplication app)
    {
        await app.Store.UpsertLeadsAsync([TestData.Lead("L1"), TestData.Lead("L2", "Globex, Inc."), TestData.Lead("L3"), TestData.Lead("L4")]);
        await app.Store.SaveScoresAsync([TestData.Score("L1", 40, "C"), TestData.Score("L2", 90, "A"), TestData.Score("L3", 70, "A")]);
        await app.Store.SaveScoresAsync([TestData.Score("L1", 55, "B", TestData.T0.AddDays(1), ScoreCause.NewModel, "m2")]);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_lead_comes_with_its_latest_score_and_reasons(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await SeedAsync(app);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        var lead = JsonDocument.Parse(await client.GetStringAsync("/api/v1/leads/L1")).RootElement;
        var unscored = JsonDocument.Parse(await client.GetStringAsync("/api/v1/leads/L4")).RootElement;
        var missing = await client.GetAsync("/api/v1/leads/nope");

        lead.GetProperty("id").GetString().ShouldBe("L1");
        lead.GetProperty("attributes").GetProperty("company").GetString().ShouldBe("Acme");
        lead.GetProperty("company").GetString().ShouldBe("Acme");
        lead.GetProperty("status").GetString().ShouldBe("open");
        var score = lead.GetProperty("score");
        score.GetProperty("score").GetInt32().ShouldBe(55);
        score.GetProperty("grade").GetString().ShouldBe("B");
        score.GetProperty("model_version").GetString().ShouldBe("m2");
        score.GetProperty("cause").GetString().ShouldBe("new_model");
        score.GetProperty("reasons")[0].GetProperty("text").GetString().ShouldBe("Visited the pricing page 3 times in the last 7 days");
        unscored.GetProperty("score").ValueKind.ShouldBe(JsonValueKind.Null);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        missing.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Score_history_is_newest_first_with_cause_and_model(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await SeedAsync(app);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        var history = JsonDocument.Parse(await client.GetStringAsync("/api/v1/leads/L1/scores")).RootElement.GetProperty("scores");

        history.GetArrayLength().ShouldBe(2);
        history[0].GetProperty("cause").GetString().ShouldBe("new_model");
        history[0].GetProperty("model_version").GetString().ShouldBe("m2");
        history[1].GetProperty("cause").GetString().ShouldBe("new_data");
        history[1].GetProperty("score").GetInt32().ShouldBe(40);
        (await client.GetAsync("/api/v1/leads/nope/scores")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Listing_returns_the_best_leads_of_a_grade_up_to_the_limit(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await SeedAsync(app);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        var all = JsonDocument.Parse(await client.GetStringAsync("/api/v1/leads?sort=score&limit=50")).RootElement.GetProperty("leads");
        var a = JsonDocument.Parse(await client.GetStringAsync("/api/v1/leads?grade=a&limit=1")).RootElement.GetProperty("leads");

        all.EnumerateArray().Select(l => l.GetProperty("lead_id").GetString()).ShouldBe(["L2", "L3", "L1"]);
        a.GetArrayLength().ShouldBe(1);
        a[0].GetProperty("lead_id").GetString().ShouldBe("L2");
        (await client.GetAsync("/api/v1/leads?grade=A1")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.GetAsync("/api/v1/leads?limit=1001")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        all[0].GetProperty("status").GetString().ShouldBe("open");
        all[0].GetProperty("company").GetString().ShouldBe("Globex, Inc.");

        // The listing defaults to open leads; closed ones on request.
        await app.Store.InsertOutcomesAsync([new Outcome { LeadId = "L2", Kind = OutcomeKind.Converted, At = TestData.T0.AddDays(2) }]);
        await app.Store.InsertOutcomesAsync([new Outcome { LeadId = "L3", Kind = OutcomeKind.Lost, At = TestData.T0.AddDays(2) }]);
        string[] Ids(string query) => JsonDocument.Parse(client.GetStringAsync("/api/v1/leads" + query).GetAwaiter().GetResult()).RootElement.GetProperty("leads")
            .EnumerateArray().Select(l => l.GetProperty("lead_id").GetString() + ":" + l.GetProperty("status").GetString()).ToArray();
        Ids("").ShouldBe(["L1:open"]);
        Ids("?status=open").ShouldBe(["L1:open"]);
        Ids("?status=won").ShouldBe(["L2:won"]);
        Ids("?status=lost").ShouldBe(["L3:lost"]);
        Ids("?status=closed").ShouldBe(["L2:won", "L3:lost"]);
        Ids("?status=all").ShouldBe(["L2:won", "L3:lost", "L1:open"]);
        var bad = await client.GetAsync("/api/v1/leads?status=done");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("\"status\"");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_company_the_schema_marks_personal_is_shown_only_to_a_personal_data_key(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await SeedAsync(app);
        await app.Store.SaveSettingAsync(SettingNames.LeadSchema, """[{"Name":"company","Kind":"Categorical","IsPersonal":true}]""", TestData.T0);
        using var plain = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));
        using var personal = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score, ApiScopes.PersonalData));

        var hidden = JsonDocument.Parse(await plain.GetStringAsync("/api/v1/leads/L2")).RootElement;
        var shown = JsonDocument.Parse(await personal.GetStringAsync("/api/v1/leads/L2")).RootElement;
        var listed = JsonDocument.Parse(await plain.GetStringAsync("/api/v1/leads")).RootElement.GetProperty("leads")[0];
        var exported = (await plain.GetStringAsync("/api/v1/leads/export")).Split('\n');

        hidden.GetProperty("company").ValueKind.ShouldBe(JsonValueKind.Null);
        shown.GetProperty("company").GetString().ShouldBe("Globex, Inc.");
        listed.GetProperty("company").ValueKind.ShouldBe(JsonValueKind.Null);
        exported.ShouldContain(l => l.StartsWith("L2,open,,90,A,"));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Export_streams_every_lead_as_csv_with_scores_and_top_reasons(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await SeedAsync(app);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        var r = await client.GetAsync("/api/v1/leads/export?format=csv");
        var lines = (await r.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');

        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        lines[0].ShouldBe("lead_id,status,company,score,grade,probability,model_version,scored_at,reason_1,reason_2,reason_3,horizon_days");
        lines.Length.ShouldBe(5);
        // m2 is not a stored version, so its horizon is unknown: the last cell stays empty, as for models trained before horizons.
        lines.ShouldContain("L1,open,Acme,55,B,0.55,m2,2026-03-02T09:00:00Z,Visited the pricing page 3 times in the last 7 days,Came from the website,,");
        lines.ShouldContain("L2,open,\"Globex, Inc.\",90,A,0.9,m1,2026-03-01T09:00:00Z,Visited the pricing page 3 times in the last 7 days,Came from the website,,");
        lines.ShouldContain("L4,open,Acme,,,,,,,,,");

        // Open leads by default; closed ones on request; a formula in a company is neutralised.
        await app.Store.UpsertLeadsAsync([TestData.Lead("L5", "=cmd|' /C calc'!A0")]);
        await app.Store.InsertOutcomesAsync([new Outcome { LeadId = "L3", Kind = OutcomeKind.Converted, At = TestData.T0.AddDays(3) }]);
        string[] Rows(string query) => client.GetStringAsync("/api/v1/leads/export" + query).GetAwaiter().GetResult().TrimEnd('\n').Split('\n').Skip(1).ToArray();
        Rows("").Select(l => l.Split(',')[0]).ShouldBe(["L1", "L2", "L4", "L5"]);
        Rows("?status=won").Select(l => l.Split(',')[0] + ":" + l.Split(',')[1]).ShouldBe(["L3:won"]);
        Rows("?status=closed").Length.ShouldBe(1);
        Rows("?status=all").Length.ShouldBe(5);
        Rows("").Last().ShouldStartWith("L5,open,\"'=cmd|' /C calc'!A0\"");
        (await client.GetAsync("/api/v1/leads/export?status=maybe")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.GetAsync("/api/v1/leads/export?format=xlsx")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}
