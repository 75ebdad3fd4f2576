using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Server.Api;

/// <summary>Domain and storage types to their wire shapes.</summary>
internal static class Mapping
{
    public static string CauseName(ScoreCause cause) => cause switch
    {
        ScoreCause.NewData => "new_data",
        ScoreCause.NewModel => "new_model",
        ScoreCause.TimePassing => "time_passing",
        _ => "manual",
    };

    public static ReasonDto ToDto(Reason r) => new(r.Feature, r.Value, r.Contribution, r.Points, r.Text);

    public static IReadOnlyList<ReasonDto> ToDtos(IReadOnlyList<Reason> reasons)
    {
        var list = new ReasonDto[reasons.Count];
        for (var i = 0; i < list.Length; i++) list[i] = ToDto(reasons[i]);
        return list;
    }

    public static ScoreResponse ToResponse(LeadScoreResult r, bool explain) => new()
    {
        LeadId = r.LeadId,
        Probability = r.Probability,
        Score = r.Score,
        Grade = r.Grade,
        ModelVersion = r.ModelVersion,
        ScoredAt = r.ScoredAt,
        Reasons = explain ? ToDtos(r.Reasons) : null,
    };

    /// <summary>Stored reasons were written by the scoring service; read them whatever their property casing.</summary>
    public static IReadOnlyList<ReasonDto> ParseReasons(string json)
    {
        if (string.IsNullOrWhiteSpace(json) || json == "[]") return [];
        try
        {
            return JsonSerializer.Deserialize(json, StoredJsonContext.Default.ListReasonDto) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public static StoredScoreDto ToDto(StoredScore s, bool withReasons = true) => new()
    {
        Probability = s.Probability,
        Score = s.Score,
        Grade = s.Grade,
        ModelVersion = s.ModelVersion,
        ScoredAt = s.ScoredAt,
        Cause = CauseName(s.Cause),
        Reasons = withReasons ? ParseReasons(s.ReasonsJson) : null,
    };

    public static ModelSummary ToSummary(ModelVersion m) => new()
    {
        Version = m.Version, CreatedAt = m.CreatedAt, Algorithm = m.Algorithm, Auc = m.Auc, Aliases = m.Aliases,
    };

    public static string StatusName(DeliveryStatus s) => s switch
    {
        DeliveryStatus.Pending => "pending",
        DeliveryStatus.Delivered => "delivered",
        _ => "parked",
    };

    public static DeliveryResponse ToDto(WebhookDelivery d) => new()
    {
        Id = d.Id, Event = d.EventType, LeadId = d.LeadId, Status = StatusName(d.Status), Attempts = d.Attempts, CreatedAt = d.CreatedAt,
        NextAttemptAt = d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null, LastAttemptAt = d.LastAttemptAt,
        LastStatusCode = d.LastStatusCode, LastError = d.LastError, DeliveredAt = d.DeliveredAt,
    };

    public static JobResponse ToDto(JobRecord j) => new()
    {
        Id = j.Id, Kind = j.Kind, Status = j.Status.ToString().ToLowerInvariant(), Progress = j.Progress, Message = j.Message,
        Result = j.ResultJson is { } r ? JsonDocument.Parse(r).RootElement.Clone() : null,
        CreatedAt = j.CreatedAt, StartedAt = j.StartedAt, FinishedAt = j.FinishedAt,
    };
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(List<ReasonDto>))]
internal sealed partial class StoredJsonContext : JsonSerializerContext;
