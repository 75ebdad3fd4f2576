using BenchmarkDotNet.Running;

namespace LeadScore.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["scoring-cpu"]) { Scoring.ScoringCpuReport.Run(Console.Out); return; }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
