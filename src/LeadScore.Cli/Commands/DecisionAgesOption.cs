using System.CommandLine;
using System.Globalization;
using LeadScore.Core;

namespace LeadScore.Cli.Commands;

/// <summary>
/// <c>--decision-ages 14,30,60,90,180</c>: build one training row per lead per age (days after creation) while it was
/// still open, so the model learns how an ageing open lead looks, not only a two-week-old one. Shared by
/// <c>train</c> and <c>features build</c>.
/// </summary>
internal static class DecisionAgesOption
{
    public static Option<string?> Create() => new("--decision-ages")
    {
        Description = "Workspace training: one row per lead at each of these ages in days after creation (e.g. 14,30,60,90,180) while it was still open; " +
                      "default: one row at the decision delay",
    };

    public static IReadOnlyList<TimeSpan>? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var ages = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var days) || !double.IsFinite(days) || days < 0 || days > 3650)
                throw new LeadScoreException($"--decision-ages: '{part}' is not a number of days between 0 and 3650", "decision-ages");
            ages.Add(TimeSpan.FromDays(days));
        }
        return ages;
    }
}
