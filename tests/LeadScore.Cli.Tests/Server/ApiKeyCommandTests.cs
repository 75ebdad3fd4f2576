using LeadScore.Application.Security;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Server;

public sealed class ApiKeyCommandTests
{
    [Fact]
    public async Task Create_prints_the_key_once_stores_only_its_hash_and_list_and_revoke_work()
    {
        var ws = TestPaths.NewTempDir();

        var (code, key, err) = await CliErrorTests.RunAsync("--workspace", ws, "apikey", "create", "--name", "crm", "--scopes", "score,ingest,admin");
        var (listCode, list, _) = await CliErrorTests.RunAsync("--workspace", ws, "apikey", "list");
        var (revokeCode, _, _) = await CliErrorTests.RunAsync("--workspace", ws, "apikey", "revoke", "crm");
        var (againCode, _, againErr) = await CliErrorTests.RunAsync("--workspace", ws, "apikey", "revoke", "crm");

        code.ShouldBe(0, err);
        key = key.Trim();
        key.ShouldStartWith(ApiKeys.KeyPrefix);
        err.ShouldContain("shown only now");
        await using (var store = await LeadStore.OpenAsync(ws))
        {
            var stored = (await store.ListApiKeysAsync()).Single();
            stored.Hash.ShouldBe(ApiKeys.Hash(key));
            stored.Hash.ShouldNotContain(key);
            stored.Scopes.ShouldBe(["score", "ingest", "admin"]);
            stored.RevokedAt.ShouldNotBeNull();
            (await store.FindApiKeyByHashAsync(ApiKeys.Hash(key)))!.Name.ShouldBe("crm");
        }
        listCode.ShouldBe(0);
        list.ShouldContain("crm");
        list.ShouldContain(key[..12]);
        list.ShouldNotContain(key);
        revokeCode.ShouldBe(0);
        againCode.ShouldBe(ExitCodes.Failure);
        againErr.ShouldContain("no active API key");
    }

    [Fact]
    public async Task Unknown_scopes_and_duplicate_names_are_one_line_errors()
    {
        var ws = TestPaths.NewTempDir();

        var (bad, _, badErr) = await CliErrorTests.RunAsync("--workspace", ws, "apikey", "create", "--name", "x", "--scopes", "score,root");
        await CliErrorTests.RunAsync("--workspace", ws, "apikey", "create", "--name", "crm");
        var (dup, _, dupErr) = await CliErrorTests.RunAsync("--workspace", ws, "apikey", "create", "--name", "crm");

        bad.ShouldBe(ExitCodes.Failure);
        badErr.ShouldContain("unknown scope 'root'");
        dup.ShouldBe(ExitCodes.Failure);
        dupErr.ShouldContain("already exists");
        dupErr.ShouldNotContain("   at ");
    }
}
