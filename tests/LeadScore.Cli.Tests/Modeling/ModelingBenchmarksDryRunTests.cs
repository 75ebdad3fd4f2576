using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.NoEmit;
using LeadScore.Benchmarks.Modeling;

namespace LeadScore.Cli.Tests.Modeling;

/// <summary>Runs every modeling benchmark once, in process, so they cannot rot.</summary>
public sealed class ModelingBenchmarksDryRunTests
{
    [Fact]
    public void Training_benchmarks_run_once_in_dry_mode()
    {
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.Dry.WithToolchain(InProcessNoEmitToolchain.Instance))
            .AddLogger(NullLogger.Instance)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            // One thread count is enough to prove the benchmarks run; the other only repeats the same code.
            .AddFilter(new SimpleFilter(b => b.Parameters["Threads"] is 1));
        var summary = BenchmarkRunner.Run<TrainingBenchmarks>(config);
        summary.Reports.Length.ShouldBe(summary.BenchmarksCases.Length);
        summary.Reports.ShouldAllBe(r => r.Success);
        summary.BenchmarksCases.Length.ShouldBe(3);
    }
}
