using System.Text.Json;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// Reads <c>horizon_days</c> from a model card's JSON without the Modeling types (serving never loads ML.NET). Cards
/// written before horizons have none, and a damaged card never fails serving: both give null.
/// </summary>
public static class CardHorizon
{
    public static double? Read(string? cardJson)
    {
        if (string.IsNullOrWhiteSpace(cardJson)) return null;
        try
        {
            using var doc = JsonDocument.Parse(cardJson);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("horizon_days", out var h) && h.ValueKind == JsonValueKind.Number
                ? h.GetDouble()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
