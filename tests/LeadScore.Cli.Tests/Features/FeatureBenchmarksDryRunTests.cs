using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LeadScore.Benchmarks.Features;

namespace LeadScore.Cli.Tests.Features;

/// <summary>Runs every feature benchmark once, in process, on small data, so they cannot rot.</summary>
public sealed class FeatureBenchmarksDryRunTests
{
    [Fact]
    public void Every_feature_benchmark_runs_once_in_dry_mode()
    {
        Environment.SetEnvironmentVariable("LEADSCORE_BENCH_SMALL", "1");
        try
        {
            var config = ManualConfig.CreateEmpty()
                .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
                .AddLogger(NullLogger.Instance)
                .WithOptions(ConfigOptions.DisableOptimizationsValidator)
                .WithArtifactsPath(LeadScore.TestKit.TestPaths.NewTempDir("bench"));
            var summary = BenchmarkRunner.Run<FeatureBenchmarks>(config);
            summary.HasCriticalValidationErrors.ShouldBeFalse(string.Join("; ", summary.ValidationErrors.Select(e => e.Message)));
            summary.Reports.Length.ShouldBe(2);
            summary.Reports.ShouldAllBe(r => r.Success);
        }
        finally
        {
            Environment.SetEnvironmentVariable("LEADSCORE_BENCH_SMALL", null);
        }
    }
}
