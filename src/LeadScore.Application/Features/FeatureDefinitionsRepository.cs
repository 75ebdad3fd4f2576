using LeadScore.Application.Ingestion;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Storage;

namespace LeadScore.Application.Features;

/// <summary>
/// The workspace's feature definitions, kept in the database so every instance trains with the same ones.
/// The CLI also keeps them as <c>features.json</c> in the workspace folder for the user to edit: when that file
/// exists and differs from the database, the file wins (it is what the user changed) and becomes a new version;
/// when it is missing, it is written from the database. Servers never read the file.
/// </summary>
public sealed class FeatureDefinitionsRepository(ILeadStore store, TimeProvider time, WorkspaceFiles files, Governance.AuditLog audit)
{
    public const string FileName = "features.json";

    /// <summary>The editable copy, or null when this process has no workspace folder to keep it in (servers).</summary>
    public string? FilePath => files.Directory is { } d ? Path.Combine(d, FileName) : null;

    /// <summary>The definitions training uses now; infers defaults from the imported data the first time. Says what happened.</summary>
    public async Task<(FeatureDefinitions Definitions, string? Note)> GetAsync(CancellationToken ct = default)
    {
        var stored = await store.GetSettingAsync(SettingNames.FeatureDefinitions, ct);
        if (FilePath is { } path && File.Exists(path))
        {
            var text = await File.ReadAllTextAsync(path, ct);
            var fromFile = FeatureDefinitions.FromJson(text, path);
            var json = fromFile.ToJson();
            if (stored is null || stored.Value != json)
            {
                var v = await store.SaveSettingAsync(SettingNames.FeatureDefinitions, json, time.GetUtcNow(), ct);
                await Audited(v, stored is null ? "features.json" : "features.json edited", ct);
                return (fromFile, stored is null ? null : $"feature definitions updated from {path} (version {v})");
            }
            return (fromFile, null);
        }
        if (stored is not null)
        {
            var defs = FeatureDefinitions.FromJson(stored.Value, "the database");
            if (FilePath is { } p) await WriteFileAsync(p, defs, ct);
            return (defs, null);
        }
        var inferred = await InferAsync(ct);
        await Audited(await store.SaveSettingAsync(SettingNames.FeatureDefinitions, inferred.ToJson(), time.GetUtcNow(), ct), "inferred from the data", ct);
        if (FilePath is { } file)
        {
            await WriteFileAsync(file, inferred, ct);
            return (inferred, $"wrote default feature definitions to {file} (edit them and train again to change the features)");
        }
        return (inferred, "inferred default feature definitions from the imported data");
    }

    private Task Audited(long version, string source, CancellationToken ct) =>
        audit.RecordAsync(AuditActions.SettingChange, AuditTargets.Setting, SettingNames.FeatureDefinitions,
            new Dictionary<string, object?> { ["version"] = version, ["source"] = source }, ct: ct);

    private static async Task WriteFileAsync(string path, FeatureDefinitions defs, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, defs.ToJson(), ct);
    }

    private async Task<FeatureDefinitions> InferAsync(CancellationToken ct)
    {
        var sample = new List<Lead>();
        await foreach (var l in store.StreamLeadsAsync(ct))
        {
            sample.Add(l);
            if (sample.Count == 20_000) break;
        }
        if (sample.Count == 0) throw new LeadScoreException("the workspace has no leads: import some first (./leadscore import leads FILE)", "leads");
        var types = new HashSet<string>(StringComparer.Ordinal);
        var seen = 0;
        await foreach (var a in store.StreamActivitiesAsync(ct))
        {
            types.Add(a.Type);
            if (++seen == 500_000) break;
        }
        var enrichment = new List<Enrichment>();
        await foreach (var e in store.StreamEnrichmentAsync(ct))
        {
            enrichment.Add(e);
            if (enrichment.Count == 20_000) break;
        }
        var schema = await LeadSchema.GetAsync(store, ct);
        return FeatureDefinitions.InferDefaults(sample, types, enrichment, schema.Count > 0 ? schema : null);
    }
}

/// <summary>The folder a process may keep workspace files in (reports, the editable features.json); null for servers on a shared database.</summary>
public sealed record WorkspaceFiles(string? Directory);
