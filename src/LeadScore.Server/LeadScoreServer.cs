using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using LeadScore.Core;
using LeadScore.Server.Api;
using LeadScore.Server.Auth;
using LeadScore.Server.Dashboard;
using LeadScore.Server.Endpoints;
using LeadScore.Server.Fairness;
using LeadScore.Application.Governance;
using LeadScore.Application.Scoring;
using LeadScore.Application.Webhooks;
using LeadScore.Hosting;
using LeadScore.Storage;
using LeadScore.Server.Observability;
using LeadScore.Server.Webhooks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace LeadScore.Server;

/// <summary>
/// The LeadScore HTTP API. <see cref="Build"/> reads as the table of contents: services, then the
/// pipeline, then one Map call per area.
/// </summary>
public static class LeadScoreServer
{
    public const string RateLimitPolicy = "per-key";

    /// <summary>
    /// The API over <paramref name="store"/>: the shared composition root (use cases, jobs, leader election, score
    /// upkeep), then the HTTP layer. <c>serve</c>, <c>quickstart</c> and the API tests all build the server here.
    /// </summary>
    public static WebApplication Build(WebApplicationBuilder builder, ServerOptions options, ILeadStore store, LeadScoreHostSettings settings)
    {
        builder.AddLeadScore(store, settings);
        builder.AddLeadScoreBackgroundServices();
        builder.AddLeadScoreApi(options);
        var app = builder.Build();
        app.UseLeadScore();
        app.MapHealthEndpoints();
        app.MapScoringEndpoints();
        app.MapLeadEndpoints();
        app.MapIngestionEndpoints();
        app.MapModelEndpoints();
        app.MapLifecycleEndpoints();
        app.MapWebhookEndpoints();
        app.MapFairnessEndpoints();
        app.MapGovernanceEndpoints();
        app.MapMonitoringEndpoints();
        app.MapDashboard();
        app.MapOpenApi();
        app.MapScalarApiReference();
        return app;
    }

    /// <summary>The HTTP layer: server options, auth, rate limiting, JSON, problem details, webhook delivery, OpenAPI.</summary>
    public static WebApplicationBuilder AddLeadScoreApi(this WebApplicationBuilder builder, ServerOptions options)
    {
        // The values the caller passes in (e.g. --urls) are defaults; configuration (LeadScore__RateLimit__PermitsPerSecond=...) overrides them.
        builder.Configuration.GetSection(ServerOptions.Section).Bind(options);
        // ASP.NET Core logs every request at Information: far too costly (and noisy) at thousands of requests a second.
        // LeadScore's own events still log (Logging__LogLevel__... overrides).
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        Validate(options);
        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<ApiMetrics>();
        services.AddSingleton<IngestContext>();

        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            // Kestrel's own 400s (a NUL in the path) are answered before any middleware: give them a ProblemDetails body.
            k.ConfigureEndpointDefaults(listen => listen.Use(KestrelBadRequestBodies.Use));
        });

        services.ConfigureHttpJsonOptions(o => Strict(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();

        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<FailedAuthLimiter>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            // The dashboard's session cookie: a second scheme, used by the /dashboard routes only (see DashboardAuth).
            .AddDashboardSession();
        services.AddSingleton<DashboardAssets>();
        services.AddAuthorization(o =>
        {
            foreach (var scope in ApiScopes.All)
                o.AddPolicy(ScopePolicies.For(scope), p => p.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim,
                    scope is ApiScopes.Metrics or ApiScopes.PersonalData or ApiScopes.Privacy or ApiScopes.Monitoring ? [scope, ApiScopes.Admin] : [scope]));
        });
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value ?? "anonymous",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.RateLimit.Burst,
                    // Tenths of a second when the rate divides by ten (smoother), else whole seconds: the rate is exact either way
                    // (it used to round 1-9 per second up to 10).
                    TokensPerPeriod = options.RateLimit.PermitsPerSecond % 10 == 0 ? options.RateLimit.PermitsPerSecond / 10 : options.RateLimit.PermitsPerSecond,
                    ReplenishmentPeriod = options.RateLimit.PermitsPerSecond % 10 == 0 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            o.OnRejected = async (ctx, ct) =>
            {
                var retry = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                ctx.HttpContext.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await TypedResults.Problem($"This API key sent more than {options.RateLimit.PermitsPerSecond} requests per second; retry after {retry} s.",
                    statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests").ExecuteAsync(ctx.HttpContext);
            };
        });

        var urlPolicy = new WebhookUrlPolicy(options.Webhooks.AllowPrivateNetworks);
        services.AddSingleton(urlPolicy);
        services.AddHttpClient(WebhookDispatcher.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => WebhookDispatcher.CreateHandler(urlPolicy));
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Webhooks.Timeout + TimeSpan.FromSeconds(5));

        services.AddOpenApi(o => o.AddDocumentTransformer<ApiKeySecurityTransformer>());
        return builder;
    }

    /// <summary>The pipeline: errors as ProblemDetails, metrics, body limit, auth, rate limits.</summary>
    public static WebApplication UseLeadScore(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(app.Services.GetRequiredService<ApiMetrics>().Middleware);
        app.Use(RejectOversizedBodies(app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.MaxRequestBodyBytes));
        app.UseAuthentication();
        app.UseAuthorization();
        app.Use(ActorFromApiKey(app.Services.GetRequiredService<ActorContext>()));
        app.UseRateLimiter();
        var metrics = app.Services.GetRequiredService<ApiMetrics>();
        var scoring = app.Services.GetRequiredService<IScoringService>();
        var store = app.Services.GetRequiredService<ILeadStore>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            metrics.ModelServing(scoring.ChampionVersion);
            ServerLog.Started(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LeadScore.Server"),
                string.Join(", ", app.Urls), store.Describe(), scoring.ChampionVersion ?? "none");
        });
        return app;
    }

    /// <summary>The group every API area hangs off: /api/v1 + prefix, one scope, rate limited per key.</summary>
    internal static RouteGroupBuilder MapApiGroup(this IEndpointRouteBuilder app, string prefix, string scope, string tag) =>
        app.MapGroup("/api/v1" + prefix)
            .RequireAuthorization(ScopePolicies.For(scope))
            .RequireRateLimiting(RateLimitPolicy)
            .WithMetadata(new RequiredScope(scope))
            .WithTags(tag)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>The JSON rules of the API: snake_case, source-generated, strict about what it accepts.</summary>
    internal static void Strict(JsonSerializerOptions o)
    {
        o.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        o.RespectNullableAnnotations = true;
        o.RespectRequiredConstructorParameters = true;
        o.NumberHandling = JsonNumberHandling.Strict;
        o.AllowTrailingCommas = false;
        o.ReadCommentHandling = JsonCommentHandling.Disallow;
        o.AllowDuplicateProperties = false;
    }

    /// <summary>The audit log's actor for an API request: the key's name (the dashboard sets its session's user in its own filter).</summary>
    private static Func<RequestDelegate, RequestDelegate> ActorFromApiKey(ActorContext actors) => next => async context =>
    {
        if (context.User.Identity is { IsAuthenticated: true, AuthenticationType: ApiKeyAuthenticationHandler.SchemeName, Name: { } name })
        {
            using var _ = actors.Use(Actor.ApiKey(name));
            await next(context);
        }
        else await next(context);
    };

    /// <summary>413 before reading a body whose declared length is over the limit (Kestrel enforces it for chunked bodies).</summary>
    private static Func<RequestDelegate, RequestDelegate> RejectOversizedBodies(long limit) => next => context =>
    {
        if (context.Request.ContentLength is { } n && n > limit)
        {
            return ApiResults.TooLarge("body", $"the body is {n} bytes; the limit is {limit} bytes").ExecuteAsync(context);
        }
        return next(context);
    };

    private static void Validate(ServerOptions o)
    {
        var errors = new List<ValidationResult>();
        foreach (var target in new object[] { o, o.RateLimit, o.FailedAuthLimit, o.Webhooks })
            Validator.TryValidateObject(target, new ValidationContext(target), errors, validateAllProperties: true);
        if (!Uri.TryCreate(o.Urls.Split(';')[0], UriKind.Absolute, out _)) errors.Add(new ValidationResult($"'{o.Urls}' is not a URL", ["Urls"]));
        if (errors.Count > 0)
            throw new LeadScoreException("invalid server settings: " + string.Join("; ", errors.Select(e => $"{string.Join(",", e.MemberNames)}: {e.ErrorMessage}")), errors[0].MemberNames.FirstOrDefault());
    }
}
