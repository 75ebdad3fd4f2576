using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LeadScore.Application.Features;
using LeadScore.Application.Governance;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore audit list|verify</c>: the append-only, hash-chained audit log.</summary>
internal static class AuditCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("audit", "The audit log: who read personal data, exported, erased, opted out, promoted, managed keys, webhooks and settings");

        var json = new Option<bool>("--json") { Description = "JSON lines, one entry each" };
        var since = new Option<string?>("--since") { Description = "Only entries from this time (yyyy-MM-dd or ISO 8601)" };
        var action = new Option<string?>("--action") { Description = "Only this action (e.g. privacy.erase, lead.personal_read, model.promote)" };
        var lead = new Option<string?>("--lead") { Description = "Only entries about this lead (matched by its keyed hash: the log never holds the id)" };
        var limit = new Option<int>("--limit") { Description = "At most this many entries, newest first", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "Entries, newest first") { json, since, action, lead, limit };
        list.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(limit) is < 1 or > 100_000) throw new Core.LeadScoreException("--limit must be 1-100000", "limit");
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var from = parse.GetValue(since) is { } s ? FeatureService.ParseAsOf(s) : (DateTimeOffset?)null;
            var entries = await host.Get<AuditLog>().ListAsync(from, parse.GetValue(action), parse.GetValue(lead), parse.GetValue(limit), ct);
            if (parse.GetValue(json))
            {
                foreach (var e in entries)
                    console.Line(JsonSerializer.Serialize(new
                    {
                        sequence = e.Sequence, at = e.At, actor = e.Actor, action = e.Action, target_kind = e.TargetKind, target_id = e.TargetId,
                        details = JsonDocument.Parse(e.Details).RootElement, prev_hash = e.PrevHash, hash = e.Hash,
                    }, Json));
                return ExitCodes.Ok;
            }
            if (entries.Count == 0) { console.Line("No audit entries."); return ExitCodes.Ok; }
            console.Line($"{"SEQ",6}  {"TIME (UTC)",-19}  {"ACTOR",-22}  {"ACTION",-20}  TARGET");
            foreach (var e in entries)
                console.Line(string.Create(CultureInfo.InvariantCulture,
                    $"{e.Sequence,6}  {e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {e.Actor,-22}  {e.Action,-20}  {e.TargetKind}:{Short(e.TargetId)} {(e.Details == "{}" ? "" : e.Details)}"));
            return ExitCodes.Ok;
        });

        var verify = new Command("verify", "Check the hash chain of the whole log; exits 1 naming the first broken entry");
        verify.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var v = await host.Get<AuditLog>().VerifyAsync(ct);
            if (v.Ok)
            {
                console.Line(string.Create(CultureInfo.InvariantCulture, $"Audit log intact: {v.Entries:N0} entries, head {v.Head ?? "(empty)"}"));
                return ExitCodes.Ok;
            }
            console.Error($"audit log broken at entry {v.BrokenAt}: {v.Reason}");
            return ExitCodes.Failure;
        });

        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(verify);
        return cmd;
    }

    private static string Short(string id) => id.Length > 24 ? id[..16] + "…" : id;
}
