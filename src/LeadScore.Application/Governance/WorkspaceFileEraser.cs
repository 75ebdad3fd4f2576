using System.Text;
using LeadScore.Storage;

namespace LeadScore.Application.Governance;

/// <summary>What erasure did to the files under the workspace.</summary>
public sealed record FileErasure(IReadOnlyList<string> Edited, IReadOnlyList<string> Deleted);

/// <summary>
/// Erasure's file half: every file under the workspace that LeadScore (or its user) wrote there - score outputs, quarantine
/// exports, reports, feature frames - is searched for the lead's id (as a whole field) and its email and phone. Text files
/// of one record per line (csv, tsv, jsonl, ndjson, txt, log) are rewritten without the lines naming the lead (through a
/// temporary file and a rename, so a crash leaves the old or the new file, never half of one); any other file naming the
/// lead cannot be edited safely (a report's HTML, a zip, a binary frame) and is deleted. The SQLite database files are
/// not touched here: the store's own erasure zeroes the rows and truncates the write-ahead log.
/// </summary>
public static class WorkspaceFileEraser
{
    private static readonly HashSet<string> LineFiles = new(StringComparer.OrdinalIgnoreCase) { ".csv", ".tsv", ".jsonl", ".ndjson", ".txt", ".log" };

    public static async Task<FileErasure> EraseAsync(string? workspace, string leadId, IReadOnlyList<string> values, CancellationToken ct)
    {
        if (workspace is null || !Directory.Exists(workspace)) return new FileErasure([], []);
        var needles = values.Where(v => v.Length >= 5).Distinct(StringComparer.Ordinal).ToList();
        var edited = new List<string>();
        var deleted = new List<string>();
        var db = Path.Combine(workspace, LeadStore.SqliteFileName);
        foreach (var path in Directory.EnumerateFiles(workspace, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            if (path.StartsWith(db, StringComparison.Ordinal)) continue;
            if (!await MentionsAsync(path, leadId, needles, ct)) continue;
            if (LineFiles.Contains(Path.GetExtension(path)))
            {
                await RewriteWithoutAsync(path, leadId, needles, ct);
                edited.Add(path);
            }
            else
            {
                File.Delete(path);
                deleted.Add(path);
            }
        }
        return new FileErasure(edited, deleted);
    }

    private static bool Names(string text, string leadId, IReadOnlyList<string> needles)
    {
        if (FieldText.NamesAsField(text, leadId)) return true;
        foreach (var n in needles) if (text.Contains(n, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static async Task<bool> MentionsAsync(string path, string leadId, IReadOnlyList<string> needles, CancellationToken ct)
    {
        // Read as UTF-8 text whatever the file is: an id in a binary file is still its UTF-8 bytes.
        using var reader = new StreamReader(path, new UTF8Encoding(false, false), true);
        while (await reader.ReadLineAsync(ct) is { } line)
            if (Names(line, leadId, needles)) return true;
        return false;
    }

    private static async Task RewriteWithoutAsync(string path, string leadId, IReadOnlyList<string> needles, CancellationToken ct)
    {
        var temp = path + ".erasing";
        using (var reader = new StreamReader(path, new UTF8Encoding(false, false), true))
        await using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            while (await reader.ReadLineAsync(ct) is { } line)
                if (!Names(line, leadId, needles)) await writer.WriteLineAsync(line);
        }
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>The whole-field rule erasure uses for quarantined raw text, for text outside the database.</summary>
internal static class FieldText
{
    public static bool NamesAsField(string raw, string id)
    {
        for (var i = raw.IndexOf(id, StringComparison.Ordinal); i >= 0; i = raw.IndexOf(id, i + 1, StringComparison.Ordinal))
        {
            var end = i + id.Length;
            if ((i == 0 || IsBoundary(raw[i - 1])) && (end == raw.Length || IsBoundary(raw[end]))) return true;
        }
        return false;
    }

    private static bool IsBoundary(char c) =>
        c is ',' or ';' or '|' or ':' or '"' or '\'' or '{' or '}' or '[' or ']' or '<' or '>' or '=' || char.IsWhiteSpace(c);
}
