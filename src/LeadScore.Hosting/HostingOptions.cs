using System.ComponentModel.DataAnnotations;

namespace LeadScore.Hosting;

/// <summary>Background upkeep of served scores. Bound from <c>LeadScore:Maintenance</c> and validated at start.</summary>
public sealed class MaintenanceOptions
{
    public const string Section = "LeadScore:Maintenance";

    /// <summary>How often the serving aliases and the enrichment version are checked, so instances pick up a promotion or an import made elsewhere.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")] public TimeSpan ChampionReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often every stored lead is re-scored as time passes (cause "time passing"), by the leader only; zero turns it off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")] public TimeSpan TimePassingRescore { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long leadership lasts without renewal; a new leader takes over this long after the old one dies.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")] public TimeSpan LeaderLease { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>What the composition root needs to know about where it runs.</summary>
public sealed record LeadScoreHostSettings
{
    /// <summary>A workspace folder this process may write files into (reports, the editable features.json); null for a server on a shared database.</summary>
    public string? WorkspaceDirectory { get; init; }

    /// <summary>The clock everything reads (stores, jobs, scoring, upkeep); null = the system clock. A simulated clock replays months in minutes.</summary>
    public TimeProvider? Time { get; init; }
}
