using BenchmarkDotNet.Running;

namespace LeadScore.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["monitoring-drift", ..])
        {
            int Arg(int i, int d) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : d;
            Monitoring.DriftBenchReport.Run(Console.Out, Arg(1, 1_000_000), Arg(2, 140), Arg(3, 52));
            return;
        }
        if (args is ["api-path", var apiWorkspace]) { Api.ApiPathReport.Run(Console.Out, apiWorkspace); return; }
        if (args is ["scoring-cpu"]) { Scoring.ScoringCpuReport.Run(Console.Out); return; }
        if (args is ["shap-speed", .. var workspaces]) { Scoring.ShapSpeedReport.Run(Console.Out, workspaces); return; }
        if (args is ["shap-trees", .. var models]) { Scoring.ShapTreeCostReport.Run(Console.Out, models); return; }
        if (args is ["store-trainingset", var n, ..])
        {
            Features.StoreTrainingSetReport.RunAsync(Console.Out, int.Parse(n), args.Length > 2 ? args[2] : null).GetAwaiter().GetResult();
            return;
        }
        if (args is ["enrichment-snapshot", var esWorkspace, ..])
        {
            Storage.EnrichmentSnapshotReport.RunAsync(Console.Out, esWorkspace, args.Length > 2 ? args[2] : null).GetAwaiter().GetResult();
            return;
        }
        if (args is ["write-activities", var rows, var path])
        {
            Console.WriteLine(Ingestion.ActivityFileGenerator.Write(path, int.Parse(rows, System.Globalization.CultureInfo.InvariantCulture)));
            return;
        }
        if (args is ["import-phases", var file, ..])
        {
            Ingestion.ImportPhaseReport.RunAsync(Console.Out, file, args.Length > 2 ? args[2] : null).GetAwaiter().GetResult();
            return;
        }
        if (args is ["prediction-log-cost", var plcWorkspace, ..])
        {
            Monitoring.PredictionLogCostReport.RunAsync(Console.Out, plcWorkspace, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5,
                args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 30_000).GetAwaiter().GetResult();
            return;
        }
        if (args is ["prediction-log-write", var plRows, var plFeatures, ..])
        {
            Monitoring.PredictionLogWriteReport.RunAsync(Console.Out, int.Parse(plRows, System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(plFeatures, System.Globalization.CultureInfo.InvariantCulture), args.Length > 3 ? args[3] : null).GetAwaiter().GetResult();
            return;
        }
        if (args is ["monitor-log", var sizes, var features, ..])
        {
            var rest = args.Skip(3).ToList();
            var outcomes = !rest.Remove("--no-outcomes");
            var ages = rest.Remove("--ages");
            Monitoring.MonitorLogReport.RunAsync(Console.Out, sizes.Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList(),
                int.Parse(features, System.Globalization.CultureInfo.InvariantCulture), rest.FirstOrDefault(), outcomes, ages).GetAwaiter().GetResult();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
