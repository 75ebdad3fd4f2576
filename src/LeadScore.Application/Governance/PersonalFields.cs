using LeadScore.Application.Ingestion;
using LeadScore.Core;
using LeadScore.Storage;

namespace LeadScore.Application.Governance;

/// <summary>
/// Which lead attributes are personal data: the columns the imported lead schema marks personal, plus email, first and
/// last name and phone whatever the schema says. Reading them needs the <see cref="ApiScopes.PersonalData"/> scope (API)
/// or the dashboard's personal-data setting; pseudonymised exports replace them.
/// </summary>
public sealed class PersonalFields(ISettingsStore settings)
{
    public static readonly IReadOnlyList<string> Always = [LeadFields.Email, LeadFields.FirstName, LeadFields.LastName, LeadFields.Phone];

    /// <summary>The personal attribute names now (the schema is a shared setting, read each time: a new import may add some).</summary>
    public async Task<IReadOnlySet<string>> NamesAsync(CancellationToken ct = default)
    {
        var names = new HashSet<string>(Always, StringComparer.OrdinalIgnoreCase);
        foreach (var c in await LeadSchema.GetAsync(settings, ct))
            if (c.IsPersonal) names.Add(c.Name);
        return names;
    }

    /// <summary>The attributes without the personal ones.</summary>
    public static IReadOnlyDictionary<string, string?> Without(IReadOnlyDictionary<string, string?> attributes, IReadOnlySet<string> personal)
    {
        var kept = new Dictionary<string, string?>(attributes.Count, StringComparer.Ordinal);
        foreach (var (k, v) in attributes)
            if (!personal.Contains(k)) kept[k] = v;
        return kept;
    }

    /// <summary>The attributes with each personal value replaced by its pseudonym (null stays null).</summary>
    public static IReadOnlyDictionary<string, string?> Pseudonymised(IReadOnlyDictionary<string, string?> attributes, IReadOnlySet<string> personal, Func<string, string> pseudonym)
    {
        var kept = new Dictionary<string, string?>(attributes.Count, StringComparer.Ordinal);
        foreach (var (k, v) in attributes)
            kept[k] = personal.Contains(k) && v is not null ? pseudonym(v) : v;
        return kept;
    }
}
