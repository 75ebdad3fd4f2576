using System.CommandLine;
using LeadScore.Application.Features;
using LeadScore.Core;

namespace LeadScore.Cli.Commands;

/// <summary>
/// The options that say how workspace training rows are built, one set for <c>features build</c> and <c>train</c> (same
/// names, same meaning, same defaults), so <c>train</c> can reuse the set <c>features build</c> stored:
/// <c>--decision-delay</c>, <c>--horizon-days</c>, <c>--as-of</c>, <c>--decision-ages</c>. Old names are accepted with a
/// deprecation line (<c>--delay-days</c>).
/// </summary>
internal sealed class TrainingSetCliOptions
{
    private static readonly (string Old, string New)[] Deprecated = [("--delay-days", "--decision-delay")];

    public Option<double?> Delay { get; } = new("--decision-delay", "--delay-days")
    {
        Description = "Workspace training: build each lead's row as of its creation + this many days (default: chosen from the data so that at most 10% of wins come before it; 0 = at creation)",
    };
    public Option<double?> Horizon { get; } = HorizonOption.Create();
    public Option<string?> AsOf { get; } = new("--as-of")
    {
        Description = "Workspace training: build the set as it could have been built on this date: only outcomes recorded before it count, and labels are judged as of it (yyyy-MM-dd; default: the data's end)",
    };
    public Option<string?> Ages { get; } = DecisionAgesOption.Create();

    public IEnumerable<Option> All => [Delay, Horizon, AsOf, Ages];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>True when any of the workspace training-set options was given.</summary>
    public bool AnyGiven(ParseResult parse) => parse.GetValue(Delay) is not null || parse.GetValue(Horizon) is not null || parse.GetValue(AsOf) is not null || parse.GetValue(Ages) is not null;

    public TimeSpan? DelayOf(ParseResult parse) => parse.GetValue(Delay) switch
    {
        null => null,
        { } d when double.IsFinite(d) && d >= 0 && d <= 3650 => TimeSpan.FromDays(d),
        { } d => throw new LeadScoreException($"--decision-delay: {d.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a number of days from 0 to 3650", "decision-delay"),
    };

    public double? HorizonOf(ParseResult parse) => HorizonOption.Parse(parse.GetValue(Horizon));

    public DateTimeOffset? AsOfOf(ParseResult parse) => parse.GetValue(AsOf) is { } a ? FeatureService.ParseAsOf(a) : null;

    public IReadOnlyList<TimeSpan>? AgesOf(ParseResult parse) => DecisionAgesOption.Parse(parse.GetValue(Ages));

    /// <summary>One line per old option name used, saying the new one (the old still works).</summary>
    public static void WarnDeprecated(ParseResult parse, CliConsole console)
    {
        foreach (var (old, now) in Deprecated)
            if (parse.Tokens.Any(t => t.Value == old || t.Value.StartsWith(old + "=", StringComparison.Ordinal)))
                console.Warn($"{old} is deprecated: use {now} (the same option in features build and train)");
    }
}
