using System.Diagnostics;
using System.Globalization;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;
using LeadScore.Application.Ingestion;

namespace LeadScore.Benchmarks.Ingestion;

/// <summary>
/// Splits an activities import into its two halves, each timed alone: parsing + validation (the reader
/// thread) and storage writes (the writer), then the whole pipelined import. Shows which side bounds it.
/// Run: dotnet run -c Release --project benchmarks/LeadScore.Benchmarks -- import-phases FILE [CONNSTRING]
/// </summary>
public static class ImportPhaseReport
{
    /// <summary>Names of the throwaway PostgreSQL databases start with this (all dropped when the report ends).</summary>
    public const string DatabasePrefix = "lsphases";

    public static async Task RunAsync(TextWriter o, string file, string? pg)
    {
        var now = DateTimeOffset.UtcNow;
        var scratch = Directory.CreateTempSubdirectory("leadscore-phases-").FullName;
        var databases = new List<string>();
        try
        {
            await RunCoreAsync(o, file, pg, now, scratch, databases);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
            if (pg is not null && databases.Count > 0) BenchDatabases.Drop(pg, databases);
        }
    }

    private static async Task RunCoreAsync(TextWriter o, string file, string? pg, DateTimeOffset now, string scratch, List<string> databases)
    {
        var sw = Stopwatch.StartNew();
        var plan = ImportPipeline.Plan(ImportKind.Activities, file, null, now);
        var batches = ImportPipeline.Read(plan, file, now).ToList();
        var rows = batches.Sum(b => b.RowsRead);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parse+validate  {rows:N0} rows  {sw.Elapsed.TotalSeconds,6:F2} s"));

        await using (var store = await OpenAsync(pg, scratch, databases))
        {
            sw.Restart();
            foreach (var b in batches) await store.InsertActivitiesAsync(b.Activities);
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"store writes    {store.Backend,-10}  {sw.Elapsed.TotalSeconds,6:F2} s"));
        }
        batches.Clear();
        GC.Collect();

        await using (var store = await OpenAsync(pg, scratch, databases))
        {
            sw.Restart();
            var s = await Support.BenchServices.Get<ImportService>(store).ImportFileAsync(ImportKind.Activities, file);
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"whole import    {store.Backend,-10}  {sw.Elapsed.TotalSeconds,6:F2} s  ({s.Inserted:N0} inserted)"));
        }
    }

    /// <summary>A fresh store: a SQLite workspace under <paramref name="scratch"/>, or a new database on the PostgreSQL server.</summary>
    private static async Task<ILeadStore> OpenAsync(string? pg, string scratch, List<string> databases)
    {
        var ws = Path.Combine(scratch, Guid.NewGuid().ToString("N"));
        string? cs = null;
        if (pg is not null) databases.Add(cs = BenchDatabases.Create(pg, DatabasePrefix));
        return await LeadStore.OpenAsync(ws, cs);
    }
}
