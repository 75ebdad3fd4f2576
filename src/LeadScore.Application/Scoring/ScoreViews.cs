using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Scoring;

/// <summary>One reason as callers see it (API responses, webhook payloads, CLI JSON output).</summary>
public sealed record ReasonView(string Feature, string Value, double Contribution, double Points, string Text)
{
    public static ReasonView From(Reason r) => new(r.Feature, r.Value, r.Contribution, r.Points, r.Text);
}

/// <summary>
/// A stored score as callers see it: the one read model behind <c>GET /leads/{id}</c>, score history and
/// webhook payloads, so they cannot drift apart.
/// </summary>
public sealed record ScoreView
{
    public required double Probability { get; init; }
    public required int Score { get; init; }
    public required string Grade { get; init; }
    public required string ModelVersion { get; init; }
    public required DateTimeOffset ScoredAt { get; init; }
    /// <summary>new_data, new_model, time_passing or manual.</summary>
    public required string Cause { get; init; }
    public IReadOnlyList<ReasonView>? Reasons { get; init; }
    /// <summary>The horizon of the model that made the score (P(converts within H days)); null for models without one.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? HorizonDays { get; init; }

    public static ScoreView From(StoredScore s, bool withReasons = true, double? horizonDays = null) => new()
    {
        HorizonDays = horizonDays,
        Probability = s.Probability,
        Score = s.Score,
        Grade = s.Grade,
        ModelVersion = s.ModelVersion,
        ScoredAt = s.ScoredAt,
        Cause = CauseName(s.Cause),
        Reasons = withReasons ? StoredReasons.Read(s.ReasonsJson).Select(ReasonView.From).ToList() : null,
    };

    public static string CauseName(ScoreCause cause) => cause switch
    {
        ScoreCause.NewData => "new_data",
        ScoreCause.NewModel => "new_model",
        ScoreCause.TimePassing => "time_passing",
        ScoreCause.GradeBands => "grade_bands",
        ScoreCause.Labels => "labels",
        _ => "manual",
    };
}

/// <summary>
/// The horizon of a stored model version, read from its card at read time (stored scores do not carry it: a model's card
/// never changes, so the version is enough). Null when the version is unknown or has no horizon.
/// </summary>
public static class ModelHorizons
{
    public static async Task<double?> OfAsync(IModelStore models, string version, CancellationToken ct = default) =>
        await models.GetModelAsync(version, ct) is { } m ? Engine.Scoring.CardHorizon.Read(m.CardJson) : null;
}

/// <summary>
/// The one serialiser of stored reasons (the <c>reasons</c> column): written by scoring, read by every view.
/// Older rows were written with camelCase web defaults; the reader accepts any casing.
/// </summary>
public static class StoredReasons
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write(IReadOnlyList<Reason> reasons) => JsonSerializer.Serialize(reasons, Json);

    /// <summary>The reasons, or none when the text is empty or unreadable (a damaged row never fails a read).</summary>
    public static IReadOnlyList<Reason> Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json) || json == "[]") return [];
        try
        {
            return JsonSerializer.Deserialize<List<Reason>>(json, Json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
