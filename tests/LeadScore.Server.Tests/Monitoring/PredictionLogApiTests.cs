using System.Net;
using System.Text;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Monitoring;

/// <summary>POST /score and /score/batch log through the server's background writer (the request only enqueues).</summary>
public sealed class PredictionLogApiTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    /// <summary>Waits for the background writer (not a timed assertion: the count is checked, the wait only bounds a hang).</summary>
    internal static async Task<long> WaitForLoggedAsync(ILeadStore store, long expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long n;
        while ((n = await store.CountPredictionsAsync()) < expected && DateTime.UtcNow < deadline) await Task.Delay(50);
        return n;
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Single_and_batch_scores_are_logged_with_slot_version_and_source_api(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        (await client.PostAsync("/api/v1/score", Json("""{"id":"hot","attributes":{"visits":18,"source":"event"}}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var leads = Enumerable.Range(0, 20).Select(i => "{\"id\":\"b" + i + "\",\"attributes\":{\"visits\":" + i + ",\"source\":\"web\"}}");
        (await client.PostAsync("/api/v1/score/batch?explain=false", Json("{\"leads\":[" + string.Join(",", leads) + "]}"))).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await WaitForLoggedAsync(app.Store, 21)).ShouldBe(21);
        var logged = new List<LoggedPrediction>();
        await foreach (var p in app.Store.StreamPredictionsAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow.AddDays(1))) logged.Add(p);
        logged.ShouldAllBe(p => p.Source == PredictionSources.Api && p.Slot == PredictionSlots.Champion && p.ModelVersion == "v1" && p.Features != null);
        logged.Select(p => p.LeadId).ShouldBe(new[] { "hot" }.Concat(Enumerable.Range(0, 20).Select(i => "b" + i)), ignoreOrder: true);
        app.Service<PredictionLogger>().Dropped.ShouldBe(0);
    }
}
