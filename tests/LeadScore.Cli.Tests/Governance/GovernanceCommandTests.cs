using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Governance;

/// <summary><c>privacy</c>, <c>audit</c> and <c>retention</c> run as a user runs them: each action audited as the OS user.</summary>
public sealed class GovernanceCommandTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static async Task<string[]> WorkspaceAsync(string backend)
    {
        var ws = TestPaths.NewTempDir("gov-cli");
        return backend == TestStores.Postgres ? ["--workspace", ws, "--database", await TestStores.CreatePostgresDatabaseAsync()] : ["--workspace", ws];
    }

    private static Task<(int Code, string Out, string Err)> Run(string[] ws, params string[] args) => CliErrorTests.RunAsync([.. args, .. ws]);

    [Theory, MemberData(nameof(Backends))]
    public async Task Each_command_leaves_one_entry_as_the_os_user_and_verify_passes(string backend)
    {
        var ws = await WorkspaceAsync(backend);
        var leads = Path.Combine(TestPaths.NewTempDir("src"), "leads.csv");
        await File.WriteAllTextAsync(leads, "lead_id,email,company,created_at\nQX1,qx1@mail.example,Acme,2026-01-01\nQX2,qx2@mail.example,Acme,2026-01-02\n", TestContext.Current.CancellationToken);
        (await Run(ws, "import", "leads", leads)).Code.ShouldBe(0);

        (await Run(ws, "apikey", "create", "--name", "crm", "--scopes", "score")).Code.ShouldBe(0);
        (await Run(ws, "privacy", "opt-out", "QX1")).Code.ShouldBe(0);
        var export = await Run(ws, "privacy", "export", "QX1");
        var erase = await Run(ws, "privacy", "erase", "QX2");
        var missing = await Run(ws, "privacy", "erase", "never-was");
        var list = await Run(ws, "audit", "list", "--json");
        var verify = await Run(ws, "audit", "verify");

        export.Code.ShouldBe(0);
        JsonDocument.Parse(export.Out).RootElement.GetProperty("lead").GetProperty("profiling_opt_out").GetBoolean().ShouldBeTrue();
        erase.Code.ShouldBe(0);
        erase.Out.ShouldContain("Erased lead 'QX2'");
        missing.Code.ShouldBe(ExitCodes.Failure);
        missing.Err.ShouldContain("nothing is stored about lead 'never-was'");
        var entries = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var byAction = entries.Where(e => e.GetProperty("action").GetString() != "setting.change").Select(e => e.GetProperty("action").GetString()).ToList();
        byAction.ShouldBe(["privacy.erase", "privacy.export", "privacy.opt_out", "key.create"]);
        entries.ShouldAllBe(e => e.GetProperty("actor").GetString() == $"cli:{Environment.UserName}");
        list.Out.ShouldNotContain("QX1");
        list.Out.ShouldNotContain("QX2");
        verify.Code.ShouldBe(0, verify.Err);
        verify.Out.ShouldContain($"{entries.Count} entries");
        (await Run(ws, "audit", "list", "--lead", "QX1")).Out.ShouldContain("privacy.opt_out");
        (await Run(ws, "retention", "run", "--dry-run")).Out.ShouldContain("would be deleted");
    }
}
