using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace LeadScore.Server.Dashboard;

/// <summary>
/// The dashboard's files (one HTML page, its script and style), embedded in the server assembly: they are found however
/// the server is started (<c>./leadscore serve</c> from <c>artifacts/cli</c>, tests, another working directory), need no
/// content root and nothing from the internet. Read once; served with an ETag and the dashboard's security headers.
/// </summary>
internal sealed class DashboardAssets
{
    /// <summary>Self only: no inline script or style, no third-party origin, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private sealed record Asset(byte[] Content, string ContentType, string ETag);

    private readonly Dictionary<string, Asset> _assets = new(StringComparer.Ordinal);

    public DashboardAssets()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        foreach (var (name, type) in new[] { ("index.html", "text/html; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"), ("app.css", "text/css; charset=utf-8") })
        {
            using var stream = assembly.GetManifestResourceStream("LeadScore.Server.Dashboard.wwwroot." + name)
                ?? throw new InvalidOperationException($"the dashboard asset '{name}' is not embedded in {assembly.GetName().Name}");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            _assets[name] = new Asset(bytes, type, "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 8)) + "\"");
        }
    }

    public static void SecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    public IResult Serve(string name, HttpContext context)
    {
        var asset = _assets[name];
        SecurityHeaders(context.Response);
        // Revalidated every time (cheap with the ETag), so an upgraded server never runs yesterday's script.
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }
}
