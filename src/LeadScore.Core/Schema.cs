namespace LeadScore.Core;

/// <summary>How the values of a source column are read.</summary>
public enum ColumnKind
{
    Numeric,
    Boolean,
    Categorical,
    DateTime,
    Text,
    Identifier,
}

/// <summary>What LeadScore knows of one column of a source (inferred or from a mapping file).</summary>
public sealed record ColumnSchema
{
    public required string Name { get; init; }
    public required ColumnKind Kind { get; init; }
    /// <summary>Holds personal data (email, phone, name, street address): stored for the CRM, never a feature.</summary>
    public bool IsPersonal { get; init; }
    /// <summary>Why the column is personal, e.g. "email addresses in values".</summary>
    public string? PersonalReason { get; init; }
}
