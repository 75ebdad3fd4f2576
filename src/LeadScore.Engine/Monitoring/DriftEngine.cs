namespace LeadScore.Engine.Monitoring;

/// <summary>
/// Compares a current window with the reference: per-feature drift with Evidently's size-aware test choice, PSI for
/// every feature, dataset drift by importance share, score and grade-mix drift and the domain classifier. Pure.
/// Build the <see cref="ReferenceProfile"/> once and compare many windows against it.
/// </summary>
public static class DriftEngine
{
    /// <summary>
    /// Compares <paramref name="current"/> with a prepared reference. <paramref name="importance"/>: feature importance
    /// by name (any scale; normalised here); null = each feature weighs the same.
    /// </summary>
    public static DriftReport Compare(ReferenceProfile reference, DriftSample current, DriftOptions? options = null, IReadOnlyDictionary<string, double>? importance = null)
        => throw new NotImplementedException();

    /// <summary>Compares two samples (prepares the reference on the way).</summary>
    public static DriftReport Compare(DriftSample reference, DriftSample current, DriftOptions? options = null, IReadOnlyDictionary<string, double>? importance = null)
        => Compare(ReferenceProfile.Build(reference), current, options, importance);

    /// <summary>The test the size-aware rule picks for a feature (Evidently's default stattest).</summary>
    public static DriftTest ChooseTest(Core.FeatureKind kind, int referenceRows, int uniqueValues, DriftOptions? options = null)
        => throw new NotImplementedException();
}

/// <summary>The reference side prepared once: numeric columns sorted, categories counted. Immutable; safe to share across threads.</summary>
public sealed class ReferenceProfile
{
    public static ReferenceProfile Build(DriftSample reference) => throw new NotImplementedException();
    public int Rows { get; private init; }
}
