using System.Text;

namespace LeadScore.Engine.Ingestion;

/// <summary>Column names as people read them.</summary>
public static class ColumnNames
{
    /// <summary>
    /// A column name as a phrase: words split at <c>_</c>, <c>.</c>, <c>-</c>, spaces and case changes, the first one
    /// capitalised, the others lower case except acronyms: <c>TrafficType</c> -> "Traffic type", <c>lead_source</c> ->
    /// "Lead source", <c>VisitorType</c> -> "Visitor type", <c>HTTPStatus</c> -> "HTTP status".
    /// </summary>
    public static string Humanize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var words = new List<string>();
        var w = new StringBuilder();
        void Flush() { if (w.Length > 0) { words.Add(w.ToString()); w.Clear(); } }
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c is '_' or '.' or '-' or ' ') { Flush(); continue; }
            if (w.Length > 0 && char.IsUpper(c))
            {
                var prev = name[i - 1];
                var nextLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                // "trafficType" and "HTTPStatus": a new word starts at a capital after a small letter or digit, or at the
                // last capital of a run followed by a small letter.
                if (char.IsLower(prev) || char.IsDigit(prev) || (char.IsUpper(prev) && nextLower)) Flush();
            }
            w.Append(c);
        }
        Flush();
        if (words.Count == 0) return name;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            var acronym = word.Length > 1 && word.All(ch => !char.IsLetter(ch) || char.IsUpper(ch)) && word.Any(char.IsLetter);
            if (!acronym) word = word.ToLowerInvariant();
            if (i == 0) word = char.ToUpperInvariant(word[0]) + word[1..];
            words[i] = word;
        }
        return string.Join(' ', words);
    }

}
