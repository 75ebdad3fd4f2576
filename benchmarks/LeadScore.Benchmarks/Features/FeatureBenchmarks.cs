using BenchmarkDotNet.Attributes;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Synthetic;

namespace LeadScore.Benchmarks.Features;

/// <summary>
/// Online: one lead's feature vector with 500 activities (budget 1 ms). Offline: the point-in-time training set for
/// 100,000 generated leads (about 5.6 million activities) from in-memory streams in the store's orders (budget 30 s;
/// reading the streams from SQLite/PostgreSQL comes on top). Set LEADSCORE_BENCH_SMALL=1 for 2,000 leads (the dry-run test does).
/// </summary>
[MemoryDiagnoser]
public class FeatureBenchmarks
{
    private FeatureComputer _computer = null!;
    private TrainingSetBuilder _builder = null!;
    private SyntheticDataset _data = null!;
    private Lead _lead = null!;
    private List<Activity> _activities = null!;
    private List<Enrichment> _enrichment = null!;
    private DateTimeOffset _asOf;

    [GlobalSetup(Target = nameof(OnlineVector500Activities))]
    public void SetupOnline() => Setup(2000);

    [GlobalSetup(Target = nameof(TrainingSetFromMemory))]
    public void SetupTrainingSet() => Setup(Environment.GetEnvironmentVariable("LEADSCORE_BENCH_SMALL") == "1" ? 2000 : 100_000);

    private void Setup(int leads)
    {
        _data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = leads, Seed = 42 });
        var sampleLeads = _data.Leads.Take(5000).ToList();
        var defs = FeatureDefinitions.InferDefaults(sampleLeads, _data.Activities.Take(300_000).Select(a => a.Type).Distinct(), _data.Enrichment.Take(20_000).ToList());
        _computer = new FeatureComputer(defs);
        _builder = new TrainingSetBuilder(_computer);

        // One lead with 500 activities over 180 days: the mix of a busy generated lead, repeated.
        _lead = _data.Leads[0];
        var template = _data.Activities.GroupBy(a => a.LeadId).OrderByDescending(g => g.Count()).First().ToList();
        _asOf = _lead.CreatedAt.AddDays(180);
        _activities = Enumerable.Range(0, 500).Select(i =>
        {
            var t = template[i % template.Count];
            return t with { LeadId = _lead.Id, EventId = $"b{i:D4}", Timestamp = _lead.CreatedAt.AddMinutes(i * 180.0 * 1440 / 500) };
        }).ToList();
        var domain = _computer.EnrichmentDomain(_lead);
        _enrichment = _data.Enrichment.Where(e => e.Domain == domain).ToList();
    }

    [Benchmark]
    public FeatureValue[] OnlineVector500Activities() => _computer.Compute(_lead, _activities, _enrichment, _asOf);

    [Benchmark]
    public int TrainingSetFromMemory() => _builder.Build(_data.Leads, _data.Activities, _data.Enrichment, _data.Outcomes).Frame.Count;
}
