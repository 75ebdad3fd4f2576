namespace LeadScore.Core;

/// <summary>
/// A model version as the registry keeps it: immutable bytes plus the card that says what it is.
/// </summary>
public sealed record ModelVersion
{
    public required string Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string Algorithm { get; init; }
    /// <summary>The model card as JSON (see the Modeling area for its shape).</summary>
    public required string CardJson { get; init; }
    /// <summary>Held-out AUC, for quick listing and the promotion rule.</summary>
    public double? Auc { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = [];
}

public static class ModelAliases
{
    public const string Champion = "champion";
    public const string Challenger = "challenger";
}

/// <summary>A row that could not be imported, kept so a person can see, fix and retry it.</summary>
public sealed record QuarantineRecord
{
    public long Id { get; init; }
    /// <summary>The import this row came from.</summary>
    public required string ImportId { get; init; }
    /// <summary>leads, activities, enrichment or outcomes.</summary>
    public required string Kind { get; init; }
    public required string File { get; init; }
    public required long Line { get; init; }
    public string? Column { get; init; }
    public required string Reason { get; init; }
    /// <summary>The raw source text of the row (stores cap its length, see the storage's quarantine limits).</summary>
    public required string Raw { get; init; }
    /// <summary>
    /// The lead the row belongs to, when the importer could read it (null when the lead id itself was the problem).
    /// Kept in its own column so that erasing a lead finds its quarantined rows without parsing raw text.
    /// </summary>
    public string? LeadId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public bool Resolved { get; init; }
}

public sealed record ApiKey
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>The first characters of the key, shown in listings so a person can tell keys apart.</summary>
    public required string Prefix { get; init; }
    /// <summary>SHA-256 of the key, hex.</summary>
    public required string Hash { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}

public static class ApiScopes
{
    public const string Score = "score";
    public const string Ingest = "ingest";
    public const string Admin = "admin";
    /// <summary>Read-only access to <c>/metrics</c>, for a Prometheus scraper (admin keys may read it too).</summary>
    public const string Metrics = "metrics";
    /// <summary>
    /// Reading personal fields (the columns the lead schema marks personal, plus email, first and last name and phone) in
    /// lead reads, lists and exports; without it those answers carry ids, company, scores and reasons only.
    /// </summary>
    public const string PersonalData = "personal_data";
    /// <summary>The data subject's rights: erase, export, opt out of and back into profiling (<c>/api/v1/privacy</c>).</summary>
    public const string Privacy = "privacy";
    public static readonly IReadOnlyList<string> All = [Score, Ingest, Admin, Metrics, PersonalData, Privacy];
}

/// <summary>A domain rule was broken: the message is for the user, as is.</summary>
public class LeadScoreException(string message, string? field = null) : Exception(message)
{
    /// <summary>The input field or argument at fault, when there is one.</summary>
    public string? Field { get; } = field;
}

/// <summary>Something asked for does not exist.</summary>
public sealed class NotFoundException(string message) : LeadScoreException(message);

/// <summary>The request conflicts with the current state (e.g. nothing to roll back to); the API answers 409.</summary>
public sealed class ConflictException(string message, string? field = null) : LeadScoreException(message, field);
