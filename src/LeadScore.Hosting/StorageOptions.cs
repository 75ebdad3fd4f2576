using System.ComponentModel.DataAnnotations;
using LeadScore.Storage;
using Microsoft.Extensions.Options;

namespace LeadScore.Hosting;

/// <summary>
/// Where the reads that may lag go. Bound from <c>LeadScore:Storage</c> and validated at start. Without
/// <see cref="ReadReplica"/> every read goes to the store; with it, the lagging reads (<see cref="ILaggingReads"/>: the
/// dashboard's and the API's leads lists, the company search, the CSV exports) go to the replica while it keeps up.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "LeadScore:Storage";

    /// <summary>A streaming read replica of the PostgreSQL primary (connection string, same database), or null for none.</summary>
    public string? ReadReplica { get; set; }

    /// <summary>Lagging reads go back to the primary while the replica's replay lag is above this (zero: only a replica that replayed all it received).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")] public TimeSpan ReadReplicaMaxLag { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the replica's state and lag are checked (by the first lagging read after the interval).</summary>
    [Range(typeof(TimeSpan), "00:00:00.01", "00:10:00")] public TimeSpan ReadReplicaCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one check may take before the replica counts as down (the read or <c>/health/ready</c> probe that runs it waits that long at most).</summary>
    [Range(typeof(TimeSpan), "00:00:00.05", "00:01:00")] public TimeSpan ReadReplicaCheckTimeout { get; set; } = TimeSpan.FromSeconds(1);

    public ReadReplicaSettings? Replica() => string.IsNullOrWhiteSpace(ReadReplica) ? null
        : new ReadReplicaSettings { ConnectionString = ReadReplica, MaxLag = ReadReplicaMaxLag, CheckInterval = ReadReplicaCheckInterval, CheckTimeout = ReadReplicaCheckTimeout };
}

/// <summary>The read replica setting names a PostgreSQL server, and only beside a PostgreSQL primary.</summary>
internal sealed class StorageOptionsValidation(string backend) : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ReadReplica)) return ValidateOptionsResult.Success;
        const string setting = StorageOptions.Section + ":" + nameof(StorageOptions.ReadReplica);
        if (backend != "postgresql")
            return ValidateOptionsResult.Fail($"{setting} needs a PostgreSQL primary (--database / LEADSCORE_DATABASE); this store is {backend}, which has no replica");
        return ReplicaReadRouter.Validate(options.ReadReplica) is { } error ? ValidateOptionsResult.Fail($"{setting} {error}") : ValidateOptionsResult.Success;
    }
}
