using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Jobs;
using LeadScore.Application.Modeling;
using LeadScore.Application.Monitoring;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests;

/// <summary>
/// What the daily re-scoring writes (issue 13's simulated year): time passing stores a new score only when the champion's
/// 0-100 score or grade changed, and an import does not re-score a won or lost lead (its last score before the outcome is
/// kept, issue 11). On SQLite and PostgreSQL, through the product's use cases.
/// </summary>
public sealed class TimePassingKeepTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static List<JsonElement> Items(string json) => JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();

    private static string LeadsJson(params (string Id, int Visits)[] leads) =>
        "[" + string.Join(",", leads.Select(l => string.Create(CultureInfo.InvariantCulture,
            $$"""{"lead_id":"{{l.Id}}","created_at":"2026-02-20T00:00:00Z","visits":"{{l.Visits}}","source":"web"}"""))) + "]";

    private static async Task<List<LoggedPrediction>> ChampionLogAsync(ILeadStore store)
    {
        var list = new List<LoggedPrediction>();
        await foreach (var p in store.StreamPredictionsAsync(T0.AddDays(-10), T0.AddDays(10), null, PredictionSlots.Champion)) list.Add(p);
        return list;
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Time_passing_stores_only_changed_scores_logs_every_lead_it_scored_and_skips_leads_scored_this_instant(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var services = AppServices.For(store, time: time);
        await SmallModels.RegisterAsync(services.Get<ModelRegistry>());
        var scoring = services.Get<IScoringService>();
        await scoring.ReloadAsync();
        var log = services.Get<PredictionLogger>();
        var ct = TestContext.Current.CancellationToken;

        // The import scores the three leads now (new data).
        var imported = await services.Get<IngestionService>().ImportItemsAsync(ImportKind.Leads, Items(LeadsJson(("a1", 3), ("a2", 12), ("a3", 18))), ct);
        imported.Rescored.ShouldBe(3);

        // Time passing at the same instant: each lead was scored now by the same model, so it is neither scored again nor logged twice.
        (await scoring.RescoreAllAsync(ScoreCause.TimePassing, ct: ct)).ShouldBe(3);
        await log.FlushAsync(ct);
        foreach (var id in new[] { "a1", "a2", "a3" }) (await store.GetScoreHistoryAsync(id, ct)).Count.ShouldBe(1, id);
        (await ChampionLogAsync(store)).Count.ShouldBe(3);

        // a3's stored probability is one step off what the model gives (its 0-100 score and grade the same): as a score made
        // from slightly different data would be. What a person sees is the same, so time passing keeps it.
        var a3 = (await store.GetLatestScoreAsync("a3", ct)).ShouldNotBeNull();
        var nudged = a3 with { Probability = Math.BitIncrement(a3.Probability) };
        Engine.Scoring.GradeBands.ScoreOf(nudged.Probability).ShouldBe(a3.Score);
        await store.SaveScoresAsync([nudged], ct);

        // A day later a2's data differs from what its score was made from (written without a re-score); the others are as they were.
        time.Advance(TimeSpan.FromDays(1));
        var before = (await store.GetLatestScoreAsync("a2", ct)).ShouldNotBeNull();
        await store.UpsertLeadsAsync([new Lead { Id = "a2", CreatedAt = new DateTimeOffset(2026, 2, 20, 0, 0, 0, TimeSpan.Zero),
            Attributes = new Dictionary<string, string?> { ["visits"] = "19", ["source"] = "web" } }], ct);

        // The leader's time-passing job (ranges, checkpoints, webhooks): every open lead is scored, only a2's score is stored anew.
        var job = (await services.Get<TimePassingRescore>().QueueAsync(ct)).ShouldNotBeNull();
        var done = (await services.Get<JobRunner>().RunNowAsync(job.Id, null, ct)).ShouldNotBeNull();
        done.Status.ShouldBe(JobStatus.Succeeded, done.Message);
        JsonSerializer.Deserialize(done.ResultJson!, JobJsonContext.Default.RescoreJobResult)!.Rescored.ShouldBe(3);
        await log.FlushAsync(ct);

        foreach (var id in new[] { "a1", "a3" })
        {
            (await store.GetScoreHistoryAsync(id, ct)).Count.ShouldBe(id == "a3" ? 2 : 1, $"{id}: the same score and grade, nothing stored");
            (await store.GetLatestScoreAsync(id, ct)).ShouldNotBeNull().ScoredAt.ShouldBe(T0, id);
        }
        (await store.GetLatestScoreAsync("a3", ct)).ShouldNotBeNull().Probability.ShouldBe(nudged.Probability, 0.0, "kept whole, not rewritten with today's probability");
        var history = await store.GetScoreHistoryAsync("a2", ct);
        history.Count.ShouldBe(2);
        var after = (await store.GetLatestScoreAsync("a2", ct)).ShouldNotBeNull();
        (after.Cause, after.ScoredAt).ShouldBe((ScoreCause.TimePassing, T0.AddDays(1)));
        after.Probability.ShouldBeGreaterThan(before.Probability);
        StoredReasons.Read(after.ReasonsJson).ShouldNotBeEmpty("a stored score carries its reasons");
        // Monitoring still sees every lead the day's round scored (the lead at its age), kept or not.
        (await ChampionLogAsync(store)).Where(p => p.PredictedAt == T0.AddDays(1)).Select(p => p.LeadId).Order(StringComparer.Ordinal)
            .ShouldBe(["a1", "a2", "a3"]);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task An_import_does_not_rescore_a_won_or_lost_lead_and_a_reopened_lead_is_rescored_again(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var services = AppServices.For(store, time: time);
        await SmallModels.RegisterAsync(services.Get<ModelRegistry>());
        await services.Get<IScoringService>().ReloadAsync();
        var ingestion = services.Get<IngestionService>();
        var ct = TestContext.Current.CancellationToken;
        (await ingestion.ImportItemsAsync(ImportKind.Leads, Items(LeadsJson(("w", 5), ("l", 9), ("o", 14))), ct)).Rescored.ShouldBe(3);

        // The outcomes arrive: the won and the lost lead keep the score they had before it.
        time.Advance(TimeSpan.FromDays(1));
        var outcomes = await ingestion.ImportItemsAsync(ImportKind.Outcomes, Items("""
            [{"lead_id":"w","outcome":"converted","date":"2026-03-02"},{"lead_id":"l","outcome":"lost","date":"2026-03-02"}]
            """), ct);
        (outcomes.Summary.Inserted, outcomes.Rescored).ShouldBe((2L, 0));

        // New data for all three: only the open lead is re-scored.
        time.Advance(TimeSpan.FromDays(1));
        (await ingestion.ImportItemsAsync(ImportKind.Leads, Items(LeadsJson(("w", 19), ("l", 19), ("o", 19))), ct)).Rescored.ShouldBe(1);
        (await store.GetScoreHistoryAsync("w", ct)).Count.ShouldBe(1);
        (await store.GetScoreHistoryAsync("l", ct)).Count.ShouldBe(1);
        (await store.GetScoreHistoryAsync("o", ct)).Count.ShouldBe(2);

        // Reopened: open again, so the outcome's import re-scores it.
        time.Advance(TimeSpan.FromDays(1));
        (await ingestion.ImportItemsAsync(ImportKind.Outcomes, Items("""[{"lead_id":"l","outcome":"reopened","date":"2026-03-04"}]"""), ct)).Rescored.ShouldBe(1);
        var latest = (await store.GetLatestScoreAsync("l", ct)).ShouldNotBeNull();
        (latest.Cause, latest.ScoredAt).ShouldBe((ScoreCause.NewData, T0.AddDays(3)));
    }
}
