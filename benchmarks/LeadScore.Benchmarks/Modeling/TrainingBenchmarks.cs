using BenchmarkDotNet.Attributes;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;

namespace LeadScore.Benchmarks.Modeling;

/// <summary>
/// One fit of each trainer with its defaults on bank marketing (41,188 rows, without duration), and the
/// evaluator on the held-out part. The bar: one LightGBM fit on bank in at most 1 s on 2 cores.
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private FeatureFrame _bank = null!;
    private readonly ModelingContext _ctx = new();
    private double[] _probabilities = [];
    private bool[] _labels = [];

    /// <summary>Path to the bank CSV; defaults to ../shared/data beside the repository.</summary>
    public static string BankPath => Environment.GetEnvironmentVariable("LEADSCORE_BANK_CSV") is { Length: > 0 } p ? p : FindBank();

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _bank = FlatTableLoader.Load(BankPath, new FlatTableOptions { Target = "y", Positive = "yes", Exclude = ["duration"] }).Frame;
        var rng = new Random(1);
        _labels = _bank.Labels.ToArray();
        _probabilities = _labels.Select(l => Math.Clamp((l ? 0.3 : 0.1) + rng.NextDouble() * 0.5, 0, 1)).ToArray();
    }

    [Benchmark]
    public object LightGbmFit() => _ctx.Fit(_bank, new LightGbmOptions { Threads = Threads }).Model;

    [Benchmark]
    public object LogisticFit() => _ctx.Fit(_bank, new LogisticOptions { Threads = Threads }).Model;

    [Benchmark]
    public EvaluationMetrics Evaluate() => Evaluator.Evaluate(_probabilities, _labels);

    private static string FindBank()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "LeadScore.slnx"))) d = d.Parent;
        var root = d?.FullName ?? throw new InvalidOperationException("repository root not found; set LEADSCORE_BANK_CSV");
        return Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "bank-marketing", "bank-additional-full.csv"));
    }
}
