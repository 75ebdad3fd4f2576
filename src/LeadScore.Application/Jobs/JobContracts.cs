using System.Text.Json;
using System.Text.Json.Serialization;

namespace LeadScore.Application.Jobs;

/// <summary>The kinds of background job.</summary>
public static class JobKinds
{
    /// <summary>Trains on the workspace's data and registers the model (re-scoring follows as its own job if it became champion).</summary>
    public const string Train = "train";
    /// <summary>Re-scores every stored lead with the champion (after a promotion, rollback or new champion).</summary>
    public const string Rescore = "rescore";
}

/// <summary>What a training job trains (persisted as the job's request; not the HTTP body, which may evolve separately).</summary>
public sealed record TrainJobRequest
{
    /// <summary>auto, lightgbm, fasttree, fastforest or logistic.</summary>
    public string Algorithm { get; init; } = "auto";
    public int? TimeBudgetSeconds { get; init; }
    public int? Seed { get; init; }
    public IReadOnlyList<double>? DecisionAgesDays { get; init; }
    /// <summary>The horizon H in days; null = chosen from the data.</summary>
    public double? HorizonDays { get; init; }
}

/// <summary>What a finished training job produced.</summary>
public sealed record TrainJobResult(string Version, bool Promoted, double? Auc, string Decision, string? RescoreJob = null, double? HorizonDays = null);

/// <summary>What a finished re-scoring job did.</summary>
public sealed record RescoreJobResult(int Rescored, string? ModelVersion);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrainJobRequest))]
[JsonSerializable(typeof(TrainJobResult))]
[JsonSerializable(typeof(RescoreJobResult))]
public sealed partial class JobJsonContext : JsonSerializerContext;

/// <summary>How jobs are leased. Bound from <c>LeadScore:Jobs</c>.</summary>
public sealed class JobOptions
{
    /// <summary>How long a claimed job is held without a heartbeat; after it, another instance takes the job over.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks for queued jobs (a job queued on this instance wakes it at once).</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.01", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>This process, as the owner of leases (jobs, leadership). Unique per process start.</summary>
public sealed record LeadScoreInstance(string Id)
{
    public static LeadScoreInstance New() =>
        new($"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
}
