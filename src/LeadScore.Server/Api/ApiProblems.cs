using System.Text.Json;
using LeadScore.Core;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace LeadScore.Server.Api;

/// <summary>
/// Turns every failure into a ProblemDetails body that names the field at fault: malformed JSON,
/// unknown fields and wrong types (400), oversized bodies (413), domain rule violations (422),
/// unknown resources (404), a database that cannot be reached (503 with Retry-After, see <see cref="StoreOutage"/>).
/// Only a bug in LeadScore itself gives 500.
/// </summary>
internal sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        IResult result = exception switch
        {
            BadHttpRequestException { InnerException: JsonException j } => Invalid(j),
            // Lone surrogates ("\ud800") pass the JSON reader and fail when a string is decoded.
            BadHttpRequestException { InnerException: InvalidOperationException i } when IsInvalidText(i) => ApiResults.Invalid("body", "contains invalid text (a lone UTF-16 surrogate or invalid UTF-8)"),
            BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge => ApiResults.TooLarge("body", b.Message),
            BadHttpRequestException b when b.Message.Contains("no body was provided", StringComparison.Ordinal) || b.Message.StartsWith("Required parameter", StringComparison.Ordinal)
                => ApiResults.Invalid("body", "a JSON body is required"),
            BadHttpRequestException b => TypedResults.Problem(Clean(b.Message), statusCode: b.StatusCode, title: "Bad request"),
            JsonException j => Invalid(j),
            NotFoundException n => TypedResults.Problem(n.Message, statusCode: StatusCodes.Status404NotFound, title: "Not found"),
            ConflictException c => ApiResults.Conflict(c.Message),
            LeadScoreException e => ApiResults.Unprocessable(e.Field ?? "body", e.Message),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => TypedResults.Empty,
            _ when StoreOutage.Is(exception) => StoreUnavailable(context),
            InvalidOperationException i when IsInvalidText(i) => ApiResults.Invalid("body", "contains invalid text (a lone UTF-16 surrogate or invalid UTF-8)"),
            _ => TypedResults.Problem("An unexpected error occurred; it has been logged.", statusCode: StatusCodes.Status500InternalServerError, title: "Internal error"),
        };
        if (result is ProblemHttpResult { StatusCode: StatusCodes.Status503ServiceUnavailable }) ServerLog.StoreUnavailable(log, context.Request.Path, exception);
        else if (result is ProblemHttpResult { StatusCode: >= 500 }) ServerLog.UnhandledError(log, context.Request.Path, exception);
        if (context.Response.HasStarted) return true;
        await result.ExecuteAsync(context);
        return true;
    }

    private static ProblemHttpResult StoreUnavailable(HttpContext context)
    {
        if (!context.Response.HasStarted)
            context.Response.Headers.RetryAfter = StoreOutage.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiResults.Unavailable($"the database cannot be reached right now; retry after {StoreOutage.RetryAfterSeconds} s");
    }

    private static bool IsInvalidText(InvalidOperationException e) =>
        e.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("UTF-8", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("UTF-16", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("transcode", StringComparison.OrdinalIgnoreCase);

    private static IResult Invalid(JsonException j)
    {
        var field = FieldOf(j.Path);
        // System.Text.Json's messages end with "Path: ... | LineNumber: ..." and name .NET types; the
        // client needs the field and what is wrong with it in its own terms.
        var message = j.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        const string missing = "missing required properties including: ";
        if (message.IndexOf(missing, StringComparison.Ordinal) is var m and >= 0)
        {
            var name = message[(m + missing.Length)..].Split(',')[0].Trim(' ', '\'', '.');
            field = field == "body" ? name : $"{field}.{name}";
            message = "is required";
        }
        else if (message.Contains("could not be mapped", StringComparison.Ordinal)) message = "unknown field";
        else if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)) message = "has the wrong type or format";
        else if (message.StartsWith("Duplicate property", StringComparison.Ordinal)) message = "appears twice";
        else if (message.Contains("JSON value of type Null", StringComparison.Ordinal) || message.Contains("null", StringComparison.Ordinal) && message.Contains("non-nullable", StringComparison.Ordinal)) message = "must not be null";
        var position = j.LineNumber is { } line ? $" (line {line + 1}, byte {j.BytePositionInLine + 1})" : "";
        return ApiResults.Invalid(field, message + position);
    }

    /// <summary>"$.leads[3].attributes" -> "leads[3].attributes"; the body itself is "body".</summary>
    internal static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string Clean(string message) => message.Replace("\"", "'", StringComparison.Ordinal);
}

/// <summary>The problem results handlers return, so every error names its field the same way.</summary>
internal static class ApiResults
{
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: $"{field}: {message}", title: "Invalid request");

    public static ProblemHttpResult Unprocessable(string field, string message) =>
        TypedResults.Problem(message, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Cannot process",
            extensions: new Dictionary<string, object?> { ["field"] = field });

    /// <summary>
    /// 422 when every item of an ingestion request was rejected: a validation ProblemDetails whose <c>errors</c> map
    /// names each field at fault as <c>items[i].field</c> (as every other 400/422 does), plus <c>field</c> (the first
    /// one), <c>item_errors</c> (index, field, reason, as in a 200 answer's <c>errors</c>) and the summary's counts.
    /// </summary>
    public static ProblemHttpResult NothingAccepted(IngestResponse summary)
    {
        var first = summary.Errors.FirstOrDefault();
        var detail = summary.Rejected == 1
            ? $"the item was rejected{(first is null ? "" : $": {first.Reason}")}; nothing was stored"
            : $"all {summary.Rejected} items were rejected; nothing was stored (see errors)";
        var errors = summary.Errors
            .GroupBy(e => e.Field is null ? $"items[{e.Index}]" : $"items[{e.Index}].{e.Field}")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Reason).ToArray());
        var problem = new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "No item was accepted",
            Detail = detail,
        };
        foreach (var (key, value) in new Dictionary<string, object?>
            {
                ["field"] = first?.Field,
                ["import_id"] = summary.ImportId,
                ["kind"] = summary.Kind,
                ["received"] = summary.Received,
                ["accepted"] = summary.Accepted,
                ["inserted"] = summary.Inserted,
                ["updated"] = summary.Updated,
                ["unchanged"] = summary.Unchanged,
                ["rejected"] = summary.Rejected,
                ["item_errors"] = summary.Errors,
                ["rescored"] = summary.Rescored,
                ["webhooks_queued"] = summary.WebhooksQueued,
            })
            problem.Extensions[key] = value;
        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult TooLarge(string field, string message) =>
        TypedResults.Problem(message, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
            extensions: new Dictionary<string, object?> { ["field"] = field });

    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(what, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult Unavailable(string why) =>
        TypedResults.Problem(why, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not available");

    public static ProblemHttpResult Conflict(string why) =>
        TypedResults.Problem(why, statusCode: StatusCodes.Status409Conflict, title: "Conflict");
}
