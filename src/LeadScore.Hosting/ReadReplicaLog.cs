using LeadScore.Storage;
using Microsoft.Extensions.Logging;

namespace LeadScore.Hosting;

/// <summary>The read replica's route changes: to the replica at information, back to the primary as a warning.</summary>
internal static partial class ReadReplicaLog
{
    public static void RouteChanged(ILogger log, ReadRoute route)
    {
        if (route.Target == ReadRoute.Replica) ToReplica(log, route.LagSeconds ?? 0);
        else ToPrimary(log, route.ReplicaState, route.Detail ?? "");
    }

    [LoggerMessage(EventId = 6300, Level = LogLevel.Information, Message = "Lagging reads (lists, exports) go to the read replica (replay lag {LagSeconds} s)")]
    private static partial void ToReplica(ILogger log, double lagSeconds);

    [LoggerMessage(EventId = 6301, Level = LogLevel.Warning, Message = "Lagging reads (lists, exports) go to the primary: read replica {State}: {Detail}")]
    private static partial void ToPrimary(ILogger log, string state, string detail);
}
