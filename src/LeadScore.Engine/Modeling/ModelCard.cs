using System.Text.Json;
using System.Text.Json.Serialization;

namespace LeadScore.Engine.Modeling;

/// <summary>A feature left out of training, and why (leakage audit, user request, personal data...).</summary>
public sealed record ExcludedFeature(string Feature, string Reason);

/// <summary>One configuration tried during model selection, with its cross-validated AUC.</summary>
public sealed record CandidateResult(string Algorithm, IReadOnlyDictionary<string, string> Hyperparameters, double CvAuc, double Seconds, string Stage);

/// <summary>What a model is: the data it saw, how it was chosen, how good it is. Stored with every version.</summary>
public sealed record ModelCard
{
    /// <summary>Registry version ("v3"), or a content id before registration.</summary>
    public string Version { get; init; } = "";
    public required DateTimeOffset CreatedAt { get; init; }
    public required string DataSource { get; init; }
    /// <summary>SHA-256 of the source data (hex), when known.</summary>
    public string? DataHash { get; init; }
    public required int RowsTrain { get; init; }
    public required int RowsTest { get; init; }
    public required int PositivesTrain { get; init; }
    public required int PositivesTest { get; init; }
    public DateTimeOffset? DataFrom { get; init; }
    public DateTimeOffset? DataTo { get; init; }
    /// <summary>The held-out rows' first and last decision times (null without times, and on cards written before them).</summary>
    public DateTimeOffset? TestFrom { get; init; }
    public DateTimeOffset? TestTo { get; init; }
    /// <summary>A fingerprint of the held-out rows: equal on two cards means their metrics were measured on the same rows.</summary>
    public string? TestIdsHash { get; init; }
    public required string Split { get; init; }
    public required SplitKind SplitKind { get; init; }
    /// <summary>What the probability means: converting within this horizon.</summary>
    public required string Horizon { get; init; }
    /// <summary>
    /// The horizon H in days the labels followed ("converted within H days of the decision time"); null for models trained
    /// before horizons (or on flat tables), whose probability means whatever window the data recorded.
    /// </summary>
    public double? HorizonDays { get; init; }
    /// <summary>The as-of time the labels were judged at (with a horizon): rows matured when decision + H was at or before it.</summary>
    public DateTimeOffset? AsOf { get; init; }
    /// <summary>Decision points left out as censored: still open, with decision + H after the as-of time.</summary>
    public int? CensoredRows { get; init; }
    /// <summary>Decided rows left out of training and evaluation because decision + H was after the as-of time.</summary>
    public int? UnmaturedRows { get; init; }
    /// <summary>Which rows the retraining policy trained on ("all history", "the last 6 months ...", time-decayed); null for cards before the policy, or trained by hand on everything.</summary>
    public string? TrainingWindow { get; init; }
    /// <summary>Why this model was trained, when the retraining policy trained it ("schedule: every 15 days ...").</summary>
    public string? TrainedBecause { get; init; }

    /// <summary>What a probability means, to follow "the probability of": "converting within 30 days of ..." or the old wording.</summary>
    [JsonIgnore]
    public string Meaning => "converting within " + Within;

    /// <summary>What follows "converts within": "30 days of the decision time: ..." with a horizon, else the old <see cref="Horizon"/> text.</summary>
    [JsonIgnore]
    public string Within => HorizonDays is not null && Horizon.StartsWith(HorizonPrefix, StringComparison.Ordinal) && Horizon.EndsWith(')')
        ? Horizon[HorizonPrefix.Length..^1]
        : Horizon;

    /// <summary>The start of <see cref="Horizon"/> for models with a horizon: "P(converts within 30 days of ...)".</summary>
    public const string HorizonPrefix = "P(converts within ";
    public required IReadOnlyList<string> FeaturesUsed { get; init; }
    public required IReadOnlyList<ExcludedFeature> ExcludedFeatures { get; init; }
    public required string Algorithm { get; init; }
    public required IReadOnlyDictionary<string, string> Hyperparameters { get; init; }
    public required string Selection { get; init; }
    public IReadOnlyList<CandidateResult> Candidates { get; init; } = [];
    public required string Calibration { get; init; }
    public required double GradeA { get; init; }
    public required double GradeB { get; init; }
    public required double GradeC { get; init; }
    public required EvaluationMetrics Metrics { get; init; }
    public required double TrainSeconds { get; init; }
    public required int Seed { get; init; }
    public required string LeadScoreVersion { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>
    /// Permutation importance on the held-out rows (how much AUC drops when a feature's values are shuffled),
    /// most important first. Measured at decision time, so it says what the model learned, unlike explanations
    /// of leads scored long after their data was collected.
    /// </summary>
    public IReadOnlyList<PermutationImportance> Importance { get; init; } = [];
    /// <summary>
    /// Fairness across groups on the held-out rows (see docs/fairness.md), with group values as known at decision time;
    /// null on cards written before fairness, or when no attribute was declared or suggested.
    /// </summary>
    public Fairness.FairnessReport? Fairness { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static ModelCard FromJson(string json) => JsonSerializer.Deserialize<ModelCard>(json, Json) ?? throw new InvalidDataException("empty model card");
}
