using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Application.Governance;
using LeadScore.Application.Jobs;
using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;

namespace LeadScore.Application.Scoring;

/// <summary>A model's own grade bands, read from its card (<c>grade_a</c>, <c>grade_b</c>, <c>grade_c</c>); the defaults when the card lacks them.</summary>
public static class ModelGrades
{
    public static GradeBands OfCard(string? cardJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(cardJson) ? "{}" : cardJson);
            var r = doc.RootElement;
            double? Get(string name) => r.ValueKind == JsonValueKind.Object && r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
            return Get("grade_a") is { } a && Get("grade_b") is { } b && Get("grade_c") is { } c ? new GradeBands(a, b, c) : GradeBands.Default;
        }
        catch (JsonException)
        {
            return GradeBands.Default;
        }
    }
}

/// <summary>A grade-band override: the bands, how they were given, when and by whom.</summary>
public sealed record GradeBandOverride
{
    public required GradeBands Bands { get; init; }
    /// <summary>"probabilities" (edges given) or "shares" (edges cut from the stored scores at the given shares of leads).</summary>
    public required string Basis { get; init; }
    /// <summary>With shares: the cumulative shares of leads at or above the A, B and C edges when they were cut.</summary>
    public IReadOnlyList<double>? Shares { get; init; }
    public required DateTimeOffset SetAt { get; init; }
    public required string SetBy { get; init; }
}

/// <summary>The bands a model grades with now, and where they came from.</summary>
public sealed record GradeBandsInEffect(string? ModelVersion, GradeBands Bands, GradeBands? ModelBands, GradeBandOverride? Override)
{
    /// <summary>"override" or "model".</summary>
    public string Source => Override is null ? "model" : "override";

    /// <summary>Where the bands came from, in a sentence.</summary>
    public string Describe() => Override is { } o
        ? $"override set {o.SetAt:yyyy-MM-dd HH:mm}Z by {o.SetBy}" + (o.Basis == GradeBandSettings.SharesBasis && o.Shares is { Count: 3 } s
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", cut at the top {s[0] * 100:0.#}% / {s[1] * 100:0.#}% / {s[2] * 100:0.#}% of the stored scores")
            : ", as probabilities") + (ModelBands is { } m ? $"; the model's own bands were {m.Describe()}" : "")
        : ModelVersion is null ? "no model yet" : $"model {ModelVersion}'s own bands, chosen at training from its out-of-fold scores (top 10% A, next 20% B, next 30% C)";
}

/// <summary>
/// Grade bands settable without retraining. One override for every served model, in the shared settings (a calibrated
/// probability means the same across models, so "A is 60% or more" survives a new champion; an override of bands by
/// share is cut once, when set, and stays fixed as probabilities). Setting or removing it regrades at once here, on the
/// other instances at their next alias poll, and re-scores every stored lead through a <c>rescore</c> job (cause
/// <c>grade_bands</c>), with webhooks for the grades that moved.
/// </summary>
public sealed class GradeBandSettings(ISettingsStore settings, IScoreStore scores, IScoringService scoring, JobQueue jobs, AuditLog audit, TimeProvider time)
{
    public const string ProbabilitiesBasis = "probabilities";
    public const string SharesBasis = "shares";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The override in the settings, or null (never set, or removed).</summary>
    public static async Task<GradeBandOverride?> ReadAsync(ISettingsStore settings, CancellationToken ct = default)
    {
        var s = await settings.GetSettingAsync(SettingNames.GradeBands, ct);
        return s is null ? null : JsonSerializer.Deserialize<GradeBandOverride?>(s.Value, Json);
    }

    /// <summary>The champion's bands in effect and their source.</summary>
    public async Task<GradeBandsInEffect> InEffectAsync(CancellationToken ct = default)
    {
        await scoring.ReloadAsync(ct);
        var o = await ReadAsync(settings, ct);
        var champion = scoring.Champion;
        return new GradeBandsInEffect(champion?.Version, o?.Bands ?? champion?.ModelGrades ?? GradeBands.Default, champion?.ModelGrades, o);
    }

    /// <summary>The bands in effect for one model version whose own bands are <paramref name="modelBands"/> (the card's).</summary>
    public async Task<GradeBandsInEffect> InEffectForAsync(string version, GradeBands modelBands, CancellationToken ct = default)
    {
        var o = await ReadAsync(settings, ct);
        return new GradeBandsInEffect(version, o?.Bands ?? modelBands, modelBands, o);
    }

    /// <summary>Sets the bands as probabilities (A &gt;= a, B &gt;= b, C &gt;= c).</summary>
    public Task<(GradeBandsInEffect Bands, string RescoreJobId)> SetAsync(GradeBands bands, CancellationToken ct = default) =>
        SaveAsync(bands, ProbabilitiesBasis, null, ct);

    /// <summary>
    /// Sets the bands so that the given cumulative shares of the stored leads' latest scores are A, A or B, and A to C
    /// (0.1, 0.3, 0.6 = the training default). Cut once from the scores now; the edges then stay fixed.
    /// </summary>
    public async Task<(GradeBandsInEffect Bands, string RescoreJobId)> SetByShareAsync(double topA, double topB, double topC, CancellationToken ct = default)
    {
        foreach (var (name, v) in new[] { ("a", topA), ("b", topB), ("c", topC) })
            if (!double.IsFinite(v) || v <= 0 || v >= 1) throw new LeadScoreException($"share {name} must be a fraction between 0 and 1 (0.1 = the top 10% of leads)", name);
        if (!(topA < topB && topB < topC)) throw new LeadScoreException("the shares are cumulative and must rise from A to C (e.g. 0.1, 0.3, 0.6)", "b");
        var probabilities = new List<double>();
        await foreach (var s in scores.StreamLatestScoresAsync(ct)) probabilities.Add(s.Probability);
        if (probabilities.Count == 0) throw new LeadScoreException("no stored scores to cut shares from: score the leads first (./leadscore score --all), or give the bands as probabilities", "shares");
        var bands = CalibrationFitter.ChooseGrades(probabilities, topA, topB, topC);
        return await SaveAsync(bands, SharesBasis, [topA, topB, topC], ct);
    }

    /// <summary>Removes the override: every model grades with its own bands again.</summary>
    public async Task<(GradeBandsInEffect Bands, string RescoreJobId)> ResetAsync(CancellationToken ct = default)
    {
        await settings.SaveSettingAsync(SettingNames.GradeBands, "null", time.GetUtcNow(), ct);
        await audit.RecordAsync(AuditActions.SettingChange, AuditTargets.Setting, SettingNames.GradeBands, new Dictionary<string, object?> { ["override"] = null }, ct: ct);
        return await AppliedAsync(ct);
    }

    private async Task<(GradeBandsInEffect, string)> SaveAsync(GradeBands bands, string basis, IReadOnlyList<double>? shares, CancellationToken ct)
    {
        if (bands.Problem() is { } problem) throw new LeadScoreException($"grade bands {bands.Describe()}: {problem}", "bands");
        var o = new GradeBandOverride { Bands = bands, Basis = basis, Shares = shares, SetAt = time.GetUtcNow(), SetBy = audit.CurrentActor.ToString() };
        await settings.SaveSettingAsync(SettingNames.GradeBands, JsonSerializer.Serialize(o, Json), o.SetAt, ct);
        await audit.RecordAsync(AuditActions.SettingChange, AuditTargets.Setting, SettingNames.GradeBands, new Dictionary<string, object?>
        {
            ["a"] = bands.A, ["b"] = bands.B, ["c"] = bands.C, ["basis"] = basis,
        }, ct: ct);
        return await AppliedAsync(ct);
    }

    /// <summary>This instance grades with the new bands at once; a job re-scores the stored leads so their grades follow.</summary>
    private async Task<(GradeBandsInEffect, string)> AppliedAsync(CancellationToken ct)
    {
        var now = await InEffectAsync(ct);
        var job = await jobs.EnqueueRescoreAsync(RescoreCauses.GradeBands, ct);
        return (now, job.Id);
    }
}
