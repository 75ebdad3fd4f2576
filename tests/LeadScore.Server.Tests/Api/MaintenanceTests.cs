using System.Net.Http.Json;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>Served scores stay current without requests: another instance's promotion is picked up, and time passing re-scores.</summary>
public sealed class MaintenanceTests
{
    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_champion_changed_elsewhere_is_picked_up_and_time_passing_rescores_open_leads_but_not_closed_ones(string backend)
    {
        // A won lead and a lost lead, closed before the server starts (so no re-score can see them open): time passing must
        // leave their last score alone.
        var attributes = new Dictionary<string, string?> { ["visits"] = "3", ["source"] = "web" };
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: async store =>
        {
            await TestModels.SeedChampionAsync(store);
            await store.UpsertLeadsAsync([
                new Lead { Id = "L2", CreatedAt = DateTimeOffset.UtcNow.AddDays(-9), Attributes = attributes },
                new Lead { Id = "L3", CreatedAt = DateTimeOffset.UtcNow.AddDays(-9), Attributes = attributes },
            ]);
            await store.InsertOutcomesAsync([
                new Outcome { LeadId = "L2", Kind = OutcomeKind.Converted, At = DateTimeOffset.UtcNow.AddDays(-1) },
                new Outcome { LeadId = "L3", Kind = OutcomeKind.Lost, At = DateTimeOffset.UtcNow.AddDays(-1) },
            ]);
        }, settings: new Dictionary<string, string?>
        {
            ["LeadScore:Maintenance:ChampionReloadInterval"] = "00:00:00.200",
            ["LeadScore:Maintenance:TimePassingRescore"] = "00:00:00.500",
        });
        await app.Store.UpsertLeadsAsync([new Lead
        {
            Id = "L1", CreatedAt = DateTimeOffset.UtcNow.AddDays(-3),
            Attributes = new Dictionary<string, string?> { ["visits"] = "12", ["source"] = "event" },
        }], TestContext.Current.CancellationToken);

        // Time passing: the stored open lead gets a score with that cause, without any request; the closed ones do not.
        await Eventually(async () => (await app.Store.GetScoreHistoryAsync("L1")).Any(s => s.Cause == ScoreCause.TimePassing));
        (await app.Store.GetScoreHistoryAsync("L2")).ShouldNotContain(s => s.Cause == ScoreCause.TimePassing);
        (await app.Store.GetScoreHistoryAsync("L3")).ShouldNotContain(s => s.Cause == ScoreCause.TimePassing);

        // Another instance (here: the store directly) trains and promotes v2; this instance serves it soon after.
        var v2 = await TestModels.TrainAndRegisterAsync(app.Store, seed: 9, trees: 10);
        await app.Store.SetAliasAsync(ModelAliases.Champion, v2.Version, TestContext.Current.CancellationToken);
        using var client = app.CreateClient();
        await Eventually(async () =>
        {
            using var ready = JsonDocument.Parse(await client.GetStringAsync("/health/ready"));
            return ready.RootElement.GetProperty("champion").GetString() == v2.Version;
        });
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "condition not met within 30 s");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
