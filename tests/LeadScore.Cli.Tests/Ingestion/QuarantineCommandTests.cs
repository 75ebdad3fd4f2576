using System.Text;
using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Ingestion;

/// <summary>quarantine list / retry / purge through the CLI, on SQLite and PostgreSQL.</summary>
public sealed class QuarantineCommandTests
{
    private static async Task<string[]> WorkspaceArgsAsync(string backend) => backend == TestStores.Postgres
        ? ["--workspace", TestPaths.NewTempDir("ws"), "--database", await TestStores.CreatePostgresDatabaseAsync()]
        : ["--workspace", TestPaths.NewTempDir("ws")];

    private static Task<(int Code, string Out, string Err)> Run(string[] ws, params string[] args) => CliErrorTests.RunAsync([.. args, .. ws]);

    private static string Write(string content)
    {
        var path = Path.Combine(TestPaths.NewTempDir("q"), "leads.csv");
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task List_json_is_one_array_of_row_objects_and_purge_prints_how_many_it_deleted(string backend)
    {
        var ws = await WorkspaceArgsAsync(backend);
        var file = Write("lead_id,created_at\nL1,2026-01-01\nL2,soon\nL3,later\n,2026-01-01\n");
        (await Run(ws, "import", "leads", file)).Code.ShouldBe(0);

        var list = await Run(ws, "quarantine", "list", "--json");
        list.Code.ShouldBe(0, list.Err);
        using (var doc = JsonDocument.Parse(list.Out))
        {
            var rows = doc.RootElement.EnumerateArray().ToList();
            rows.Select(r => r.GetProperty("line").GetInt64()).ShouldBe([3L, 4L, 5L]);
            rows.Select(r => r.GetProperty("lead_id").ValueKind == JsonValueKind.Null ? null : r.GetProperty("lead_id").GetString()).ShouldBe(["L2", "L3", null]);
        }

        var none = await Run(ws, "quarantine", "purge", "--before", "2000-01-01");
        none.Code.ShouldBe(0, none.Err);
        none.Out.ShouldContain("Deleted 0 quarantined row(s)");
        var purged = await Run(ws, "quarantine", "purge", "--before", DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd"));
        purged.Code.ShouldBe(0, purged.Err);
        purged.Out.ShouldContain("Deleted 3 quarantined row(s)");
        (await Run(ws, "quarantine", "list")).Out.ShouldContain("Quarantine is empty.");
        (await Run(ws, "quarantine", "list", "--json")).Out.Trim().ShouldBe("[]");
    }

    [Fact]
    public async Task Purge_refuses_to_guess_what_to_delete()
    {
        var ws = await WorkspaceArgsAsync(TestStores.Sqlite);
        var (code, _, err) = await Run(ws, "quarantine", "purge");
        code.ShouldBe(ExitCodes.Failure);
        err.Trim().ShouldBe("error: give exactly one of --before DATE or --everything");
        (await Run(ws, "quarantine", "purge", "--before", "someday")).Err.ShouldContain("'someday' is not a date");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Retry_through_the_cli_keeps_nul_rows_and_duplicate_ids_in_quarantine(string backend)
    {
        var ws = await WorkspaceArgsAsync(backend);
        var file = Write("lead_id,created_at,company\nL1,2026-01-01,First\nL1,2026-01-02,Second\nL2,2026-01-01,Ac\0me\n");
        (await Run(ws, "import", "leads", file)).Code.ShouldBe(0);

        var retry = await Run(ws, "quarantine", "retry", "--json");

        retry.Code.ShouldBe(0, retry.Err);
        using (var doc = JsonDocument.Parse(retry.Out))
        {
            doc.RootElement.GetProperty("inserted").GetInt64().ShouldBe(0);
            doc.RootElement.GetProperty("updated").GetInt64().ShouldBe(0);
            doc.RootElement.GetProperty("rejected").GetInt64().ShouldBe(2);
        }
        var list = await Run(ws, "quarantine", "list");
        list.Out.ShouldContain("2 row(s)");
        list.Out.ShouldContain("NUL");
        list.Out.ShouldContain("duplicate id within the file");
    }
}
