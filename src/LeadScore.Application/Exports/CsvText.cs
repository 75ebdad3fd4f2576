using System.Text;

namespace LeadScore.Application.Exports;

/// <summary>The one CSV cell writer for everything LeadScore exports (API export, <c>score --out</c>, quarantine export).</summary>
public static class CsvText
{
    /// <summary>
    /// Appends <paramref name="value"/> as one RFC 4180 cell. A cell a spreadsheet would run as a formula (starting with
    /// = + - @, a tab or carriage return, or their full-width forms ＝ ＋ － ＠, which Excel and LibreOffice also accept) is
    /// quoted and prefixed with an apostrophe, so an attacker's lead name cannot run code on a sales manager's machine.
    /// </summary>
    public static void Append(StringBuilder sb, string? value)
    {
        value ??= "";
        var guard = IsFormula(value);
        if (!guard && value.AsSpan().IndexOfAny(",\"\n\r") < 0) { sb.Append(value); return; }
        sb.Append('"');
        if (guard) sb.Append('\'');
        sb.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    public static string Escape(string? value)
    {
        var sb = new StringBuilder((value?.Length ?? 0) + 2);
        Append(sb, value);
        return sb.ToString();
    }

    /// <summary>Whether a spreadsheet would treat the cell as a formula (or a DDE payload).</summary>
    public static bool IsFormula(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\uFF1D' or '\uFF0B' or '\uFF0D' or '\uFF20';
}
