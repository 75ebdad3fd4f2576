using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using LeadScore.Server.Observability;
using LeadScore.Application.Governance;
using LeadScore.Application.Webhooks;
using LeadScore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LeadScore.Server.Webhooks;

/// <summary>
/// Sends queued deliveries: POSTs the stored JSON with its signature, marks it delivered on a 2xx,
/// otherwise retries with exponential backoff (base, 2x base, 4x base ... capped) and parks it after
/// <see cref="WebhookOptions.MaxAttempts"/>. On shutdown it stops taking new deliveries and lets the
/// ones in flight finish; anything not yet sent stays queued in the database for the next start.
/// </summary>
public sealed class WebhookDispatcher(
    IWebhookStore store, IHttpClientFactory http, WebhookSignal signal, TimeProvider time,
    IOptions<ServerOptions> options, ApiMetrics metrics, WebhookUrlPolicy policy, ProfilingOptOuts optOuts, ILogger<WebhookDispatcher> log) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    private readonly WebhookOptions _o = options.Value.Webhooks;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sent = await RunOnceAsync(stoppingToken);
                if (sent == 0) await signal.WaitAsync(_o.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A database hiccup must not stop deliveries for good: log, wait, go on.
                ServerLog.DispatcherError(log, ex);
                await signal.WaitAsync(_o.PollInterval, stoppingToken);
            }
        }
    }

    /// <summary>Claims the due deliveries and attempts each once; returns how many were attempted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        // The lease outlives one attempt, so a crash mid-send means a retry after the lease, never a loss.
        var lease = now + _o.Timeout + _o.Timeout;
        var due = await store.ClaimDueDeliveriesAsync(now, lease, _o.Concurrency * 4, stoppingToken);
        if (due.Count == 0) return 0;
        var hooks = new Dictionary<string, Webhook?>(StringComparer.Ordinal);
        foreach (var d in due)
            if (!hooks.ContainsKey(d.WebhookId)) hooks[d.WebhookId] = await store.GetWebhookAsync(d.WebhookId, stoppingToken);
        var attempted = 0;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = _o.Concurrency }, async (d, _) =>
        {
            if (stoppingToken.IsCancellationRequested)
            {
                await store.ReleaseDeliveryAsync(d.Id, now, CancellationToken.None);
                return;
            }
            Interlocked.Increment(ref attempted);
            // In-flight sends are not cancelled by shutdown: they finish (bounded by the timeout) and are recorded.
            await AttemptAsync(d, hooks[d.WebhookId], CancellationToken.None);
        });
        return attempted;
    }

    private async Task AttemptAsync(WebhookDelivery d, Webhook? hook, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        if (hook is null)
        {
            ServerLog.DeliveryOrphaned(log, d.Id, d.WebhookId);
            await store.RecordAttemptAsync(d.Id, new DeliveryAttempt(at, DeliveryStatus.Parked, at, null, "webhook deleted"), ct);
            return;
        }
        // Checked at send time too: a lead that opted out after its delivery was claimed (here or by another instance) is not sent.
        if (d.LeadId.Length > 0 && optOuts.Contains(d.LeadId))
        {
            await store.RecordAttemptAsync(d.Id, new DeliveryAttempt(at, DeliveryStatus.Cancelled, at, null, PrivacyService.OptedOutReason), CancellationToken.None);
            metrics.WebhookDelivery("cancelled");
            return;
        }
        int? code = null;
        string? error;
        // Checked again at send time: the hook may predate the policy, or the admin may have tightened it since.
        if (policy.CheckSyntax(hook.Url, out _) is { } refused)
        {
            error = "refused by policy: " + refused;
        }
        else try
        {
            var body = Encoding.UTF8.GetBytes(d.Payload);
            using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(hook.Secret, body));
            request.Headers.Add(WebhookSignature.EventHeader, d.EventType);
            request.Headers.Add(WebhookSignature.DeliveryHeader, d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(_o.Timeout);
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                await store.RecordAttemptAsync(d.Id, new DeliveryAttempt(at, DeliveryStatus.Delivered, at, code, null), CancellationToken.None);
                metrics.WebhookDelivery("delivered");
                ServerLog.Delivered(log, d.Id, hook.Url, code.Value);
                return;
            }
            // Redirects are never followed: a POST turned into GET /internal-secret is exactly what the policy is there to stop.
            error = code is >= 300 and < 400 ? "redirect not followed" : $"answered {code}";
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            error = FailureCategory(ex);
            ServerLog.DeliveryError(log, d.Id, ex);
        }
        var attempts = d.Attempts + 1;
        if (attempts >= _o.MaxAttempts)
        {
            await store.RecordAttemptAsync(d.Id, new DeliveryAttempt(at, DeliveryStatus.Parked, at, code, error), CancellationToken.None);
            metrics.WebhookDelivery("parked");
            ServerLog.DeliveryParked(log, d.Id, hook.Url, attempts, error);
            return;
        }
        // The wait runs from when the failure is known, so a slow receiver still gets the whole backoff.
        var next = time.GetUtcNow() + Backoff(attempts);
        await store.RecordAttemptAsync(d.Id, new DeliveryAttempt(at, DeliveryStatus.Pending, next, code, error), CancellationToken.None);
        metrics.WebhookDelivery("retry");
        ServerLog.DeliveryFailed(log, d.Id, hook.Url, attempts, error, next);
    }

    /// <summary>
    /// What /deliveries shows for a failed send: a fixed category, never the exception text, which names addresses and ports
    /// ("Connection refused (10.0.0.5:22)") and would make webhooks a port scanner. The details go to the server log.
    /// </summary>
    internal static string FailureCategory(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is WebhookUrlRefusedException refused) return "refused by policy: " + refused.Message;
        return ex switch
        {
            OperationCanceledException => "timed out",
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "name not resolved",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS handshake failed",
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse } => "invalid or incomplete answer",
            _ => "connection failed",
        };
    }

    /// <summary>
    /// The handler webhooks are sent through: no redirects, no proxy (the policy judges the receiver's own address), and
    /// a connect step that resolves the host and checks every address against <paramref name="policy"/> at each
    /// connection, so the address checked is the address connected to.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(WebhookUrlPolicy policy) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await policy.ResolveAllowedAsync(context.DnsEndPoint.Host, ct);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>Delay after the <paramref name="failedAttempts"/>-th failure: base x 2^(n-1), capped.</summary>
    public TimeSpan Backoff(int failedAttempts)
    {
        var factor = Math.Pow(2, Math.Min(failedAttempts - 1, 30));
        var ms = Math.Min(_o.RetryBaseDelay.TotalMilliseconds * factor, _o.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }
}
