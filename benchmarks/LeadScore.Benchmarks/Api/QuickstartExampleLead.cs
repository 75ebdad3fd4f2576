using System.Globalization;
using LeadScore.Core;

namespace LeadScore.Benchmarks.Api;

/// <summary>
/// The quickstart's example lead of <c>POST /api/v1/score</c> (7 attributes, 3 activities), as the in-process request-path
/// benchmarks score it: the same lead the API benchmark sends.
/// </summary>
internal static class QuickstartExampleLead
{
    public static Lead Lead { get; } = new()
    {
        Id = "demo-lead-1",
        CreatedAt = new DateTimeOffset(2026, 11, 4, 20, 29, 27, TimeSpan.Zero),
        Attributes = new Dictionary<string, string?>
        {
            ["company"] = "Aperture Upland Systems", ["domain"] = "apertureuplandsystems.com", ["industry"] = "Software",
            ["company_size"] = "201-500", ["country"] = "US", ["job_title"] = "Vice President, Marketing", ["source"] = "partner",
        },
    };

    public static Activity[] Activities { get; } =
        [Act("page_view", "2026-11-27T21:56:23Z", "/pricing", 0), Act("page_view", "2026-11-27T21:58:46Z", "/pricing/compare", 1), Act("social_like", "2026-11-29T08:05:49Z", null, 2)];

    private static Activity Act(string type, string at, string? url, int i) => new()
    {
        EventId = $"demo-lead-1#{i}", LeadId = "demo-lead-1", Type = type, Timestamp = DateTimeOffset.Parse(at, CultureInfo.InvariantCulture), Url = url,
        Properties = new Dictionary<string, string?>(),
    };
}
