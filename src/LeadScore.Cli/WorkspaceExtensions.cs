using System.CommandLine;
using LeadScore.Storage;

namespace LeadScore.Cli;

internal static class WorkspaceExtensions
{
    /// <summary>Opens the store the command's --workspace/--database select, with migrations applied.</summary>
    public static Task<ILeadStore> OpenStoreAsync(this GlobalOptions global, ParseResult parse, CancellationToken ct)
    {
        var ws = global.Read(parse);
        return LeadStore.OpenAsync(ws.Directory, ws.Database, ct);
    }
}
