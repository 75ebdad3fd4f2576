using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>Infers what a column holds from its name and a sample of its values.</summary>
public static class SchemaInference
{
    /// <summary>
    /// The share of a sample's values that may fail to parse while the column still gets the kind the rest have (2%):
    /// one "seven" in a numeric column must not make it categorical, and must not do so only when it happens to sit in
    /// the sample. The values that fail are then rejected row by row, with the column named.
    /// </summary>
    public const double BadValueTolerance = 0.02;
    /// <summary>A column whose distinct values cover at least this share of its rows (and at least 50 rows) is an identifier, not a code.</summary>
    public const double NearlyUniqueShare = 0.95;

    /// <summary>True/false under the default rules (<see cref="ValueRules.Default"/>).</summary>
    public static bool TryParseBool(string raw, out bool value) => ValueRules.Default.TryBool(raw, out value);

    /// <summary>A date under the default rules (<see cref="ValueRules.TryDate(string, out DateTimeOffset)"/>); never throws.</summary>
    public static bool TryParseDate(string raw, out DateTimeOffset value) => ValueRules.Default.TryDate(raw, out value);

    /// <summary>Infers under the default rules with another list of missing values.</summary>
    public static ColumnSchema InferColumn(string name, IEnumerable<string> sample, IReadOnlySet<string> missing) =>
        InferColumn(name, sample, ValueRules.Default with { MissingValues = [.. missing] });

    /// <summary>Infers under a mapping's spellings and date formats (missing values are left out of the sample).</summary>
    public static ColumnSchema InferColumn(string name, IEnumerable<string?> sample, ValueRules rules)
    {
        var values = new List<string>();
        foreach (var v in sample)
            if (!rules.IsMissing(v)) values.Add(v!.Trim());
        return Infer(name, values, rules);
    }

    private static ColumnSchema Infer(string name, List<string> values, ValueRules rules)
    {
        var personal = PersonalData.Reason(name, values);
        if (values.Count == 0) return new ColumnSchema { Name = name, Kind = ColumnKind.Categorical, IsPersonal = personal is not null, PersonalReason = personal };
        var distinct = new HashSet<string>(values, StringComparer.Ordinal).Count;
        int bools = 0, numbers = 0, dates = 0;
        var boolSpellings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            if (rules.TryBool(v, out _)) { bools++; boolSpellings.Add(v); }
            if (ValueRules.TryNumber(v, out _)) numbers++;
            // A bare number is never a date here, and neither is anything shorter than "2026-1-1".
            else if (v.Length >= 6 && rules.TryDate(v, out _)) dates++;
        }
        // Deterministic: the same sample gives the same kind whatever order its few bad values sit in.
        var n = values.Count;
        bool Mostly(int ok) => ok == n || n - ok <= BadValueTolerance * n;
        ColumnKind kind;
        // An identifier is nearly unique per row; a column whose values repeat (a landing-page, campaign or form id) is a
        // code, often a strong signal, whatever its name says.
        var nearlyUnique = distinct == n || (n >= 50 && distinct >= NearlyUniqueShare * n);
        var repeatedCode = LooksLikeId(name) && !nearlyUnique;
        if (distinct <= 2 && bools == n) kind = ColumnKind.Boolean;
        else if (Mostly(numbers))
            kind = LooksLikeId(name) && nearlyUnique ? ColumnKind.Identifier : repeatedCode ? ColumnKind.Categorical : ColumnKind.Numeric;
        else if (bools < n && boolSpellings.Count <= 2 && numbers < bools && Mostly(bools)) kind = ColumnKind.Boolean;
        else if (Mostly(dates)) kind = ColumnKind.DateTime;
        else if ((LooksLikeId(name) && nearlyUnique) || (distinct == n && n >= 50)) kind = ColumnKind.Identifier;
        else if (repeatedCode) kind = ColumnKind.Categorical;
        else if (distinct > 200 && values.Average(v => v.Length) > 30) kind = ColumnKind.Text;
        else kind = ColumnKind.Categorical;
        return new ColumnSchema { Name = name, Kind = kind, IsPersonal = personal is not null, PersonalReason = personal };
    }

    /// <summary>Why a column holds personal data, or null (kept for callers of the first API).</summary>
    public static string? PersonalReason(string name, IReadOnlyList<string> values) => PersonalData.Reason(name, values);

    private static bool LooksLikeId(string name)
    {
        var n = name.ToLowerInvariant();
        return n == "id" || n.EndsWith(" id") || n.EndsWith("_id") || n.EndsWith("number") || n.EndsWith("id ") || n == "uuid";
    }
}
