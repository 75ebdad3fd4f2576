using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Application.Scoring;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Server.Api;

/// <summary>Domain and storage types to their wire shapes.</summary>
internal static class Mapping
{
    public static IReadOnlyList<ReasonView> ToViews(IReadOnlyList<Reason> reasons)
    {
        var list = new ReasonView[reasons.Count];
        for (var i = 0; i < list.Length; i++) list[i] = ReasonView.From(reasons[i]);
        return list;
    }

    public static ScoreResponse ToResponse(LeadScoreResult r, bool explain, double? horizonDays = null) => new()
    {
        HorizonDays = horizonDays,
        LeadId = r.LeadId,
        Probability = r.Probability,
        Score = r.Score,
        Grade = r.Grade,
        ModelVersion = r.ModelVersion,
        ScoredAt = r.ScoredAt,
        Reasons = explain ? ToViews(r.Reasons) : null,
        Slot = r.Slot,
    };

    /// <summary>A stored model card as JSON; a card that is not JSON (damaged, or from a foreign tool) comes back as a string, never an error.</summary>
    public static JsonElement CardElement(string? cardJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(cardJson) ? "{}" : cardJson);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            using var doc = JsonDocument.Parse(JsonSerializer.Serialize(cardJson, ApiJsonContext.Default.String));
            return doc.RootElement.Clone();
        }
    }

    public static ModelSummary ToSummary(ModelVersion m)
    {
        Engine.Modeling.ModelCard? card = null;
        try { card = Engine.Modeling.ModelCard.FromJson(m.CardJson); }
        catch (Exception ex) when (ex is JsonException or InvalidDataException) { /* a damaged card lists without its test set */ }
        return new()
        {
            Version = m.Version, CreatedAt = m.CreatedAt, Algorithm = m.Algorithm, Auc = m.Auc, Aliases = m.Aliases,
            TestRows = card?.RowsTest, TestFrom = card?.TestFrom, TestTo = card?.TestTo, TestSet = card?.TestIdsHash,
        };
    }

    public static string StatusName(DeliveryStatus s) => s switch
    {
        DeliveryStatus.Pending => "pending",
        DeliveryStatus.Delivered => "delivered",
        DeliveryStatus.Cancelled => "cancelled",
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
        CreatedAt = j.CreatedAt, StartedAt = j.StartedAt, FinishedAt = j.FinishedAt, Attempts = j.Attempts, QueuedBy = j.QueuedBy,
    };
}

