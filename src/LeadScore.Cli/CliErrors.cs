using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LeadScore.Core;

namespace LeadScore.Cli;

/// <summary>Turns failures into the one clear line the CLI prints instead of a stack trace.</summary>
internal static partial class CliErrors
{
    /// <summary>Longest error line, in characters: room for a path, line, column and reason; a column list or value beyond it is cut.</summary>
    public const int MaxLineChars = 400;

    /// <summary>Unprintable characters in a row longer than this are elided as a count (a binary file's header), not escaped one by one.</summary>
    private const int MaxEscapedRun = 4;

    /// <summary>
    /// A command-line parse error in the product's words: "Cannot parse argument '99999999999999999999' for option '--days' as
    /// expected type 'System.Int32'" becomes "--days: '99999999999999999999' is not a whole number from -2,147,483,648 to
    /// 2,147,483,647", with a long value shortened so that the reason still fits on the line. Other messages pass as they are.
    /// </summary>
    public static string ParseError(string message)
    {
        var m = CannotParse().Match(message);
        if (!m.Success) return Printable(message);
        var value = m.Groups["value"].Value;
        var shown = value.Length <= MaxValueChars ? value : $"{value[..MaxValueChars]}…({value.Length:N0} characters)";
        var expected = m.Groups["type"].Value switch
        {
            "System.Int32" => $"a whole number from {int.MinValue:N0} to {int.MaxValue:N0}",
            "System.Int64" => $"a whole number from {long.MinValue:N0} to {long.MaxValue:N0}",
            "System.Double" or "System.Single" or "System.Decimal" => "a number (like 0.25)",
            "System.TimeSpan" => "a duration (like 00:30:00)",
            "System.DateTimeOffset" or "System.DateTime" or "System.DateOnly" => "a date (yyyy-MM-dd)",
            "System.Boolean" => "true or false",
            var t => $"a value of type {t[(t.LastIndexOf('.') + 1)..]}",
        };
        return Printable(string.Create(CultureInfo.InvariantCulture, $"{m.Groups["option"].Value}: '{shown}' is not {expected}"));
    }

    /// <summary>Longest value quoted in a parse error (a longer one is shown by its start and length).</summary>
    private const int MaxValueChars = 40;

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|command) '(?<option>[^']*)' as expected type '(?<type>[^']+)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

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
