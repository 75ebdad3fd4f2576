using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Ingestion;

/// <summary>The import and quarantine commands as a user runs them.</summary>
public sealed class ImportCommandTests
{
    [Fact]
    public async Task Import_keeps_good_rows_quarantines_bad_ones_and_a_rerun_changes_nothing()
    {
        var ws = TestPaths.NewTempDir();
        var file = Path.Combine(ws, "leads.csv");
        await File.WriteAllTextAsync(file,
            "lead_id,email,company,created_at,company_size\n" +
            "L1,a@acme.com,Acme,2026-01-02T10:00:00Z,10\n" +
            "L2,b@globex.com,Globex,not-a-date,20\n" +
            ",c@initech.com,Initech,2026-01-03T10:00:00Z,30\n" +
            "L4,d@hooli.com,Hooli,2026-01-04T10:00:00Z,40\n", TestContext.Current.CancellationToken);

        var (code, output, err) = await CliErrorTests.RunAsync("import", "leads", file, "--json", "--workspace", ws);
        code.ShouldBe(0, err);
        using (var doc = JsonDocument.Parse(output))
        {
            var root = doc.RootElement;
            root.GetProperty("rows_read").GetInt64().ShouldBe(4);
            root.GetProperty("rejected").GetInt64().ShouldBe(2);
            root.GetProperty("inserted").GetInt64().ShouldBe(2);
        }

        var list = await CliErrorTests.RunAsync("quarantine", "list", "--workspace", ws);
        list.Code.ShouldBe(0, list.Err);
        list.Out.ShouldContain("leads.csv:3");
        list.Out.ShouldContain("created_at");
        list.Out.ShouldContain("leads.csv:4");

        var again = await CliErrorTests.RunAsync("import", "leads", file, "--json", "--workspace", ws);
        using (var doc = JsonDocument.Parse(again.Out))
        {
            doc.RootElement.GetProperty("unchanged").GetInt64().ShouldBe(2);
            doc.RootElement.GetProperty("inserted").GetInt64().ShouldBe(0);
            doc.RootElement.GetProperty("updated").GetInt64().ShouldBe(0);
        }
    }

    [Fact]
    public async Task A_resent_activity_with_another_value_is_reported_as_a_corrected_update()
    {
        var ws = TestPaths.NewTempDir();
        var file = Path.Combine(ws, "acts.csv");
        const string header = "event_id,lead_id,type,timestamp,url,value\n";
        await File.WriteAllTextAsync(file, header + "E1,L1,page_view,2026-01-01T10:00:00Z,/a,1\n", TestContext.Current.CancellationToken);
        (await CliErrorTests.RunAsync("import", "activities", file, "--workspace", ws)).Code.ShouldBe(0);
        await File.WriteAllTextAsync(file, header + "E1,L1,page_view,2026-01-01T10:00:00Z,/a,7\n", TestContext.Current.CancellationToken);

        var (code, output, err) = await CliErrorTests.RunAsync("import", "activities", file, "--workspace", ws);

        code.ShouldBe(0, err);
        output.ShouldContain("(0 inserted, 1 updated, 0 unchanged)");
        output.ShouldContain("1 updated: corrected activities");
    }
}
