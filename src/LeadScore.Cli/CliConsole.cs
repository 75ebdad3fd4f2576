using Spectre.Console;

namespace LeadScore.Cli;

/// <summary>
/// Where the CLI writes. Progress is drawn on a terminal and printed as plain log lines otherwise
/// (Spectre's progress prints nothing without a terminal).
/// </summary>
public sealed class CliConsole(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Err { get; } = stderr;

    /// <summary>True when stdout is a real terminal (not redirected, not a test).</summary>
    public bool Interactive { get; } = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public void Line(string text = "") => Out.WriteLine(text);
    public void Error(string text) => Err.WriteLine($"error: {text}");
    public void Warn(string text) => Err.WriteLine($"warning: {text}");

    /// <summary>Logs a step: a timestamped line on stderr so stdout stays machine-readable.</summary>
    public void Log(string text) => Err.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");

    /// <summary>Runs a long step with a progress display (terminal) or start/end log lines (no terminal).</summary>
    public async Task<T> StepAsync<T>(string title, Func<IProgress<double>, Task<T>> work)
    {
        if (Interactive)
        {
            T result = default!;
            await AnsiConsole.Progress().AutoClear(true).StartAsync(async ctx =>
            {
                var task = ctx.AddTask(title, maxValue: 1.0);
                result = await work(new Progress<double>(p => task.Value = Math.Clamp(p, 0, 1)));
                task.Value = 1.0;
            });
            Err.WriteLine($"✓ {title}");
            return result;
        }
        Log($"{title} ...");
        var last = -1;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var r = await work(new SyncProgress(p =>
        {
            var pct = (int)(Math.Clamp(p, 0, 1) * 100) / 25 * 25;
            if (pct > last && pct is > 0 and < 100) { last = pct; Log($"{title}: {pct}%"); }
        }));
        Log($"{title}: done in {sw.Elapsed.TotalSeconds:F1}s");
        return r;
    }

    public Task StepAsync(string title, Func<IProgress<double>, Task> work) =>
        StepAsync<bool>(title, async p => { await work(p); return true; });

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
