using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;
using LeadScore.Application.Ingestion;

namespace LeadScore.Benchmarks.Ingestion;

/// <summary>
/// 1,000,000 activities from CSV into a fresh store, end to end (parse, validate, hash-free event ids,
/// batched transactions; PostgreSQL through binary COPY). Target: under 15 s each on the 2-core machine.
/// PostgreSQL needs LEADSCORE_BENCH_PG (a connection string to a server where databases may be created).
/// Run: dotnet run -c Release --project benchmarks/LeadScore.Benchmarks -- --filter '*ActivityImport*'
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 3)]
public class ActivityImportBenchmarks
{
    private string _dir = "";
    private string _file = "";
    private ILeadStore? _store;

    [Params(1_000_000)]
    public int Rows { get; set; }

    [Params("sqlite", "postgresql")]
    public string Backend { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"leadscore-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        // LEADSCORE_BENCH_SMALL: the dry-run test only proves the benchmark runs.
        var rows = Environment.GetEnvironmentVariable("LEADSCORE_BENCH_SMALL") == "1" ? 2_000 : Rows;
        _file = ActivityFileGenerator.Write(Path.Combine(_dir, "activities.csv"), rows);
    }

    [IterationSetup]
    public void OpenStore()
    {
        var ws = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        string? cs = null;
        if (Backend == "postgresql")
        {
            var admin = Environment.GetEnvironmentVariable("LEADSCORE_BENCH_PG") is { Length: > 0 } a ? a
                : throw new InvalidOperationException("set LEADSCORE_BENCH_PG to a PostgreSQL connection string (e.g. from scripts/pg.sh start)");
            cs = BenchDatabases.Create(admin);
        }
        _store = LeadStore.OpenAsync(ws, cs).GetAwaiter().GetResult();
    }

    [Benchmark]
    public ImportSummary ImportActivities() =>
        Support.BenchServices.Get<ImportService>(_store!).ImportFileAsync(ImportKind.Activities, _file).GetAwaiter().GetResult();

    [IterationCleanup]
    public void CloseStore() => _store?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Fresh PostgreSQL databases for benchmark iterations.</summary>
internal static class BenchDatabases
{
    public static string Create(string admin, string prefix = "lsbench")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        using (var c = new Npgsql.NpgsqlConnection(admin))
        {
            c.Open();
            using var cmd = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", c);
            cmd.ExecuteNonQuery();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    /// <summary>Drops databases made by <see cref="Create"/> (given by their connection strings), closing pooled connections first.</summary>
    public static void Drop(string admin, IEnumerable<string> connectionStrings)
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        using var c = new Npgsql.NpgsqlConnection(admin);
        c.Open();
        foreach (var cs in connectionStrings)
        {
            using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {new Npgsql.NpgsqlConnectionStringBuilder(cs).Database} WITH (FORCE)", c);
            drop.ExecuteNonQuery();
        }
    }
}
