using BenchmarkDotNet.Running;

namespace LeadScore.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["scoring-cpu"]) { Scoring.ScoringCpuReport.Run(Console.Out); return; }
        if (args is ["store-trainingset", var n, ..])
        {
            Features.StoreTrainingSetReport.RunAsync(Console.Out, int.Parse(n), args.Length > 2 ? args[2] : null).GetAwaiter().GetResult();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
