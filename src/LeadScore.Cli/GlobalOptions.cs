using System.CommandLine;

namespace LeadScore.Cli;

/// <summary>Options every command takes: where the workspace is and which database to use.</summary>
public sealed class GlobalOptions
{
    public Option<string> Workspace { get; } = new("--workspace")
    {
        Description = "Workspace folder holding the SQLite database and artifacts (env LEADSCORE_WORKSPACE)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LEADSCORE_WORKSPACE") is { Length: > 0 } w ? w : ".leadscore",
    };

    public Option<string?> Database { get; } = new("--database")
    {
        Description = "PostgreSQL connection string; uses PostgreSQL instead of the workspace's SQLite file (env LEADSCORE_DATABASE)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LEADSCORE_DATABASE") is { Length: > 0 } d ? d : null,
    };

    public void AddTo(Command root)
    {
        root.Options.Add(Workspace);
        root.Options.Add(Database);
    }

    public WorkspaceSettings Read(ParseResult parse) =>
        new(Path.GetFullPath(parse.GetValue(Workspace)!), parse.GetValue(Database));
}

public sealed record WorkspaceSettings(string Directory, string? Database);
