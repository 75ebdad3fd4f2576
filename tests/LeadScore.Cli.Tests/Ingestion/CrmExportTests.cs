using System.Globalization;
using System.Text;
using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Ingestion;

/// <summary>
/// A CRM export as a new user has it (issue 17): a file of marketing-qualified leads (<c>mql_id</c>, <c>first_contact_date</c>)
/// and a file of the deals won (<c>mql_id</c>, <c>won_date</c>), imported with no mapping file and no script.
/// </summary>
public sealed class CrmExportTests(ITestOutputHelper log)
{
    private static readonly string[] Origins = ["organic_search", "paid_search", "social", "email", "direct_traffic", "referral"];

    /// <summary>A seeded two-file export plus the losses a CRM would export separately (dated after creation, as closes are).</summary>
    internal static (string Leads, string Won, string Lost, List<string> Ids) WriteExport(string dir)
    {
        var rng = new Random(17);
        var inv = CultureInfo.InvariantCulture;
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var leads = new StringBuilder("mql_id,first_contact_date,landing_page_id,origin,company,employees\n");
        var won = new StringBuilder("mql_id,seller_id,sdr_id,won_date,business_segment\n");
        var lost = new StringBuilder("mql_id,closed_at\n");
        var ids = new List<string>();
        for (var i = 0; i < 600; i++)
        {
            var id = Convert.ToHexStringLower(BitConverter.GetBytes(rng.NextInt64())) + i.ToString("x4", inv);
            ids.Add(id);
            var origin = Origins[rng.Next(Origins.Length)];
            var created = start.AddDays(rng.Next(0, 200));
            leads.Append(inv, $"{id},{created:yyyy-MM-dd},lp{rng.Next(1, 20)},{origin},Company {i},{rng.Next(1, 500)}\n");
            var pWin = origin is "paid_search" or "email" ? 0.5 : 0.1;
            var r = rng.NextDouble();
            if (r < pWin) won.Append(inv, $"{id},s{rng.Next(1000)},d{rng.Next(9)},{created.AddDays(rng.Next(20, 60)):yyyy-MM-dd HH:mm:ss},pets\n");
            else if (r < pWin + 0.5) lost.Append(inv, $"{id},{created.AddDays(rng.Next(20, 60)):yyyy-MM-dd}\n");
        }
        // Exports arrive out of order: a win for a lead the leads file does not hold (yet).
        won.Append("ffffffffffffffff9999,s1,d1,2026-05-01 10:00:00,pets\n");
        var paths = (Path.Combine(dir, "mqls.csv"), Path.Combine(dir, "closed_deals.csv"), Path.Combine(dir, "lost.csv"));
        File.WriteAllText(paths.Item1, leads.ToString());
        File.WriteAllText(paths.Item2, won.ToString());
        File.WriteAllText(paths.Item3, lost.ToString());
        return (paths.Item1, paths.Item2, paths.Item3, ids);
    }

    [Fact]
    public async Task A_two_file_crm_export_goes_from_import_without_a_mapping_to_scored_open_leads()
    {
        var ws = TestPaths.NewTempDir();
        var (leads, won, lost, ids) = WriteExport(ws);

        // Given no mapping: the lead id and creation time are guessed, said, and used.
        var l = await CliErrorTests.RunAsync("import", "leads", leads, "--workspace", ws);
        log.WriteLine("$ ./leadscore import leads mqls.csv\n" + l.Out);
        l.Code.ShouldBe(0, l.Err);
        l.Out.ShouldContain("lead id        mql_id (\"lead_id\": \"mql_id\")");
        l.Out.ShouldContain("created time   first_contact_date (\"timestamp\": \"first_contact_date\")");
        l.Out.ShouldContain("600 rows read, 600 accepted");

        // A wins-only file: every row converted (from won_date), dated by it; the unknown lead's win is kept and reported.
        var w = await CliErrorTests.RunAsync("import", "outcomes", won, "--workspace", ws);
        log.WriteLine("$ ./leadscore import outcomes closed_deals.csv\n" + w.Out);
        w.Code.ShouldBe(0, w.Err);
        w.Out.ShouldContain("lead id        mql_id");
        w.Out.ShouldContain("outcome date   won_date");
        w.Out.ShouldContain("every row is converted");
        w.Out.ShouldContain("1 outcomes for leads not imported yet: kept, they apply when the leads arrive");
        w.Out.ShouldContain("ffffffffffffffff9999");
        w.Out.ShouldContain("No lost outcomes stored yet");
        w.Out.ShouldContain("--outcome lost");

        // Labels follow a horizon, so the wins alone train a model: a lead with no win within H counts as not converted.
        var winsOnly = await CliErrorTests.RunAsync("train", "--algorithm", "logistic", "--time-budget", "0", "--workspace", ws);
        log.WriteLine("$ ./leadscore train (wins only)\n" + winsOnly.Out);
        winsOnly.Code.ShouldBe(0, winsOnly.Err);
        winsOnly.Out.ShouldContain("v1 is now the champion");

        // The losses, from a file whose column names say nothing: --outcome says what every row is.
        var lo = await CliErrorTests.RunAsync("import", "outcomes", lost, "--outcome", "lost", "--json", "--workspace", ws);
        lo.Code.ShouldBe(0, lo.Err);
        using (var doc = JsonDocument.Parse(lo.Out))
        {
            var root = doc.RootElement;
            root.GetProperty("rejected").GetInt64().ShouldBe(0);
            root.GetProperty("pending_outcomes").GetInt64().ShouldBe(0);
            root.GetProperty("stored_outcomes").GetProperty("lost").GetInt64().ShouldBe(root.GetProperty("inserted").GetInt64());
            var roles = root.GetProperty("roles").EnumerateArray().ToDictionary(r => r.GetProperty("setting").GetString()!);
            roles["timestamp"].GetProperty("column").GetString().ShouldBe("closed_at");
            roles["outcome_value"].GetProperty("value").GetString().ShouldBe("lost");
        }

        // One path from features to training: train reuses the set features build stored while nothing changed.
        var fb = await CliErrorTests.RunAsync("features", "build", "--workspace", ws);
        log.WriteLine("$ ./leadscore features build\n" + fb.Out);
        fb.Code.ShouldBe(0, fb.Err);
        var train = await CliErrorTests.RunAsync("train", "--algorithm", "logistic", "--time-budget", "0", "--workspace", ws);
        log.WriteLine("$ ./leadscore train\n" + train.Out);
        train.Code.ShouldBe(0, train.Err);
        train.Out.ShouldContain("Model v2");
        train.Out.ShouldContain("Training set: Reusing the training set 'features build' stored at ");
        train.Out.ShouldContain("same data, feature definitions and options");
        winsOnly.Out.ShouldContain("Training set: No training set stored yet: building one");

        // Other options rebuild and say why; the old option name still works, with a deprecation line.
        var other = await CliErrorTests.RunAsync("train", "--algorithm", "logistic", "--time-budget", "0", "--delay-days", "0", "--workspace", ws);
        other.Code.ShouldBe(0, other.Err);
        other.Err.ShouldContain("warning: --delay-days is deprecated: use --decision-delay");
        other.Out.ShouldContain("Training set: Rebuilding the training set: --decision-delay differs (from the data then, 0 now)");
        var again = await CliErrorTests.RunAsync("train", "--algorithm", "logistic", "--time-budget", "0", "--decision-delay", "0", "--workspace", ws);
        again.Out.ShouldContain("Training set: Reusing the training set 'train' stored at ");

        // models list says the AUCs were measured on different test sets.
        var list = await CliErrorTests.RunAsync("models", "list", "--workspace", ws);
        log.WriteLine("$ ./leadscore models list\n" + list.Out);
        list.Out.ShouldContain("TEST SET");
        list.Out.ShouldContain("Note: each AUC was measured on its own version's held-out rows");
        // models compare re-evaluates both versions on the same rows instead of putting two test sets side by side.
        var cmp = await CliErrorTests.RunAsync("models", "compare", "v1", "v2", "--workspace", ws);
        log.WriteLine("$ ./leadscore models compare v1 v2\n" + cmp.Out + cmp.Err);
        cmp.Code.ShouldBe(0, cmp.Err);
        cmp.Out.ShouldContain("Re-evaluated on the same ");
        cmp.Out.ShouldContain("AUC v2 - v1: ");
        cmp.Out.ShouldContain("DeLong SE ");
        var cmpSame = await CliErrorTests.RunAsync("models", "compare", "v3", "v4", "--workspace", ws);
        cmpSame.Code.ShouldBe(0, cmpSame.Err);
        cmpSame.Out.ShouldContain("The cards' own figures (CARD AUC) were measured on the same held-out rows too.");

        // Grade bands set from the CLI apply without retraining, re-score the stored leads and show in the model card.
        var grades = await CliErrorTests.RunAsync("grades", "set", "--a", "0.6", "--b", "0.3", "--c", "0.1", "--workspace", ws);
        log.WriteLine("$ ./leadscore grades set --a 0.6 --b 0.3 --c 0.1\n" + grades.Out);
        grades.Code.ShouldBe(0, grades.Err);
        grades.Out.ShouldContain("A >= 0.6 (score 60+), B >= 0.3 (score 30+), C >= 0.1 (score 10+), D below");
        grades.Out.ShouldContain("Source: override set ");
        var card = await CliErrorTests.RunAsync("models", "show", "--workspace", ws);
        using (var doc = JsonDocument.Parse(card.Out))
        {
            var g = doc.RootElement.GetProperty("grades_in_effect");
            g.GetProperty("source").GetString().ShouldBe("override");
            g.GetProperty("a").GetDouble().ShouldBe(0.6);
        }
        var badGrades = await CliErrorTests.RunAsync("grades", "set", "--a", "0.6", "--b", "0.3", "--workspace", ws);
        badGrades.Code.ShouldNotBe(0);
        badGrades.Err.Trim().ShouldBe("error: give all of --a, --b and --c (probabilities, e.g. --a 0.6 --b 0.3 --c 0.1), or --share 10,30,60");

        // score --all writes the open leads by default (the ones a seller can work on); --status all writes every lead.
        var openScores = Path.Combine(ws, "open.csv");
        var so = await CliErrorTests.RunAsync("score", "--all", "--out", openScores, "--workspace", ws);
        so.Code.ShouldBe(0, so.Err);
        var openLines = File.ReadAllLines(openScores).Skip(1).Select(x => x.Split(',')).ToList();
        openLines.ShouldNotBeEmpty();
        openLines.ShouldAllBe(r => r[1] == "open");
        so.Err.ShouldContain($"wrote {openLines.Count} open lead(s) of 600");
        var scores = Path.Combine(ws, "scores.csv");
        var s = await CliErrorTests.RunAsync("score", "--all", "--status", "all", "--out", scores, "--workspace", ws);
        s.Code.ShouldBe(0, s.Err);
        var lines = File.ReadAllLines(scores);
        lines[0].ShouldBe("lead_id,status,company,probability,score,grade,model_version");
        var rows = lines.Skip(1).Select(x => x.Split(',')).ToList();
        rows.Count.ShouldBe(600);
        rows.Select(r => r[0]).ShouldBe(ids.Order(StringComparer.Ordinal));
        var byStatus = rows.GroupBy(r => r[1]).ToDictionary(g => g.Key, g => g.Count());
        byStatus.Keys.ShouldBe(["lost", "open", "won"], ignoreOrder: true);
        log.WriteLine($"score --all: {string.Join(", ", byStatus.Select(kv => $"{kv.Value} {kv.Key}"))}");
        var open = rows.Where(r => r[1] == "open").OrderByDescending(r => double.Parse(r[3], CultureInfo.InvariantCulture)).ToList();
        open.Count.ShouldBe(openLines.Count);
        open[0][2].ShouldStartWith("Company ");
        foreach (var r in rows)
        {
            // The grade agrees with the shown score, and the score with the probability.
            int.Parse(r[4], CultureInfo.InvariantCulture).ShouldBe((int)Math.Round(double.Parse(r[3], CultureInfo.InvariantCulture) * 100, MidpointRounding.AwayFromZero));
            var score = int.Parse(r[4], CultureInfo.InvariantCulture);
            r[5].ShouldBe(score >= 60 ? "A" : score >= 30 ? "B" : score >= 10 ? "C" : "D", "the bands set with grades set");
        }
    }

    [Fact]
    public async Task Score_csv_with_id_and_keep_joins_back_to_the_input_and_guards_formulas()
    {
        var ws = TestPaths.NewTempDir();
        var flat = Path.Combine(ws, "flat.csv");
        var rng = new Random(5);
        var sb = new StringBuilder("mql_id,origin,employees,note,converted\n");
        var notes = new Dictionary<string, string>();
        for (var i = 0; i < 400; i++)
        {
            var origin = Origins[rng.Next(Origins.Length)];
            var converted = rng.NextDouble() < (origin is "email" or "paid_search" ? 0.6 : 0.15);
            var note = i == 3 ? "=HYPERLINK(\"x\")" : $"n{i}";
            notes[$"m{i:0000}"] = note;
            sb.Append(CultureInfo.InvariantCulture, $"m{i:0000},{origin},{rng.Next(1, 300)},\"{note.Replace("\"", "\"\"")}\",{(converted ? 1 : 0)}\n");
        }
        await File.WriteAllTextAsync(flat, sb.ToString(), TestContext.Current.CancellationToken);
        var t = await CliErrorTests.RunAsync("train", "--csv", flat, "--target", "converted", "--id", "mql_id", "--exclude", "note", "--algorithm", "logistic", "--time-budget", "0", "--workspace", ws);
        t.Code.ShouldBe(0, t.Err);

        var output = Path.Combine(ws, "scored.csv");
        var s = await CliErrorTests.RunAsync("score", "--csv", flat, "--id", "mql_id", "--keep", "note,origin", "--out", output, "--workspace", ws);
        s.Code.ShouldBe(0, s.Err);

        var lines = File.ReadAllLines(output);
        lines[0].ShouldBe("lead_id,note,origin,probability,score,grade,model_version");
        lines.Length.ShouldBe(401);
        foreach (var line in lines.Skip(1).Where(x => !x.Contains('"')))
        {
            var cells = line.Split(',');
            notes[cells[0]].ShouldBe(cells[1], "each row joins back to its input row on the id");
        }
        // The formula cell is written with the guard, not as a formula.
        lines.Single(x => x.StartsWith("m0003,", StringComparison.Ordinal)).ShouldContain("\"'=HYPERLINK(\"\"x\"\")\"");

        var missing = await CliErrorTests.RunAsync("score", "--csv", flat, "--keep", "nope", "--workspace", ws);
        missing.Code.ShouldNotBe(0);
        missing.Err.ShouldContain("--keep names a column the file lacks: 'nope'");
    }

    [Fact]
    public async Task Infer_only_writes_a_complete_mapping_and_exits_0_even_when_no_lead_id_can_be_guessed()
    {
        var ws = TestPaths.NewTempDir();
        var file = Path.Combine(ws, "people.csv");
        await File.WriteAllTextAsync(file, "name,signup\nAnn,2026-01-01\nAnn,2026-01-02\n", TestContext.Current.CancellationToken);
        var mapping = Path.Combine(ws, "mapping.json");

        var (code, output, err) = await CliErrorTests.RunAsync("import", "leads", file, "--infer-only", mapping);

        code.ShouldBe(0, err);
        output.ShouldContain("no lead id column could be guessed");
        output.ShouldContain("Wrote the inferred mapping");
        var text = await File.ReadAllTextAsync(mapping, TestContext.Current.CancellationToken);
        using var doc = JsonDocument.Parse(text);
        doc.RootElement.GetProperty("_note").GetString()!.ShouldContain("lead_id");
        doc.RootElement.GetProperty("timestamp").GetString().ShouldBe("signup");
        doc.RootElement.GetProperty("true_values").GetArrayLength().ShouldBeGreaterThan(0);

        // Used as it is, the placeholder fails naming the setting; not a .NET message.
        var again = await CliErrorTests.RunAsync("import", "leads", file, "--mapping", mapping, "--workspace", ws);
        again.Code.ShouldNotBe(0);
        again.Err.ShouldContain("no lead id column '??");
        again.Err.ShouldContain("\"lead_id\"");
    }

    [Fact]
    public async Task An_unknown_mapping_setting_is_answered_with_the_nearest_and_the_valid_ones()
    {
        var ws = TestPaths.NewTempDir();
        var file = Path.Combine(ws, "leads.csv");
        await File.WriteAllTextAsync(file, "lead_id,created_at\nL1,2026-01-01\n", TestContext.Current.CancellationToken);
        var mapping = Path.Combine(ws, "m.json");
        await File.WriteAllTextAsync(mapping, """{ "lead_idd": "lead_id" }""", TestContext.Current.CancellationToken);

        var (code, _, err) = await CliErrorTests.RunAsync("import", "leads", file, "--mapping", mapping, "--workspace", ws);

        code.ShouldNotBe(0);
        err.ShouldContain("unknown setting 'lead_idd' (did you mean 'lead_id'?); valid: ");
        err.ShouldContain("timestamp");
        err.ShouldNotContain("could not be mapped");
    }
}
