using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Storage;

namespace LeadScore.Application.Jobs;

/// <summary>The kinds of background job.</summary>
public static class JobKinds
{
    /// <summary>Trains on the workspace's data and registers the model (re-scoring follows as its own job if it became champion).</summary>
    public const string Train = "train";
    /// <summary>Re-scores every stored lead with the champion (after a promotion, rollback or new champion).</summary>
    public const string Rescore = "rescore";
    /// <summary>
    /// Re-scores one lead-id range of a <see cref="Rescore"/> job: the parent cuts every lead into ranges and queues one
    /// of these per range, so every instance's worker takes a share; the parent finishes when all its ranges have.
    /// </summary>
    public const string RescoreRange = "rescore-range";
}

/// <summary>What a re-scoring job re-scores for: <c>new_model</c> (after a champion change) or <c>time_passing</c> (the leader's schedule).</summary>
public sealed record RescoreJobRequest
{
    public string Cause { get; init; } = RescoreCauses.NewModel;
}

/// <summary>
/// A re-scoring range's checkpoint (the job's <see cref="JobRecord.Checkpoint"/>): the last lead id, in the ordinal order
/// the range is streamed in, whose score is saved, and how many leads the range scored so far over all its attempts.
/// </summary>
public sealed record RescoreRangeCheckpoint(string After, int Scored);

/// <summary>One range of a re-scoring job: lead ids from <see cref="From"/> (inclusive) to <see cref="To"/> (exclusive), null = open.</summary>
public sealed record RescoreRangeRequest
{
    public required string Parent { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public string Cause { get; init; } = RescoreCauses.NewModel;
}

/// <summary>The causes a re-scoring job accepts, as written in its request.</summary>
public static class RescoreCauses
{
    public const string NewModel = "new_model";
    public const string TimePassing = "time_passing";
    public const string GradeBands = "grade_bands";

    public static Core.ScoreCause Parse(string cause) => cause switch
    {
        NewModel => Core.ScoreCause.NewModel,
        TimePassing => Core.ScoreCause.TimePassing,
        GradeBands => Core.ScoreCause.GradeBands,
        _ => throw new Core.LeadScoreException($"unknown re-scoring cause '{cause}'", "cause"),
    };
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
    /// <summary>Set when the retraining policy queued the job: why (the job then trains as the policy says and runs the gate).</summary>
    public string? Trigger { get; init; }
}

/// <summary>What a finished training job produced.</summary>
public sealed record TrainJobResult(string Version, bool Promoted, double? Auc, string Decision, string? RescoreJob = null, double? HorizonDays = null);

/// <summary>What a finished re-scoring job did.</summary>
/// <summary>What a finished re-scoring job (or one of its ranges) did; a parent names how many ranges it was cut into.</summary>
public sealed record RescoreJobResult(int Rescored, string? ModelVersion, int? Ranges = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrainJobRequest))]
[JsonSerializable(typeof(TrainJobResult))]
[JsonSerializable(typeof(RescoreJobResult))]
[JsonSerializable(typeof(RescoreJobRequest))]
[JsonSerializable(typeof(RescoreRangeRequest))]
[JsonSerializable(typeof(RescoreRangeCheckpoint))]
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

    /// <summary>
    /// About how many leads one <c>rescore-range</c> job holds. Smaller ranges spread a re-score over more instances and
    /// lose less work when one dies; each range costs one pass of range queries.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000_000)]
    public int RescoreRangeSize { get; set; } = 10_000;

    /// <summary>The most ranges one re-score is cut into, whatever the number of leads.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
    public int MaxRescoreRanges { get; set; } = 64;

    /// <summary>
    /// How many leads a re-scoring range scores between checkpoints: each chunk's scores, webhooks and the range's checkpoint
    /// are one transaction, and an instance that takes the range over after its owner died resumes after the last one.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)]
    public int RescoreCheckpointEvery { get; set; } = 500;
}

/// <summary>
/// Thrown by a handler whose write was refused because its job's lease passed to another instance (a fenced commit,
/// <see cref="IJobQueue.CommitJobChunkAsync"/>): the runner leaves the job to its new owner instead of failing it.
/// </summary>
public sealed class JobLeaseLostException(string jobId) : Exception($"job {jobId} was taken over by another instance");

/// <summary>This process, as the owner of leases (jobs, leadership). Unique per process start.</summary>
public sealed record LeadScoreInstance(string Id)
{
    public static LeadScoreInstance New() =>
        new($"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
}
