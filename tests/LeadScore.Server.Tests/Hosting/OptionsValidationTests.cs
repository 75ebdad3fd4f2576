using LeadScore.TestKit;
using Microsoft.Extensions.Options;

namespace LeadScore.Server.Tests.Hosting;

/// <summary>Options are bound and validated when the host starts: a bad value stops the start with the setting named.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("LeadScore:Maintenance:ChampionReloadInterval", "00:00:00", "ChampionReloadInterval")]
    [InlineData("LeadScore:Maintenance:TimePassingRescore", "-00:00:01", "TimePassingRescore")]
    [InlineData("LeadScore:Maintenance:LeaderLease", "02:00:00", "LeaderLease")]
    [InlineData("LeadScore:Jobs:Lease", "00:00:00", "Lease")]
    public async Task A_server_with_an_invalid_setting_does_not_start_and_names_it(string key, string value, string member)
    {
        var ex = await Should.ThrowAsync<OptionsValidationException>(() =>
            LeadScoreApplication.StartAsync(TestStores.Sqlite, settings: new Dictionary<string, string?> { [key] = value }));
        ex.Message.ShouldContain(member);
    }
}
