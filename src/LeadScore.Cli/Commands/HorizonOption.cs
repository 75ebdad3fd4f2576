using System.CommandLine;
using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Features;

namespace LeadScore.Cli.Commands;

/// <summary>
/// <c>--horizon-days H</c>: the model predicts "converts within H days of the decision time". Shared by <c>train</c>
/// and <c>features build</c>; omitted, the data chooses it (<see cref="FunnelDefaults.HorizonRule"/>).
/// </summary>
internal static class HorizonOption
{
    public static Option<double?> Create() => new("--horizon-days")
    {
        Description = "Workspace training: label a row 1 when the lead converted within this many days of its decision time " +
                      "(default: " + FunnelDefaults.HorizonRule + ")",
    };

    public static double? Parse(double? days) => days switch
    {
        null => null,
        { } d when double.IsFinite(d) && d >= 1 && d <= 3650 => d,
        { } d => throw new LeadScoreException($"--horizon-days: {d.ToString(CultureInfo.InvariantCulture)} is not a number of days from 1 to 3650", "horizon-days"),
    };
}

/// <summary>The lines that say which decision point and horizon were used, what the decision point drops, and the fix when it is too much.</summary>
internal static class FunnelLines
{
    public static void Print(CliConsole console, FunnelChoice funnel, TrainingSet set)
    {
        var inv = CultureInfo.InvariantCulture;
        console.Line($"Decision point: {funnel.DelayWhy}");
        console.Line($"Horizon: {funnel.HorizonWhy}; a score is P(converts within {funnel.HorizonDays.ToString("0.##", inv)} days of the decision time)");
        console.Line(string.Create(inv, $"Labels as of {set.AsOf:yyyy-MM-dd HH:mm}Z: {set.Censored:N0} censored decision points left out (still open, horizon not over); {set.NotMatured:N0} decided rows not matured yet (left out of training and held-out metrics)"));
        console.Line(string.Create(inv, $"The decision point drops {set.WinsBeforeDecision:N0} of {set.Wins:N0} wins ({set.WinsDroppedShare * 100:0.#}%): they converted at or before their decision time"));
        if (set.WinsDroppedShare > FunnelDefaults.MaxWinsDropped)
            console.Line(string.Create(inv, $"Warning: more than {FunnelDefaults.MaxWinsDropped * 100:0}% of wins come before the decision point, so the model never learns from them; decide earlier with --decision-delay N (0 = at creation; omit it to let the data choose) or train on several ages with --decision-ages 0,7,14,30"));
    }
}
