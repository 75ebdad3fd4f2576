using System.Globalization;
using System.Text;
using LeadScore.Core;

namespace LeadScore.Cli;

/// <summary>Turns failures into the one clear line the CLI prints instead of a stack trace.</summary>
internal static class CliErrors
{
    /// <summary>Longest error line, in characters: room for a path, line, column and reason; a column list or value beyond it is cut.</summary>
    public const int MaxLineChars = 400;

    /// <summary>Unprintable characters in a row longer than this are elided as a count (a binary file's header), not escaped one by one.</summary>
    private const int MaxEscapedRun = 4;

    public static string? Describe(Exception ex) => Raw(ex) is { } message ? Printable(message) : null;

    private static string? Raw(Exception ex) => ex switch
    {
        LeadScoreException e => e.Message,
        FileNotFoundException e => $"{e.FileName ?? "file"}: file not found",
        DirectoryNotFoundException e => e.Message,
        UnauthorizedAccessException e => $"permission denied: {e.Message}",
        IOException e => e.Message,
        AggregateException { InnerExceptions.Count: 1 } a => Raw(a.InnerException!),
        _ when Environment.GetEnvironmentVariable("LEADSCORE_DEBUG") == "1" => null,
        _ => $"{ex.GetType().Name}: {ex.Message} (set LEADSCORE_DEBUG=1 for details)",
    };

    /// <summary>
    /// Text made safe for one terminal line: line breaks, tabs and control characters escaped (\n, \x1b), long runs of them
    /// and of undecodable bytes (U+FFFD) elided with their count, lone surrogates escaped, and the whole cut at
    /// <paramref name="max"/> characters. A file's bytes can reach a message (a header, a value): they must not be able to
    /// move the cursor, clear the screen or bury the reason under kilobytes.
    /// </summary>
    public static string Printable(string text, int max = MaxLineChars)
    {
        var sb = new StringBuilder(Math.Min(text.Length, max) + 32);
        var i = 0;
        while (i < text.Length)
        {
            if (sb.Length >= max)
            {
                sb.Append(CultureInfo.InvariantCulture, $"…(+{text.Length - i:N0} characters)");
                break;
            }
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[i + 1]);
                i += 2;
                continue;
            }
            if (!Unprintable(c))
            {
                sb.Append(c);
                i++;
                continue;
            }
            var run = 1;
            while (i + run < text.Length && Unprintable(text[i + run])) run++;
            if (run > MaxEscapedRun)
            {
                sb.Append(CultureInfo.InvariantCulture, $"…[{run:N0} unprintable characters]…");
                i += run;
                continue;
            }
            for (var k = 0; k < run; k++) Escape(sb, text[i + k]);
            i += run;
        }
        return sb.ToString();
    }

    private static bool Unprintable(char c) => char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD' || c is '\u2028' or '\u2029' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E');

    private static void Escape(StringBuilder sb, char c)
    {
        switch (c)
        {
            case '\n': sb.Append("\\n"); break;
            case '\r': sb.Append("\\r"); break;
            case '\t': sb.Append("\\t"); break;
            case '\uFFFD': sb.Append('\uFFFD'); break;
            default:
                sb.Append(c < 0x100 ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}") : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
                break;
        }
    }
}
