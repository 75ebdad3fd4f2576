using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Monitoring;

/// <summary>
/// <c>leadscore monitor --reference --current</c> end to end on bank marketing (rows in time order): a LightGBM model with
/// its defaults (--time-budget 0) trained on the first 20,000 rows, then the first 20,000 against the last 10,000
/// (the 2010 macro-economic turn) and two seeded random halves of the first 20,000.
/// </summary>
public sealed class MonitorCommandTests(BankMonitorFixture f) : IClassFixture<BankMonitorFixture>
{
    private readonly string _dir = f.Dir, _ws = f.Ws, _first = f.First, _last = f.Last, _halfA = f.HalfA, _halfB = f.HalfB;

    internal static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await CliApp.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }


    [Fact]
    public async Task Last_10k_against_first_20k_flags_the_macro_features_and_dataset_drift()
    {
        var report = Path.Combine(_dir, "report");
        var (code, stdout, err) = await RunAsync("--workspace", _ws, "monitor", "--reference", _first, "--current", _last, "--sep", ";",
            "--target", "y", "--positive", "yes", "--json", "--report", report);
        code.ShouldBe(0, err);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        root.GetProperty("dataset_drift").GetBoolean().ShouldBeTrue();
        var features = root.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature").GetString()!);
        features.ContainsKey("duration").ShouldBeFalse("duration was excluded from the model");
        string[] macro = ["emp.var.rate", "euribor3m", "nr.employed", "cons.price.idx", "cons.conf.idx"];
        foreach (var m in macro)
        {
            var f = features[m];
            f.GetProperty("drifted").GetBoolean().ShouldBeTrue(m);
            f.GetProperty("test").GetString().ShouldBe("wasserstein", m); // 20,000 reference rows: the distance tests
            f.GetProperty("threshold").GetDouble().ShouldBe(0.1);
            f.GetProperty("statistic").GetDouble().ShouldBeGreaterThanOrEqualTo(0.1);
            f.TryGetProperty("p_value", out var p).ShouldBeTrue();
            p.ValueKind.ShouldBe(JsonValueKind.Null);
        }
        root.GetProperty("score_drift").GetProperty("feature").GetString().ShouldBe("score");
        var perf = root.GetProperty("performance");
        perf.GetProperty("auc").GetDouble().ShouldBeInRange(0, 1);
        perf.GetProperty("estimated_auc").GetDouble().ShouldBeInRange(0, 1);
        perf.GetProperty("ece").GetDouble().ShouldBeGreaterThanOrEqualTo(0);
        root.GetProperty("multivariate").GetProperty("drifted").GetBoolean().ShouldBeTrue();
        File.Exists(Path.Combine(report, "index.html")).ShouldBeTrue();
        File.Exists(Path.Combine(report, "drift.png")).ShouldBeTrue();
    }

    [Fact]
    public async Task Two_random_halves_of_the_first_20k_raise_nothing()
    {
        var (code, stdout, err) = await RunAsync("--workspace", _ws, "monitor", "--reference", _halfA, "--current", _halfB, "--json");
        code.ShouldBe(0, err);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        root.GetProperty("dataset_drift").GetBoolean().ShouldBeFalse();
        root.GetProperty("features").EnumerateArray().Where(f => f.GetProperty("drifted").GetBoolean()).Select(f => f.GetProperty("feature").GetString()).ShouldBeEmpty();
        root.GetProperty("score_drift").GetProperty("drifted").GetBoolean().ShouldBeFalse();
        root.GetProperty("grade_mix_drift").GetProperty("drifted").GetBoolean().ShouldBeFalse();
        root.GetProperty("multivariate").GetProperty("drifted").GetBoolean().ShouldBeFalse();
        // No target given: no realized figures, the estimate is still there.
        root.GetProperty("performance").GetProperty("auc").ValueKind.ShouldBe(JsonValueKind.Null);
        root.GetProperty("performance").GetProperty("estimated_auc").GetDouble().ShouldBeInRange(0.5, 1);
    }

    [Fact]
    public async Task Human_readable_table_names_the_moved_features()
    {
        var (code, stdout, err) = await RunAsync("--workspace", _ws, "monitor", "--reference", _first, "--current", _last, "--sep", ";");
        code.ShouldBe(0, err);
        stdout.ShouldContain("Dataset drift: YES");
        stdout.ShouldContain("euribor3m moved: mean 4.92 -> 1.08");
    }

    [Fact]
    public async Task Bad_input_names_the_file_and_the_column()
    {
        var (code, _, err) = await RunAsync("--workspace", _ws, "monitor", "--reference", _first, "--current", Path.Combine(_dir, "nope.csv"));
        code.ShouldNotBe(0);
        err.ShouldContain("nope.csv");
        err.ShouldNotContain("   at ");
        var lacking = Path.Combine(_dir, "lacking.csv");
        await File.WriteAllLinesAsync(lacking, File.ReadLines(_last).Take(50).Select(l => string.Join(';', l.Split(';').Where((_, i) => i != 0))));
        (code, _, err) = await RunAsync("--workspace", _ws, "monitor", "--reference", _first, "--current", lacking);
        code.ShouldNotBe(0);
        err.ShouldContain("lacking.csv");
        err.ShouldContain("age");
        (code, _, err) = await RunAsync("--workspace", _ws, "monitor", "--reference", _first, "--current", _last, "--target", "nosuch", "--positive", "yes");
        code.ShouldNotBe(0);
        err.ShouldContain("nosuch");
        (code, _, err) = await RunAsync("--workspace", _ws, "monitor", "--reference", _first, "--current", _last, "--target", "y");
        code.ShouldNotBe(0);
        err.ShouldContain("--positive");
    }
}

/// <summary>The split bank files and a workspace with a champion trained on the first 20,000 rows, once for the class.</summary>
public sealed class BankMonitorFixture : IAsyncLifetime
{
    public string Dir { get; private set; } = "";
    public string Ws { get; private set; } = "";
    public string First { get; private set; } = "";
    public string Last { get; private set; } = "";
    public string HalfA { get; private set; } = "";
    public string HalfB { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Dir = TestPaths.NewTempDir("monitor");
        Ws = Path.Combine(Dir, "ws");
        var lines = File.ReadLines(TestPaths.BankMarketing).ToList();
        var header = lines[0];
        var rows = lines.Skip(1).ToList();
        First = Path.Combine(Dir, "first20k.csv");
        Last = Path.Combine(Dir, "last10k.csv");
        await File.WriteAllLinesAsync(First, [header, .. rows.Take(20_000)]);
        await File.WriteAllLinesAsync(Last, [header, .. rows.Skip(rows.Count - 10_000)]);
        var shuffled = rows.Take(20_000).ToArray();
        new Random(42).Shuffle(shuffled);
        HalfA = Path.Combine(Dir, "half-a.csv");
        HalfB = Path.Combine(Dir, "half-b.csv");
        await File.WriteAllLinesAsync(HalfA, [header, .. shuffled.Take(10_000)]);
        await File.WriteAllLinesAsync(HalfB, [header, .. shuffled.Skip(10_000)]);
        var (code, _, err) = await MonitorCommandTests.RunAsync("--workspace", Ws, "train", "--csv", First, "--target", "y", "--sep", ";", "--exclude", "duration",
            "--algorithm", "lightgbm", "--time-budget", "0", "--max-trials", "0");
        code.ShouldBe(0, err);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
