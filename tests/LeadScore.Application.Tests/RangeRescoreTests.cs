using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Jobs;
using LeadScore.Application.Modeling;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests;

/// <summary>A re-scoring job cut into lead-id ranges, run by one process alone (the CLI's case), on SQLite and PostgreSQL.</summary>
public sealed class RangeRescoreTests
{
    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_lone_runner_works_through_every_range_and_scores_each_lead_exactly_once(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var services = AppServices.For(store, settings: new Dictionary<string, string?> { ["LeadScore:Jobs:RescoreRangeSize"] = "7" });
        // A flat (visits, source) model compiled for serving, registered the way the registry stores servable models.
        await SmallModels.RegisterAsync(services.Get<ModelRegistry>());
        await services.Get<IScoringService>().ReloadAsync();
        var rng = new Random(3);
        // Ids whose ordinal and linguistic orders differ (case, digits vs letters), so the cut is tested where collations disagree.
        var ids = Enumerable.Range(0, 50).Select(i => (i % 3) switch { 0 => $"a{i:D2}", 1 => $"B{i:D2}", _ => $"{i:D2}x" }).ToList();
        await store.UpsertLeadsAsync(ids.Select(id => new Lead
        {
            Id = id,
            CreatedAt = DateTimeOffset.UtcNow.AddDays(-30),
            Attributes = new Dictionary<string, string?> { ["visits"] = rng.Next(0, 20).ToString(CultureInfo.InvariantCulture), ["source"] = "web" },
        }).ToList());

        var job = await services.Get<JobQueue>().EnqueueRescoreAsync();
        var done = (await services.Get<JobRunner>().RunNowAsync(job.Id, null, TestContext.Current.CancellationToken)).ShouldNotBeNull();

        done.Status.ShouldBe(JobStatus.Succeeded, done.Message);
        var result = JsonSerializer.Deserialize(done.ResultJson!, JobJsonContext.Default.RescoreJobResult)!;
        result.Rescored.ShouldBe(50);
        result.Ranges.ShouldBe(8);
        for (var r = 0; r < 8; r++)
        {
            var range = (await store.GetJobAsync($"{job.Id}-a1-r{r:D3}")).ShouldNotBeNull();
            range.Status.ShouldBe(JobStatus.Succeeded);
            range.Attempts.ShouldBe(1);
        }
        foreach (var id in ids) (await store.GetScoreHistoryAsync(id)).Count(s => s.Cause == ScoreCause.NewModel).ShouldBe(1, id);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Ranges_cut_at_the_boundaries_cover_every_lead_once_in_id_order(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var ids = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? "L" : "l") + i.ToString("D3", CultureInfo.InvariantCulture)).ToList();
        await store.UpsertLeadsAsync(ids.Select(id => new Lead { Id = id, CreatedAt = DateTimeOffset.UtcNow }).ToList());
        await store.InsertActivitiesAsync(ids.Select(id => new Activity { EventId = "e-" + id, LeadId = id, Type = "page_view", Timestamp = DateTimeOffset.UtcNow.AddDays(-1) }).ToList());

        var boundaries = await store.GetLeadIdBoundariesAsync(6);
        boundaries.Count.ShouldBe(5);
        var seen = new List<string>();
        var activities = 0;
        foreach (var range in LeadIdRange.Cut(boundaries))
        {
            var part = new List<string>();
            await foreach (var lead in store.StreamLeadsAsync(range)) part.Add(lead.Id);
            part.ShouldBe(part.Order(StringComparer.Ordinal).ToList(), "ordinal order within a range, for the merge with activities and scores");
            await foreach (var a in store.StreamActivitiesAsync(range))
            {
                part.ShouldContain(a.LeadId);
                activities++;
            }
            seen.AddRange(part);
        }
        seen.Order(StringComparer.Ordinal).ShouldBe(ids.Order(StringComparer.Ordinal));
        activities.ShouldBe(40);
    }
}
