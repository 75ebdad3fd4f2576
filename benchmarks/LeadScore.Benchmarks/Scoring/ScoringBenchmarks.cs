using BenchmarkDotNet.Attributes;
using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace LeadScore.Benchmarks.Scoring;

/// <summary>
/// The compiled scorer against ML.NET's batch Transform on the same LightGBM model (bank marketing,
/// all 41,188 rows), and the engine with exact reasons. Set LEADSCORE_BENCH_SMALL=1 for a small
/// model and sample (the dry-run test does).
/// </summary>
[MemoryDiagnoser]
public class ScoringBenchmarks
{
    private ITransformer _mlModel = null!;
    private IDataView _mlData = null!;
    private CompiledModel _model = null!;
    private ScoringEngine _engine = null!;
    private float[] _matrix = null!;
    private double[] _margins = null!;
    private FeatureFrame _frame = null!;
    private FeatureFrame _explainFrame = null!;
    private FeatureValue[] _lead = null!;

    /// <summary>Trees in the benchmark model (100 as the issue asks; shallow trees keep TreeSHAP fast).</summary>
    [Params(100)]
    public int Trees { get; set; }

    /// <summary>Leaves per tree (LightGBM num_leaves).</summary>
    [Params(31)]
    public int Leaves { get; set; }

    /// <summary>
    /// LightGBM max_depth. Bounded so every tree gets Fast TreeSHAP tables (at most 8 unique features
    /// per path); leaf-wise trees of 31 leaves otherwise reach depth 20 here.
    /// </summary>
    [Params(6)]
    public int MaxDepth { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var small = Environment.GetEnvironmentVariable("LEADSCORE_BENCH_SMALL") == "1";
        var bank = BenchmarkData.Bank.Value;
        if (small) bank = bank.Subset(Enumerable.Range(0, 2000).Select(i => i * 20).ToArray());
        var encoder = FeatureEncoder.Fit(bank);
        var matrix = encoder.EncodeAll(bank);
        var ml = new MLContext(1);
        var train = MlNetFitter.ToDataView(ml, matrix, encoder.SlotCount, bank.Labels);
        _mlModel = ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            NumberOfIterations = small ? 10 : Trees,
            NumberOfLeaves = Leaves,
            MinimumExampleCountPerLeaf = 20,
            NumberOfThreads = 1,
            Seed = 1,
            Deterministic = true,
            Booster = new GradientBooster.Options { MaximumTreeDepth = MaxDepth },
        }).Fit(train);
        _model = CompiledModel.FromMlNet(_mlModel, matrix, encoder.SlotCount);
        _engine = new ScoringEngine("bench", encoder, _model, new ProbabilityCalibrator { Kind = CalibratorKind.Platt, A = 1, B = 0 }, GradeBands.Default);
        _mlData = MlNetFitter.ToDataView(ml, matrix, encoder.SlotCount);
        _matrix = matrix;
        _margins = new double[bank.Count];
        _frame = bank;
        _explainFrame = bank.Subset(Enumerable.Range(0, Math.Min(4096, bank.Count)).ToArray());
        _lead = bank.Rows[Math.Min(123, bank.Count - 1)];
    }

    /// <summary>ML.NET: Transform the rows and read every score (one thread, as ML.NET's cursor runs).</summary>
    [Benchmark(Baseline = true)]
    public double MlNetTransform()
    {
        var scored = _mlModel.Transform(_mlData);
        double sum = 0;
        foreach (var s in scored.GetColumn<float>("Score")) sum += s;
        return sum;
    }

    /// <summary>Compiled margins, one thread, same rows.</summary>
    [Benchmark]
    public double CompiledOneThread()
    {
        _model.Margins(_matrix, _margins);
        return _margins[^1];
    }

    /// <summary>Compiled margins over the thread pool (2 cores here).</summary>
    [Benchmark]
    public double CompiledParallel()
    {
        _model.MarginsParallel(_matrix, _margins);
        return _margins[^1];
    }

    /// <summary>The engine from feature rows: encoding, margins and calibration, in parallel.</summary>
    [Benchmark]
    public double EngineProbabilities() => _engine.Probabilities(_frame)[^1];

    /// <summary>The engine with exact reasons (top 5 + 5) for 4,096 leads, in parallel.</summary>
    [Benchmark]
    public int EngineBatchWithReasons() => _engine.ScoreBatch(_explainFrame, explain: true).Length;

    /// <summary>One lead with reasons, as the API scores it.</summary>
    [Benchmark]
    public LeadScoreResult OneLeadWithReasons() => _engine.Score("lead", _lead, explain: true);

    /// <summary>One lead without reasons.</summary>
    [Benchmark]
    public LeadScoreResult OneLeadNoReasons() => _engine.Score("lead", _lead, explain: false);
}

/// <summary>Finds the shared datasets beside the repository (as the tests do) or in LEADSCORE_DATA.</summary>
internal static class BenchmarkData
{
    /// <summary>Read once per process: the dry-run test runs every benchmark in one process.</summary>
    public static readonly Lazy<FeatureFrame> Bank = new(() =>
        FlatTableLoader.Load(BankMarketing, new FlatTableOptions { Target = "y", Positive = "yes", Separator = ';', Exclude = ["duration"] }).Frame);

    public static string BankMarketing => Path.Combine(Root, "bank-marketing", "bank-additional-full.csv");

    private static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("LEADSCORE_DATA") is { Length: > 0 } env) return env;
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "LeadScore.slnx"))) d = d.Parent;
            if (d is null) throw new InvalidOperationException("Set LEADSCORE_DATA: the repository root was not found above " + AppContext.BaseDirectory);
            return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "data"));
        }
    }
}
