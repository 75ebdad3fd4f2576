using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LeadScore.Benchmarks.Scoring;

namespace LeadScore.Cli.Tests.Benchmarks;

/// <summary>Runs every scoring benchmark once, in process, on a small model, so they cannot rot.</summary>
public sealed class ScoringBenchmarksDryRunTests
{
    [Fact]
    public void Every_scoring_benchmark_runs_once_in_dry_mode()
    {
        Environment.SetEnvironmentVariable("LEADSCORE_BENCH_SMALL", "1");
        try
        {
            var config = ManualConfig.CreateEmpty()
                .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
                .AddLogger(NullLogger.Instance)
                .WithOptions(ConfigOptions.DisableOptimizationsValidator)
                .WithArtifactsPath(LeadScore.TestKit.TestPaths.NewTempDir("bench"));
            var summary = BenchmarkRunner.Run<ScoringBenchmarks>(config);
            summary.HasCriticalValidationErrors.ShouldBeFalse(string.Join("; ", summary.ValidationErrors.Select(e => e.Message)));
            summary.Reports.Length.ShouldBe(7);
            summary.Reports.ShouldAllBe(r => r.Success);
        }
        finally
        {
            Environment.SetEnvironmentVariable("LEADSCORE_BENCH_SMALL", null);
        }
    }
}
