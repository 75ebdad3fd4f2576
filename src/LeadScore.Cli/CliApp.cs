using System.CommandLine;
using LeadScore.Core;

namespace LeadScore.Cli;

/// <summary>The command tree. Each capability adds its commands here, one line each.</summary>
public static class CliApp
{
    /// <summary>How long a command may take to stop after SIGTERM (a server drains requests and flushes the prediction log).</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var console = new CliConsole(stdout ?? Console.Out, stderr ?? Console.Error);
        var root = Build(console);
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) console.Error(CliErrors.ParseError(e.Message));
                console.Error("Run './leadscore --help' for usage.");
                return ExitCodes.Usage;
            }
            // SIGTERM cancels the command's token; a server then drains in-flight requests and flushes the prediction log. The
            // default grace of 2 s cut that short on a loaded machine (exit 143), so allow what the host's shutdown allows.
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false, Output = console.Out, Error = console.Err, ProcessTerminationTimeout = ShutdownGrace,
            });
        }
        catch (OperationCanceledException)
        {
            console.Error("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (CliErrors.Describe(ex) is { } message)
        {
            console.Error(message);
            return ExitCodes.Failure;
        }
    }

    public static RootCommand Build(CliConsole console)
    {
        var global = new GlobalOptions();
        var root = new RootCommand("LeadScore: self-hosted lead scoring that learns from your own CRM history.");
        global.AddTo(root);
        // Each capability adds its command here.
        root.Subcommands.Add(Commands.QuickstartCommand.Create(global, console));
        root.Subcommands.Add(Commands.GenerateCommand.Create(console));
        root.Subcommands.Add(Commands.FeaturesCommand.Create(global, console));
        root.Subcommands.Add(Commands.ImportCommand.Create(console, global));
        root.Subcommands.Add(Commands.QuarantineCommand.Create(console, global));
        root.Subcommands.Add(Commands.ServeCommand.Create(global, console));
        root.Subcommands.Add(Commands.ApiKeyCommand.Create(global, console));
        root.Subcommands.Add(Commands.TrainCommand.Create(global, console));
        root.Subcommands.Add(Commands.ModelsCommand.Create(global, console));
        root.Subcommands.Add(Commands.GradesCommand.Create(global, console));
        root.Subcommands.Add(Commands.PolicyCommand.Create(global, console));
        root.Subcommands.Add(Commands.ScoreCommand.Create(global, console));
        root.Subcommands.Add(Commands.MonitorCommand.Create(global, console));
        root.Subcommands.Add(Commands.FairnessCommand.Create(global, console));
        root.Subcommands.Add(Commands.PrivacyCommand.Create(global, console));
        root.Subcommands.Add(Commands.AuditCommand.Create(global, console));
        root.Subcommands.Add(Commands.RetentionCommand.Create(global, console));
        root.Subcommands.Add(Commands.SimulateCommand.Create(global, console));
        return root;
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;
}
