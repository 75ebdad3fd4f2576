namespace LeadScore.Server.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Repository_root_is_found() => File.Exists(Path.Combine(LeadScore.TestKit.TestPaths.RepoRoot, "LeadScore.slnx")).ShouldBeTrue();
}
