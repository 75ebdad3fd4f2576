using System.Diagnostics;
using System.Globalization;
using LeadScore.Storage;

namespace LeadScore.Benchmarks.Monitoring;

/// <summary>
/// The prediction log's write cost per row against the batch size (SQLite by default): N rows of F features appended in
/// batches of 1, 5, 50, 500 and 5,000 rows, CPU time per row (the writer thread's share of a request's cost). A server
/// whose writer drained on every wake-up wrote batches of a few rows under a steady request rate; with
/// <c>LeadScore:Monitoring:WriteDelay</c> it writes one batch per pause (about 200 ms of requests).
/// <c>dotnet run -c Release --project benchmarks/LeadScore.Benchmarks -- prediction-log-write 20000 40 [connection string]</c>
/// </summary>
public static class PredictionLogWriteReport
{
    public static async Task RunAsync(TextWriter output, int rows, int features, string? connectionString)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"prediction-log-write: {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, {rows:N0} rows x {features} features per batch size"));
        var r = new Random(3);
        var t0 = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (var batch in new[] { 1, 5, 50, 500, 5000 })
        {
            var ws = Path.Combine(Path.GetTempPath(), $"leadscore-bench-plw-{Guid.NewGuid():N}");
            await using (var store = await LeadStore.OpenAsync(ws, connectionString))
            {
                var n = batch == 1 ? rows / 4 : rows; // one row per transaction is slow: fewer rows, the same per-row figure
                var list = new List<LoggedPrediction>(n);
                for (var i = 0; i < n; i++)
                {
                    var f = new byte[features * 4];
                    r.NextBytes(f);
                    list.Add(new LoggedPrediction
                    {
                        PredictedAt = t0.AddSeconds(i), LeadId = "L" + i.ToString(inv), ModelVersion = "v1", Slot = PredictionSlots.Champion,
                        Probability = r.NextDouble(), Grade = "B", HorizonDays = 30, Source = PredictionSources.Api, Features = f,
                    });
                }
                await store.AppendPredictionsAsync(list.Take(10).ToList()); // warm-up (connection pool, JIT)
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < n; i += batch) await store.AppendPredictionsAsync(list.GetRange(i, Math.Min(batch, n - i)));
                var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                output.WriteLine(string.Create(inv, $"  batches of {batch,5}: {used.TotalMilliseconds * 1000 / n,7:F1} us CPU per row, {sw.Elapsed.TotalMilliseconds * 1000 / n,7:F1} us wall per row ({n:N0} rows)"));
            }
            if (connectionString is null) Directory.Delete(ws, recursive: true);
        }
    }
}
