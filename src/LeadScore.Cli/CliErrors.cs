using LeadScore.Core;

namespace LeadScore.Cli;

/// <summary>Turns failures into the one clear line the CLI prints instead of a stack trace.</summary>
internal static class CliErrors
{
    public static string? Describe(Exception ex) => ex switch
    {
        LeadScoreException e => e.Message,
        FileNotFoundException e => $"{e.FileName ?? "file"}: file not found",
        DirectoryNotFoundException e => e.Message,
        UnauthorizedAccessException e => $"permission denied: {e.Message}",
        IOException e => e.Message,
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerException!),
        _ when Environment.GetEnvironmentVariable("LEADSCORE_DEBUG") == "1" => null,
        _ => $"{ex.GetType().Name}: {ex.Message} (set LEADSCORE_DEBUG=1 for details)",
    };
}
