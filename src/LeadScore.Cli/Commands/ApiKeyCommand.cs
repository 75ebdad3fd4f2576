using System.CommandLine;
using LeadScore.Core;
using LeadScore.Application.Security;
using LeadScore.Storage;

namespace LeadScore.Cli.Commands;

/// <summary><c>leadscore apikey create|list|revoke</c>: keys for the REST API, shown once, stored hashed.</summary>
public static class ApiKeyCommand
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var cmd = new Command("apikey", "Manage API keys for the REST API (stored as SHA-256 hashes; a key is shown only when created)");

        var name = new Option<string>("--name") { Description = "A name to tell the key apart, e.g. crm", Required = true };
        var scopes = new Option<string>("--scopes")
        {
            Description = $"Comma-separated scopes: {string.Join(", ", ApiScopes.All)}",
            DefaultValueFactory = _ => ApiScopes.Score,
        };
        var create = new Command("create", "Create a key and print it once") { name, scopes };
        create.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var list = parse.GetValue(scopes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var (key, record) = await host.Get<ApiKeyService>().CreateAsync(parse.GetValue(name)!, list, ct);
            console.Line(key);
            console.Err.WriteLine($"Created key '{record.Name}' ({record.Id}) with scopes {string.Join(",", record.Scopes)}. It is shown only now: store it safely.");
            console.Err.WriteLine($"Use it as: curl -H 'X-Api-Key: {key}' http://127.0.0.1:5080/api/v1/leads");
            return ExitCodes.Ok;
        });

        var listCmd = new Command("list", "List keys (name, id, prefix, scopes, created, revoked)");
        listCmd.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var keys = await host.Get<ApiKeyService>().ListAsync(ct);
            if (keys.Count == 0) { console.Line("No API keys. Create one with './leadscore apikey create --name NAME --scopes score'."); return ExitCodes.Ok; }
            console.Line($"{"NAME",-20} {"ID",-17} {"PREFIX",-13} {"SCOPES",-20} {"CREATED",-20} REVOKED");
            foreach (var k in keys)
                console.Line($"{k.Name,-20} {k.Id,-17} {k.Prefix,-13} {string.Join(",", k.Scopes),-20} {k.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {(k.RevokedAt is { } r ? r.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss") : "-")}");
            return ExitCodes.Ok;
        });

        var which = new Argument<string>("key") { Description = "The key's name or id" };
        var revoke = new Command("revoke", "Revoke a key (a running server stops accepting it within its key cache time, 30 s by default)") { which };
        revoke.SetAction(async (parse, ct) =>
        {
            await using var host = await CliHost.OpenAsync(global, parse, ct);
            var target = parse.GetValue(which)!;
            await host.Get<ApiKeyService>().RevokeAsync(target, ct);
            console.Line($"Revoked '{target}'.");
            return ExitCodes.Ok;
        });

        cmd.Subcommands.Add(create);
        cmd.Subcommands.Add(listCmd);
        cmd.Subcommands.Add(revoke);
        return cmd;
    }
}
