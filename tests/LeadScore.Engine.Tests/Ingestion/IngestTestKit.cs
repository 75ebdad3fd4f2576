using System.Text;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Ingestion;

/// <summary>Runs the storage-free pipeline over a file and totals the batches.</summary>
internal static class IngestTestKit
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public sealed record Totals(long Read, List<Lead> Leads, List<Activity> Activities, List<Enrichment> Enrichment, List<Outcome> Outcomes,
        List<Outcome> Derived, List<RejectedRow> Rejected, ImportPlan Plan)
    {
        public long Accepted => Leads.Count + Activities.Count + Enrichment.Count + Outcomes.Count;
    }

    public static string Write(string name, string content, Encoding? encoding = null)
    {
        var path = Path.Combine(TestPaths.NewTempDir("ingest"), name);
        File.WriteAllText(path, content, encoding ?? new UTF8Encoding(false));
        return path;
    }

    public static string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(TestPaths.NewTempDir("ingest"), name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static Totals Run(ImportKind kind, string path, ImportMapping? mapping = null, int batchSize = 1000)
    {
        var plan = ImportPipeline.Plan(kind, path, mapping, Now);
        var t = new Totals(0, [], [], [], [], [], [], plan);
        long read = 0;
        foreach (var b in ImportPipeline.Read(plan, path, Now, batchSize))
        {
            read += b.RowsRead;
            t.Leads.AddRange(b.Leads);
            t.Activities.AddRange(b.Activities);
            t.Enrichment.AddRange(b.Enrichment);
            t.Outcomes.AddRange(b.Outcomes);
            t.Derived.AddRange(b.DerivedOutcomes);
            t.Rejected.AddRange(b.Rejected);
            (b.Accepted + b.Rejected.Count).ShouldBe((int)b.RowsRead);
        }
        return t with { Read = read };
    }
}
