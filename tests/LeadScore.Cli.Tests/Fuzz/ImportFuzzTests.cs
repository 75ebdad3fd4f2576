using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Fuzz;

/// <summary>
/// Seeded, deterministic fuzzing of <c>leadscore import</c> in process: many small generated CSV and JSONL files of every kind,
/// with values of every column role and kind and structural damage. For each case: no crash (exit 0, or 1 with one error line
/// naming the file and line), read = accepted + rejected, every good row stored, every other row stored or quarantined at its
/// line, and a second identical run changes nothing. Each case uses its own id prefix, so cases share a workspace safely.
/// 1,060 cases in three classes (about 25 s in all on 2 cores).
/// </summary>
public sealed class SqliteImportFuzzTests
{
    [Fact]
    public Task Sqlite_import_survives_500_generated_files_and_reruns_change_nothing() => ImportFuzz.RunCasesAsync(seed: 18, cases: 500, database: null);
}

/// <summary>A second SQLite workspace with other seeds, so the 1,000 SQLite cases run on both cores.</summary>
public sealed class SqliteImportFuzzMoreTests
{
    [Fact]
    public Task Sqlite_import_survives_500_more_generated_files_and_reruns_change_nothing() => ImportFuzz.RunCasesAsync(seed: 19, cases: 500, database: null);
}

/// <summary>The same properties on PostgreSQL (fewer cases: each import is a few network round trips).</summary>
public sealed class PostgresImportFuzzTests
{
    [Fact]
    public async Task Postgres_import_survives_60_generated_files_and_reruns_change_nothing() =>
        await ImportFuzz.RunCasesAsync(seed: 1018, cases: 60, database: await TestStores.CreatePostgresDatabaseAsync());
}

/// <summary>The fuzz loop and its per-case assertions.</summary>
internal static class ImportFuzz
{
    private const int WithChampion = 60;

    public static async Task RunCasesAsync(int seed, int cases, string? database)
    {
        // LEADSCORE_FUZZ_SEED explores other cases (the default keeps CI deterministic); a failure names its case.
        if (int.TryParse(Environment.GetEnvironmentVariable("LEADSCORE_FUZZ_SEED"), out var extra)) seed += extra;
        // On Linux the workspace lives in memory: the cases are about what import does, not about fsync, which would be most of the time.
        var dir = Directory.Exists("/dev/shm") ? Directory.CreateDirectory(Path.Combine("/dev/shm", $"leadscore-fuzz-{Guid.NewGuid():N}")).FullName : TestPaths.NewTempDir("fuzz");
        var ws = Path.Combine(dir, "ws");
        string[] wsArgs = database is null ? ["--workspace", ws] : ["--workspace", ws, "--database", database];
        await using var store = await LeadStore.OpenAsync(ws, database);
        var failures = new List<string>();
        var asserted = 0;
        var fileErrors = 0;
        for (var c = 0; c < cases && failures.Count < 10; c++)
        {
            // The last cases run with a champion, so their imports also re-score the leads they touch (huge numbers,
            // odd dates and all); only the last, because loading the champion makes each CLI run about half again slower.
            if (c == Math.Max(0, cases - WithChampion)) await TrainFlatChampionAsync(dir, wsArgs);
            var fuzz = FuzzCase.Generate(seed, c, dir);
            asserted += fuzz.Rows.Count(r => r.Fate != Fate.Unknown);
            if (fuzz.ExpectedError is not null) fileErrors++;
            try { await CheckAsync(fuzz, wsArgs, store, failures); }
            catch (Exception ex) { failures.Add($"case {c} ({fuzz.Describe}): test threw {ex.GetType().Name}: {ex.Message}"); }
        }
        var scored = await CliErrorTests.RunAsync(["score", "--all", "--out", Path.Combine(dir, "scores.csv"), .. wsArgs]);
        if (scored.Code != 0) failures.Add($"score --all after the fuzz imports: exit {scored.Code}: {scored.Err}");
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        failures.ShouldBeEmpty();
        // The generator must keep producing what the assertions are about, or the suite would pass by checking nothing.
        asserted.ShouldBeGreaterThan(cases * 5);
        if (cases >= 200) fileErrors.ShouldBeGreaterThan(0);
    }

    private static async Task CheckAsync(FuzzCase fuzz, string[] wsArgs, ILeadStore store, List<string> failures)
    {
        void Fail(string what) => failures.Add($"case {fuzz.Index} ({fuzz.Describe}): {what}");
        var countsBefore = (await store.CountLeadsAsync(), await store.CountActivitiesAsync());
        var first = await CliErrorTests.RunAsync(["import", fuzz.Kind, fuzz.Path, "--json", .. wsArgs]);
        if (!ErrorLineOk(fuzz, first, Fail)) return;
        if (first.Code != 0) return;
        using var doc = JsonDocument.Parse(first.Out);
        var s = doc.RootElement;
        long Get(string name) => s.GetProperty(name).GetInt64();
        var read = Get("rows_read");
        if (Get("accepted") + Get("rejected") != read) Fail($"accepted {Get("accepted")} + rejected {Get("rejected")} != read {read}");
        if (Get("accepted") != Get("inserted") + Get("updated") + Get("unchanged")) Fail("accepted != inserted + updated + unchanged");
        if (fuzz.ExpectedRead is { } expected && read != expected) Fail($"read {read} rows, generated {expected}");
        var quarantined = (await store.ListQuarantineAsync(s.GetProperty("import_id").GetString())).Select(q => q.Line).ToHashSet();
        if (quarantined.Count != Get("rejected")) Fail($"{quarantined.Count} quarantined lines for {Get("rejected")} rejected rows");
        foreach (var row in fuzz.Rows.Where(r => r.Fate != Fate.Unknown))
        {
            var stored = await IsStoredAsync(store, fuzz.Kind, row.Key);
            if (row.Fate == Fate.Good && !stored) Fail($"good row at line {row.Line} ({row.Key}) was not stored (quarantined: {quarantined.Contains(row.Line)})");
            if (row.Fate == Fate.Wild && !stored && !quarantined.Contains(row.Line)) Fail($"row at line {row.Line} ({row.Key}) neither stored nor quarantined");
            if (row.Fate == Fate.Bad && stored) Fail($"bad row at line {row.Line} ({row.Key}) was stored");
        }

        var counts = (await store.CountLeadsAsync(), await store.CountActivitiesAsync());
        var second = await CliErrorTests.RunAsync(["import", fuzz.Kind, fuzz.Path, "--json", .. wsArgs]);
        if (second.Code != 0) { Fail($"second run exit {second.Code}: {second.Err}"); return; }
        using var again = JsonDocument.Parse(second.Out);
        var a = again.RootElement;
        if (a.GetProperty("inserted").GetInt64() != 0 || a.GetProperty("updated").GetInt64() != 0)
            Fail($"second run inserted {a.GetProperty("inserted")} updated {a.GetProperty("updated")}");
        if (a.GetProperty("rows_read").GetInt64() != read || a.GetProperty("rejected").GetInt64() != Get("rejected")) Fail("second run read or rejected other rows");
        if ((await store.CountLeadsAsync(), await store.CountActivitiesAsync()) != counts) Fail("second run changed the store's row counts");
        if (fuzz.Kind is "leads" or "activities" && counts == countsBefore && Get("inserted") > 0) Fail("inserted rows but the store's counts did not move");
    }

    /// <summary>Exit 0, or 1 exactly when the case has a whole-file fault, with one error line naming the file (and line 1 for a header fault).</summary>
    private static bool ErrorLineOk(FuzzCase fuzz, (int Code, string Out, string Err) r, Action<string> fail)
    {
        if (r.Err.Contains("LEADSCORE_DEBUG", StringComparison.Ordinal) || r.Err.Contains("   at ", StringComparison.Ordinal))
        {
            fail($"unhandled exception: {r.Err}");
            return false;
        }
        if (r.Code is not (0 or 1)) { fail($"exit code {r.Code}: {r.Err}"); return false; }
        if ((r.Code == 1) != (fuzz.ExpectedError is not null)) { fail($"exit {r.Code}, expected {(fuzz.ExpectedError is null ? 0 : 1)}: {r.Err}"); return false; }
        if (r.Code == 0) return true;
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = lines.Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        if (error.Count != 1 || !error[0].StartsWith("error: " + fuzz.Path + fuzz.ExpectedError, StringComparison.Ordinal) || error[0].Length > CliErrors.MaxLineChars + 60
            || error[0].Any(char.IsControl))
            fail($"error line should be one short line starting '{fuzz.Path}{fuzz.ExpectedError}', got: {r.Err}");
        return true;
    }

    private static async Task<bool> IsStoredAsync(ILeadStore store, string kind, string key) => kind switch
    {
        "leads" => await store.GetLeadAsync(key) is not null,
        "activities" => (await store.GetActivitiesAsync(key.Split('|')[0])).Any(x => x.EventId == key.Split('|')[1]),
        "enrichment" => (await store.GetEnrichmentAsync(key)).Count > 0,
        _ => (await store.GetOutcomesAsync(key)).Count > 0,
    };

    /// <summary>A flat model (fast to train) as champion, so every fuzz import also re-scores the leads it touched.</summary>
    private static async Task TrainFlatChampionAsync(string dir, string[] wsArgs)
    {
        var rng = new Random(3);
        var sb = new StringBuilder("lead_id;visits;source;won\n");
        for (var i = 0; i < 300; i++)
        {
            var v = rng.Next(0, 20);
            sb.Append(CultureInfo.InvariantCulture, $"T{i};{v};{(i % 3 == 0 ? "web" : "event")};{(rng.NextDouble() < v / 20.0 ? "yes" : "no")}\n");
        }
        var path = Path.Combine(dir, "train.csv");
        await File.WriteAllTextAsync(path, sb.ToString());
        var (code, _, err) = await CliErrorTests.RunAsync(["train", "--csv", path, "--target", "won", "--positive", "yes", "--sep", ";", "--id", "lead_id",
            "--algorithm", "logistic", "--time-budget", "0", .. wsArgs]);
        code.ShouldBe(0, err);
    }
}
