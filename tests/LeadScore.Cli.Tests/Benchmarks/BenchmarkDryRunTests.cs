using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LeadScore.Benchmarks.Features;
using LeadScore.Benchmarks.Ingestion;
using LeadScore.Benchmarks.Modeling;
using LeadScore.Benchmarks.Scoring;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Benchmarks;

/// <summary>
/// Runs every benchmark once, in process, on small inputs (LEADSCORE_BENCH_SMALL), so none can rot.
/// One class, so the process-wide environment switch is never flipped by two tests at once.
/// </summary>
public sealed class BenchmarkDryRunTests
{
    public static TheoryData<string> Suites => new("scoring", "features", "modeling", "ingestion");

    [Theory, MemberData(nameof(Suites))]
    public void Every_benchmark_runs_once_in_dry_mode(string suite)
    {
        Environment.SetEnvironmentVariable("LEADSCORE_BENCH_SMALL", "1");
        Environment.SetEnvironmentVariable("LEADSCORE_BENCH_PG", TestStores.PostgresAdminConnectionString);
        try
        {
            // The run's log is kept and shown when a case fails, so a failure says why (it is silent otherwise).
            var log = new AccumulationLogger();
            var config = ManualConfig.CreateEmpty()
                .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
                .AddLogger(log)
                .AddColumnProvider(DefaultColumnProviders.Instance)
                .WithOptions(ConfigOptions.DisableOptimizationsValidator)
                .WithArtifactsPath(TestPaths.NewTempDir("bench"));
            var (type, expected) = suite switch
            {
                "scoring" => (typeof(ScoringBenchmarks), 7),
                "features" => (typeof(FeatureBenchmarks), 2),
                // One thread count proves the training benchmarks run; the other repeats the same code.
                "modeling" => (typeof(TrainingBenchmarks), 3),
                _ => (typeof(ActivityImportBenchmarks), 2),
            };
            if (suite == "modeling") config = config.AddFilter(new SimpleFilter(b => b.Parameters["Threads"] is 1));
            // The import benchmark's own [SimpleJob] would also run, out of process: BenchmarkDotNet then builds a separate
            // project, which on a loaded machine failed with "0 runs" (the dry, in-process cases passed). Only the dry job runs.
            if (suite == "ingestion") config = config.AddFilter(new SimpleFilter(b => b.Job.Infrastructure.Toolchain is InProcessEmitToolchain));
            var summary = BenchmarkRunner.Run(type, config);
            summary.HasCriticalValidationErrors.ShouldBeFalse(string.Join("; ", summary.ValidationErrors.Select(e => e.Message)));
            summary.BenchmarksCases.Length.ShouldBeGreaterThanOrEqualTo(expected);
            summary.Reports.Length.ShouldBe(summary.BenchmarksCases.Length);
            summary.Reports.ShouldAllBe(r => r.Success, Tail(log.GetLog()));
        }
        finally
        {
            Environment.SetEnvironmentVariable("LEADSCORE_BENCH_SMALL", null);
            Environment.SetEnvironmentVariable("LEADSCORE_BENCH_PG", null);
        }
    }

    private static string Tail(string log) => log.Length <= 6000 ? log : log[^6000..];
}
