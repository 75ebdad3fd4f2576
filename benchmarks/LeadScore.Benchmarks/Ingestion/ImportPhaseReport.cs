using System.Diagnostics;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;
using LeadScore.Storage.Services;

namespace LeadScore.Benchmarks.Ingestion;

/// <summary>
/// Splits an activities import into its two halves, each timed alone: parsing + validation (the reader
/// thread) and storage writes (the writer), then the whole pipelined import. Shows which side bounds it.
/// Run: dotnet run -c Release --project benchmarks/LeadScore.Benchmarks -- import-phases FILE [CONNSTRING]
/// </summary>
public static class ImportPhaseReport
{
    public static async Task RunAsync(TextWriter o, string file, string? pg)
    {
        var now = DateTimeOffset.UtcNow;
        var sw = Stopwatch.StartNew();
        var plan = ImportPipeline.Plan(ImportKind.Activities, file, null, now);
        var batches = ImportPipeline.Read(plan, file, now).ToList();
        var rows = batches.Sum(b => b.RowsRead);
        o.WriteLine($"parse+validate  {rows:N0} rows  {sw.Elapsed.TotalSeconds,6:F2} s");

        await using (var store = await OpenAsync(pg))
        {
            sw.Restart();
            foreach (var b in batches) await store.InsertActivitiesAsync(b.Activities);
            o.WriteLine($"store writes    {store.Backend,-10}  {sw.Elapsed.TotalSeconds,6:F2} s");
        }
        batches.Clear();
        GC.Collect();

        await using (var store = await OpenAsync(pg))
        {
            sw.Restart();
            var s = await new ImportService(store).ImportFileAsync(ImportKind.Activities, file);
            o.WriteLine($"whole import    {store.Backend,-10}  {sw.Elapsed.TotalSeconds,6:F2} s  ({s.Inserted:N0} inserted)");
        }
    }

    private static async Task<ILeadStore> OpenAsync(string? pg)
    {
        var ws = Path.Combine(Path.GetTempPath(), $"leadscore-phases-{Guid.NewGuid():N}");
        string? cs = null;
        if (pg is not null)
        {
            var db = $"phases_{Guid.NewGuid():N}"[..20];
            await using var admin = new Npgsql.NpgsqlConnection(pg);
            await admin.OpenAsync();
            await using (var cmd = new Npgsql.NpgsqlCommand($"CREATE DATABASE {db}", admin)) await cmd.ExecuteNonQueryAsync();
            cs = new Npgsql.NpgsqlConnectionStringBuilder(pg) { Database = db }.ToString();
        }
        return await LeadStore.OpenAsync(ws, cs);
    }
}
