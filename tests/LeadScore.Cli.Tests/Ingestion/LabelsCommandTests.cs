using System.Globalization;
using System.Text;
using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Ingestion;

/// <summary>
/// Value labels and display names from the mapping (issue 17), end to end through the CLI on a flat file with coded
/// columns: --infer-only writes placeholders, train keeps the labels with the model, reasons and the report read them,
/// and a changed label applies without retraining.
/// </summary>
public sealed class LabelsCommandTests(ITestOutputHelper log)
{
    private static readonly string[] Visitors = ["New_Visitor", "Returning_Visitor"];

    /// <summary>Sessions with a coded region (1-4, region 1 converting far more) and a coded traffic type (1-6).</summary>
    internal static string WriteSessions(string dir, int rows = 900)
    {
        var rng = new Random(11);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("session_id,Region,TrafficType,VisitorType,PageValues,Revenue\n");
        for (var i = 0; i < rows; i++)
        {
            var region = rng.Next(1, 5);
            var traffic = rng.Next(1, 7);
            var visitor = Visitors[rng.Next(2)];
            var pages = Math.Round(rng.NextDouble() * 40, 1);
            var p = (region == 1 ? 0.55 : region == 4 ? 0.03 : 0.12) + (traffic == 2 ? 0.15 : 0) + pages / 400;
            sb.Append(inv, $"s{i:0000},{region},{traffic},{visitor},{pages},{(rng.NextDouble() < p ? "TRUE" : "FALSE")}\n");
        }
        var path = Path.Combine(dir, "sessions.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    private static string Mapping(string dir, string name, string northLabel) =>
        Write(Path.Combine(dir, name), $$"""
        {
          "lead_id": "session_id",
          "target": { "column": "Revenue" },
          "columns": { "Region": { "kind": "categorical" } },
          "labels": { "Region": { "1": "{{northLabel}}", "2": "South", "3": "East", "4": "West" } },
          "display_names": { "VisitorType": "Kind of visitor" }
        }
        """);

    private static string Write(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }

    private static List<string> ReasonTexts(string jsonLines) =>
        jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("text").GetString()!).ToList())
            .ToList();

    [Fact]
    public async Task Reasons_and_the_report_read_the_mappings_labels_and_a_changed_label_applies_without_retraining()
    {
        var ws = TestPaths.NewTempDir();
        var data = WriteSessions(ws);

        // --infer-only writes display names humanised from the column names and a commented placeholder per coded column.
        var inferred = Path.Combine(ws, "inferred.json");
        var inf = await CliErrorTests.RunAsync("import", "leads", data, "--infer-only", inferred, "--workspace", ws);
        inf.Code.ShouldBe(0, inf.Err);
        var written = File.ReadAllText(inferred);
        log.WriteLine(written);
        using (var doc = JsonDocument.Parse(written))
        {
            doc.RootElement.GetProperty("display_names").GetProperty("TrafficType").GetString().ShouldBe("Traffic type");
            doc.RootElement.GetProperty("display_names").GetProperty("PageValues").GetString().ShouldBe("Page values");
            doc.RootElement.GetProperty("_labels").GetProperty("Region").EnumerateObject().Select(p => p.Name).ShouldBe(["1", "2", "3", "4"]);
            doc.RootElement.GetProperty("_labels").GetProperty("TrafficType").EnumerateObject().Count().ShouldBe(6);
        }

        // Train with labels in the mapping: the report names inputs and values as people read them.
        var mapping = Mapping(ws, "mapping.json", "North");
        var report = Path.Combine(ws, "report");
        var train = await CliErrorTests.RunAsync("train", "--csv", data, "--mapping", mapping, "--algorithm", "logistic", "--time-budget", "0", "--report", report, "--workspace", ws);
        log.WriteLine(train.Out + train.Err);
        train.Code.ShouldBe(0, train.Err);
        var html = File.ReadAllText(Path.Combine(report, "index.html"));
        html.ShouldContain("Traffic type <span class=\"note\">TrafficType</span>");
        html.ShouldContain("Kind of visitor <span class=\"note\">VisitorType</span>");
        html.ShouldContain("<td>North <span class=\"note\">1</span></td>", customMessage: "the segment table shows the region's label");

        // Score the file: reasons say "Region: North", never the code, and use the display names.
        var scored = await CliErrorTests.RunAsync("score", "--csv", data, "--explain", "--json", "--workspace", ws);
        scored.Code.ShouldBe(0, scored.Err);
        var texts = ReasonTexts(scored.Out);
        log.WriteLine(string.Join("\n", texts.Distinct().Take(30)));
        texts.ShouldContain("Region: North");
        texts.ShouldContain("Region: West");
        texts.ShouldNotContain(t => t.StartsWith("Region: 1", StringComparison.Ordinal) || t.StartsWith("Region is", StringComparison.Ordinal));
        texts.ShouldContain(t => t.StartsWith("Traffic type: ", StringComparison.Ordinal));
        texts.ShouldNotContain(t => t.StartsWith("TrafficType", StringComparison.Ordinal));
        texts.ShouldContain(t => t.StartsWith("Kind of visitor", StringComparison.Ordinal));
        var firstScores = scored.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("probability").GetDouble()).ToList();

        // A new label in a mapping given to score applies at once: same model (v1), same probabilities, new words.
        var renamed = Mapping(ws, "mapping2.json", "Northern region");
        var again = await CliErrorTests.RunAsync("score", "--csv", data, "--explain", "--json", "--mapping", renamed, "--workspace", ws);
        again.Code.ShouldBe(0, again.Err);
        again.Err.ShouldContain("with v1");
        var texts2 = ReasonTexts(again.Out);
        texts2.ShouldContain("Region: Northern region");
        texts2.ShouldNotContain("Region: North");
        again.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("probability").GetDouble())
            .ShouldBe(firstScores, "labels never change a score");
    }

    [Fact]
    public async Task A_bad_labels_mapping_fails_with_one_line_naming_the_setting_or_the_column()
    {
        var ws = TestPaths.NewTempDir();
        var data = WriteSessions(ws, rows: 50);

        var typo = Write(Path.Combine(ws, "typo.json"), """{ "lead_id": "session_id", "lables": { "Region": { "1": "North" } } }""");
        var t = await CliErrorTests.RunAsync("import", "leads", data, "--mapping", typo, "--workspace", ws);
        t.Code.ShouldNotBe(0);
        t.Err.ShouldContain("unknown setting 'lables' (did you mean 'labels'?)");
        t.Err.ShouldContain("display_names");
        t.Err.ShouldNotContain("   at ");

        var absent = Write(Path.Combine(ws, "absent.json"), """{ "lead_id": "session_id", "labels": { "Regoin": { "1": "North" } } }""");
        var a = await CliErrorTests.RunAsync("import", "leads", data, "--mapping", absent, "--workspace", ws);
        a.Code.ShouldNotBe(0);
        a.Err.Trim().ShouldBe($"error: {absent}: labels names column 'Regoin', which is not in sessions.csv (did you mean 'Region'?); its columns: session_id, Region, TrafficType, VisitorType, PageValues, Revenue");
        // A label too long to read in a sentence: refused naming the mapping file, the setting and the cap.
        var tooLong = Write(Path.Combine(ws, "long.json"), $$"""{ "lead_id": "session_id", "labels": { "Region": { "1": "{{new string('x', 300)}}" } } }""");
        var l = await CliErrorTests.RunAsync("import", "leads", data, "--mapping", tooLong, "--workspace", ws);
        l.Code.ShouldNotBe(0);
        l.Err.Trim().ShouldBe($"error: {tooLong}: labels.Region: the label of '1' is 300 characters long; at most 200");
        var tr = await CliErrorTests.RunAsync("train", "--csv", data, "--target", "Revenue", "--mapping", absent, "--workspace", ws);
        tr.Code.ShouldNotBe(0);
        tr.Err.ShouldContain("labels names column 'Regoin'");

        var wrongKind = Write(Path.Combine(ws, "kind.json"), """{ "lead_id": "session_id", "labels": { "Region": "North" } }""");
        var k = await CliErrorTests.RunAsync("import", "leads", data, "--mapping", wrongKind, "--workspace", ws);
        k.Code.ShouldNotBe(0);
        k.Err.ShouldContain("labels");
        k.Err.ShouldNotContain("LeadScore.Engine");
    }

    [Fact]
    public async Task Labels_imported_with_the_leads_word_stored_reasons_and_a_new_label_rewords_them_without_retraining()
    {
        var ws = TestPaths.NewTempDir();
        var (leads, won, lost, _) = CrmExportTests.WriteExport(ws);
        string LeadMapping(string name, string paid) => Write(Path.Combine(ws, name), $$"""
            { "labels": { "origin": { "paid_search": "{{paid}}", "email": "Newsletter" } }, "display_names": { "employees": "Company size" } }
            """);

        (await CliErrorTests.RunAsync("import", "leads", leads, "--mapping", LeadMapping("m1.json", "Paid search"), "--workspace", ws)).Code.ShouldBe(0);
        (await CliErrorTests.RunAsync("import", "outcomes", won, "--workspace", ws)).Code.ShouldBe(0);
        (await CliErrorTests.RunAsync("import", "outcomes", lost, "--outcome", "lost", "--workspace", ws)).Code.ShouldBe(0);
        var train = await CliErrorTests.RunAsync("train", "--algorithm", "logistic", "--time-budget", "0", "--workspace", ws);
        train.Code.ShouldBe(0, train.Err);

        var first = await CliErrorTests.RunAsync("score", "--all", "--status", "all", "--explain", "--json", "--workspace", ws);
        first.Code.ShouldBe(0, first.Err);
        var texts = ReasonTexts(first.Out);
        log.WriteLine(string.Join("\n", texts.Distinct().Take(20)));
        texts.ShouldContain("Origin: Paid search");
        texts.ShouldContain("Origin: Newsletter");
        texts.ShouldNotContain(t => t.Contains("paid_search", StringComparison.Ordinal));
        texts.ShouldContain(t => t.StartsWith("Company size is ", StringComparison.Ordinal));

        // The same file again with a new label: nothing is retrained (still v1), the stored leads are re-scored (cause
        // labels) and their reasons read the new label with the same probabilities.
        var again = await CliErrorTests.RunAsync("import", "leads", leads, "--mapping", LeadMapping("m2.json", "Google Ads"), "--workspace", ws);
        again.Code.ShouldBe(0, again.Err);
        again.Out.ShouldContain("600 unchanged");
        again.Out.ShouldContain("The mapping changed the labels or display names: re-worded the reasons of 600 stored lead(s) (same scores and grades; nothing retrained).");
        var second = await CliErrorTests.RunAsync("score", "--all", "--status", "all", "--explain", "--json", "--workspace", ws);
        var texts2 = ReasonTexts(second.Out);
        texts2.ShouldContain("Origin: Google Ads");
        texts2.ShouldNotContain("Origin: Paid search");
        static List<double> P(string jsonLines) => jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("probability").GetDouble()).ToList();
        P(second.Out).ShouldBe(P(first.Out));
        (await CliErrorTests.RunAsync("models", "list", "--workspace", ws)).Out.ShouldNotContain("v2");
    }
}
