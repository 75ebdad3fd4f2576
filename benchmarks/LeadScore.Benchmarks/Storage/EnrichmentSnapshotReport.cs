using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Benchmarks.Storage;

/// <summary>
/// The memory the online scorer's enrichment snapshot holds: every enrichment record of a store, grouped by domain as
/// <c>ScoringService.RefreshEnrichmentAsync</c> groups them. Read as the store reads them now (one <c>AttributeMap</c> a
/// record, names, repeated values and domains pooled for the stream) and, from the same stream, as they were read until
/// 2026-12-04 (a <c>Dictionary</c> from <c>JsonSerializer</c> and fresh strings a record), one after the other in one process.
/// <c>dotnet benchmarks/LeadScore.Benchmarks/bin/Release/net10.0/LeadScore.Benchmarks.dll enrichment-snapshot WORKSPACE [connection string]</c>
/// </summary>
public static class EnrichmentSnapshotReport
{
    public static async Task RunAsync(TextWriter output, string workspace, string? connectionString)
    {
        var inv = CultureInfo.InvariantCulture;
        await using var store = await LeadStore.OpenAsync(workspace, connectionString);
        output.WriteLine($"store: {store.Describe()}");

        var (records, bytes, seconds) = await MeasureAsync(store, e => e);
        if (records == 0)
        {
            output.WriteLine("no enrichment records in this store: import some first (./leadscore import enrichment FILE)");
            return;
        }
        output.WriteLine(string.Create(inv, $"now:    {records:N0} records, {bytes / 1048576.0:N0} MB held ({(double)bytes / records:N0} B a record), read in {seconds:F1} s"));
        var (_, oldBytes, oldSeconds) = await MeasureAsync(store, e => new Enrichment
        {
            Domain = new string(e.Domain),
            AsOf = e.AsOf,
            Attributes = JsonSerializer.Deserialize<Dictionary<string, string?>>(
                JsonSerializer.Serialize(new SortedDictionary<string, string?>(e.Attributes.ToDictionary(), StringComparer.Ordinal)))!,
        });
        output.WriteLine(string.Create(inv, $"before: {records:N0} records, {oldBytes / 1048576.0:N0} MB held ({(double)oldBytes / records:N0} B a record), read and rebuilt in {oldSeconds:F1} s"));
        output.WriteLine(string.Create(inv, $"held: {(double)bytes / oldBytes:P0} of before; process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MB"));
    }

    private static async Task<(long Records, long Bytes, double Seconds)> MeasureAsync(ILeadStore store, Func<Enrichment, Enrichment> shape)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var sw = Stopwatch.StartNew();
        var map = new Dictionary<string, List<Enrichment>>(StringComparer.OrdinalIgnoreCase);
        long n = 0;
        await foreach (var raw in store.StreamEnrichmentAsync())
        {
            var e = shape(raw);
            if (!map.TryGetValue(e.Domain, out var list)) map[e.Domain] = list = [];
            list.Add(e);
            n++;
        }
        var snapshot = map.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Enrichment>)kv.Value, StringComparer.OrdinalIgnoreCase);
        map = null;
        var seconds = sw.Elapsed.TotalSeconds;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(snapshot);
        return (n, after - before, seconds);
    }
}
