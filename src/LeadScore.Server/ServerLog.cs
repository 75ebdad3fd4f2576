using Microsoft.Extensions.Logging;

namespace LeadScore.Server;

/// <summary>Every log message of the server, with its event id, in one place.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1000, LogLevel.Error, "Unhandled error on {Path}")]
    public static partial void UnhandledError(ILogger logger, string path, Exception ex);

    [LoggerMessage(1001, LogLevel.Information, "LeadScore API on {Urls} using {Store}; champion model {Champion}")]
    public static partial void Started(ILogger logger, string urls, string store, string champion);

    [LoggerMessage(2000, LogLevel.Information, "Webhook delivery {DeliveryId} to {Url} delivered ({StatusCode})")]
    public static partial void Delivered(ILogger logger, long deliveryId, string url, int statusCode);

    [LoggerMessage(2001, LogLevel.Warning, "Webhook delivery {DeliveryId} to {Url} failed (attempt {Attempt}): {Error}; next attempt {NextAttempt:O}")]
    public static partial void DeliveryFailed(ILogger logger, long deliveryId, string url, int attempt, string error, DateTimeOffset nextAttempt);

    [LoggerMessage(2002, LogLevel.Warning, "Webhook delivery {DeliveryId} to {Url} parked after {Attempts} attempts: {Error}")]
    public static partial void DeliveryParked(ILogger logger, long deliveryId, string url, int attempts, string error);

    [LoggerMessage(2003, LogLevel.Error, "Webhook dispatcher error")]
    public static partial void DispatcherError(ILogger logger, Exception ex);

    [LoggerMessage(2004, LogLevel.Information, "Webhook delivery {DeliveryId} dropped: webhook {WebhookId} was deleted")]
    public static partial void DeliveryOrphaned(ILogger logger, long deliveryId, string webhookId);

    [LoggerMessage(2005, LogLevel.Information, "Webhook delivery {DeliveryId} attempt failed")]
    public static partial void DeliveryError(ILogger logger, long deliveryId, Exception ex);

    [LoggerMessage(1002, LogLevel.Warning, "The store cannot be reached; answering 503 on {Path}")]
    public static partial void StoreUnavailable(ILogger logger, string path, Exception ex);

    [LoggerMessage(1003, LogLevel.Warning, "The store cannot be reached; API key {KeyId} accepted from the cache for the outage grace period")]
    public static partial void ApiKeyServedDuringOutage(ILogger logger, string keyId);

    [LoggerMessage(1004, LogLevel.Warning, "Readiness check: the store ping failed")]
    public static partial void PingFailed(ILogger logger, Exception ex);
}
