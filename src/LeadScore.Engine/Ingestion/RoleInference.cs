using LeadScore.Core;

namespace LeadScore.Engine.Ingestion;

/// <summary>
/// How one role (lead id, time, outcome, ...) is played in a source: by which column, found how. <see cref="Column"/> is
/// null when no column could be found; <see cref="Constant"/> is set when every row gets one value instead (an outcome).
/// </summary>
public sealed record RoleGuess
{
    /// <summary>What the role is, in words: "lead id", "created time", "outcome date", "outcome".</summary>
    public required string Role { get; init; }
    /// <summary>The mapping setting that names it ("lead_id", "timestamp", "outcome", "outcome_value").</summary>
    public required string Setting { get; init; }
    /// <summary>The column (renamed name), or null.</summary>
    public string? Column { get; init; }
    /// <summary>Every row gets this value (outcome_value), instead of reading a column.</summary>
    public string? Constant { get; init; }
    /// <summary>"mapping", "canonical" (the column has the canonical name) or "guessed".</summary>
    public required string Source { get; init; }
    /// <summary>Why this column was taken (for guesses), or what to do when none was found.</summary>
    public string? Why { get; init; }
    /// <summary>Whether the import cannot run without it.</summary>
    public bool Required { get; init; } = true;

    public bool Guessed => Source == "guessed";
    public bool Found => Column is not null || Constant is not null;
}

/// <summary>
/// Guesses the role columns a mapping does not name and the file does not hold under their canonical names, from the
/// columns' names and a sample of their values, so <c>import KIND FILE</c> works on a CRM export the first time
/// (<c>mql_id</c>, <c>first_contact_date</c>, <c>won_date</c>). A guess is only taken when the values fit the role
/// (ids present, lead ids unique in a leads file, times that parse as dates); otherwise the role stays unfound and
/// the import fails naming the setting to use.
/// </summary>
public static class RoleInference
{
    private const double DateShare = 0.98;

    // Names a CRM gives a lead's id, strongest first; any other *_id column comes after these.
    private static readonly string[] LeadIdWords = ["lead", "mql", "sql", "prospect", "contact", "customer", "person", "account", "record"];
    private static readonly string[] CreatedNames = ["created_at", "created", "date_created", "creation_date", "create_date", "created_date", "createdate", "first_contact_date", "first_contact", "signup_date", "signed_up_at", "registered_at", "lead_date"];
    private static readonly string[] CreatedWords = ["creat", "first_contact", "signup", "sign_up", "signed_up", "regist", "submitted", "acquired"];
    private static readonly string[] OutcomeDateNames = ["date", "won_date", "won_at", "closed_at", "close_date", "closed_date", "lost_date", "lost_at", "converted_at", "conversion_date", "outcome_date", "outcome_at"];
    private static readonly string[] OutcomeDateWords = ["won", "close", "lost", "convert", "outcome", "deal"];
    private static readonly string[] ActivityTimeNames = ["timestamp", "time", "occurred_at", "event_time", "event_date", "date", "created_at", "ts"];
    private static readonly string[] AsOfNames = ["as_of", "updated_at", "date", "snapshot_date", "enriched_at"];
    private static readonly string[] OutcomeNames = ["outcome", "status", "stage", "result", "deal_stage", "deal_status", "lead_status", "won", "converted", "is_won"];
    private static readonly string[] OutcomeWords = ["outcome", "status", "stage", "result", "won", "convert"];
    private static readonly string[] TypeNames = ["type", "event_type", "activity_type", "event", "activity", "action", "event_name"];
    private static readonly string[] DomainNames = ["domain", "company_domain", "website", "web_site", "email_domain", "url"];

    /// <summary>
    /// Fills in the roles a kind needs: a role the mapping names is kept; one whose canonical column exists is kept; the
    /// rest are guessed. Returns the completed mapping (guessed columns named in it, so the import reads them) and one
    /// guess per role.
    /// </summary>
    /// <param name="kind">What the file holds.</param>
    /// <param name="columns">The source columns, as in the file.</param>
    /// <param name="sample">The first good rows (by source column name).</param>
    /// <param name="mapping">The user's mapping, or the default.</param>
    /// <param name="rules">The value rules the import reads with (missing placeholders, date formats).</param>
    public static (ImportMapping Mapping, IReadOnlyList<RoleGuess> Roles) Complete(ImportKind kind, IReadOnlyList<string> columns,
        IReadOnlyList<SourceRow> sample, ImportMapping mapping, ValueRules rules)
    {
        var ignore = new HashSet<string>(mapping.Ignore, StringComparer.Ordinal);
        // Renamed name -> values in the sample (ignored columns play no role).
        var values = new Dictionary<string, List<string?>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var col in columns)
        {
            var name = mapping.Canonical(col);
            if (ignore.Contains(col) || ignore.Contains(name) || values.ContainsKey(name)) continue;
            values[name] = sample.Select(r => r.Values.GetValueOrDefault(col)).ToList();
            order.Add(name);
        }
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var roles = new List<RoleGuess>();
        var m = mapping;

        RoleGuess Resolve(string role, string setting, string? named, string canonical, Func<string, List<string?>, (int Score, string Why)?> judge, bool required = true)
        {
            RoleGuess g;
            if (named is not null) g = new RoleGuess { Role = role, Setting = setting, Column = named, Source = "mapping", Required = required };
            else if (values.ContainsKey(canonical)) g = new RoleGuess { Role = role, Setting = setting, Column = canonical, Source = "canonical", Required = required };
            else
            {
                (string Col, int Score, string Why)? best = null;
                foreach (var name in order)
                {
                    if (taken.Contains(name)) continue;
                    if (judge(name, values[name]) is { } j && (best is null || j.Score > best.Value.Score)) best = (name, j.Score, j.Why);
                }
                g = best is { } b
                    ? new RoleGuess { Role = role, Setting = setting, Column = b.Col, Source = "guessed", Why = b.Why, Required = required }
                    : new RoleGuess { Role = role, Setting = setting, Source = "guessed", Required = required,
                        Why = $"no column '{canonical}' and none that looks like one; name it with \"{setting}\" in the mapping" };
            }
            if (g.Column is not null) taken.Add(g.Column);
            roles.Add(g);
            return g;
        }

        switch (kind)
        {
            case ImportKind.Leads:
            {
                if (m.IdTemplate is null)
                {
                    var id = Resolve("lead id", "lead_id", m.LeadIdSetting(kind), "lead_id", (n, v) => LeadId(n, v, unique: true));
                    if (id.Guessed && id.Column is { } c) m = m with { LeadId = c, Id = null };
                }
                if (m.DefaultTimestamp is null)
                {
                    var t = Resolve("created time", "timestamp", Named(m.Timestamp, m), "created_at", (n, v) => Time(n, v, rules, CreatedNames, CreatedWords, ["won", "lost", "close", "updated", "modified", "last", "birth"]));
                    if (t.Guessed && t.Column is { } c) m = m with { Timestamp = c };
                }
                break;
            }
            case ImportKind.Activities:
            {
                var id = Resolve("lead id", "lead_id", m.LeadIdSetting(kind), "lead_id", (n, v) => n is "event_id" ? null : LeadId(n, v, unique: false));
                if (id.Guessed && id.Column is { } c) m = m with { LeadId = c };
                var type = Resolve("activity type", "type", Named(m.Type, m), "type", (n, v) => Named(n, TypeNames, ["type"], 0) is { } s && Present(v) ? (s, "named like an activity type") : null);
                if (type.Guessed && type.Column is { } tc) m = m with { Type = tc };
                if (m.DefaultTimestamp is null)
                {
                    var t = Resolve("activity time", "timestamp", Named(m.Timestamp, m), "timestamp", (n, v) => Time(n, v, rules, ActivityTimeNames, ["time", "date", "_at"], []));
                    if (t.Guessed && t.Column is { } c2) m = m with { Timestamp = c2 };
                }
                break;
            }
            case ImportKind.Enrichment:
            {
                var d = Resolve("company domain", "domain", Named(m.Domain, m), "domain", (n, v) => Named(n, DomainNames, ["domain", "website"], 0) is { } s && Present(v) ? (s, "named like a company domain") : null);
                if (d.Guessed && d.Column is { } c) m = m with { Domain = c };
                if (m.DefaultTimestamp is null)
                {
                    var t = Resolve("as-of date", "timestamp", Named(m.Timestamp, m), "as_of", (n, v) => Time(n, v, rules, AsOfNames, ["as_of", "updated", "date", "_at"], []));
                    if (t.Guessed && t.Column is { } c2) m = m with { Timestamp = c2 };
                }
                break;
            }
            case ImportKind.Outcomes:
            {
                var id = Resolve("lead id", "lead_id", m.LeadIdSetting(kind), "lead_id", (n, v) => LeadId(n, v, unique: false));
                if (id.Guessed && id.Column is { } c) m = m with { LeadId = c, Id = null };
                RoleGuess? t = null;
                if (m.DefaultTimestamp is null)
                {
                    t = Resolve("outcome date", "timestamp", Named(m.Timestamp, m), "date", (n, v) => Time(n, v, rules, OutcomeDateNames, OutcomeDateWords, ["creat", "first_contact", "signup"]));
                    if (t.Guessed && t.Column is { } c2) m = m with { Timestamp = c2 };
                }
                if (m.ConstantOutcome() is { } constant)
                {
                    roles.Add(new RoleGuess { Role = "outcome", Setting = "outcome_value", Constant = Word(constant), Source = "mapping" });
                    break;
                }
                var o = Resolve("outcome", "outcome", Named(m.Outcome, m), "outcome", (n, v) => Outcome(n, v));
                if (o.Guessed && o.Column is { } oc) { m = m with { Outcome = oc }; break; }
                if (o.Found) break;
                // A closed-deals export: no outcome column, but the date column says what every row is (won_date).
                if (t?.Column is { } dateCol && OutcomeFromName(dateCol) is { } fromName)
                {
                    roles.RemoveAt(roles.Count - 1);
                    roles.Add(new RoleGuess
                    {
                        Role = "outcome", Setting = "outcome_value", Constant = Word(fromName), Source = "guessed",
                        Why = $"no outcome column; every row is {Word(fromName)}, from the date column's name '{dateCol}' (say --outcome {(fromName == OutcomeKind.Converted ? "lost" : "converted")} if not)",
                    });
                    m = m with { OutcomeValue = Word(fromName) };
                }
                else
                {
                    roles[^1] = roles[^1] with { Why = "no outcome column and none that looks like one; name it with \"outcome\" in the mapping, or say what every row is with --outcome converted (mapping: \"outcome_value\")" };
                }
                break;
            }
        }
        return (m, roles);
    }

    private static string Word(OutcomeKind k) => k == OutcomeKind.Converted ? "converted" : "lost";

    private static string? Named(string? setting, ImportMapping m) => setting is null ? null : m.Canonical(setting);

    /// <summary>A column name in lower snake case, so "Lead ID", "lead-id" and "LeadId" compare alike.</summary>
    public static string Normalise(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var ch = name[i];
            if (char.IsLetterOrDigit(ch))
            {
                // camelCase boundary: "firstContactDate" -> first_contact_date.
                if (char.IsUpper(ch) && i > 0 && char.IsLower(name[i - 1]) && sb.Length > 0 && sb[^1] != '_') sb.Append('_');
                sb.Append(char.ToLowerInvariant(ch));
            }
            else if (sb.Length > 0 && sb[^1] != '_') sb.Append('_');
        }
        return sb.ToString().Trim('_');
    }

    /// <summary>
    /// How well a name fits: 30 for the first exact name (less one per later place in the list), 10 for a name holding one of
    /// the words, null otherwise (plus <paramref name="bonus"/>). Any fit outranks a column chosen by its values alone (1).
    /// </summary>
    private static int? Named(string name, string[] exact, string[] words, int bonus)
    {
        var n = Normalise(name);
        if (exact.Contains(n)) return 30 + bonus - Array.IndexOf(exact, n);
        if (words.Any(w => n.Contains(w, StringComparison.Ordinal))) return 10 + bonus;
        return null;
    }

    private static bool Present(List<string?> v) => v.Count == 0 || v.Count(x => !string.IsNullOrWhiteSpace(x)) >= 0.98 * v.Count;

    private static (int, string)? LeadId(string name, List<string?> v, bool unique)
    {
        var n = Normalise(name);
        var idName = n == "id" || n.EndsWith("_id", StringComparison.Ordinal) || n is "uuid" or "guid" or "leadid" or "mqlid" or "contactid" or "prospectid" or "customerid"
            || n.EndsWith("_number", StringComparison.Ordinal) || n.EndsWith("_key", StringComparison.Ordinal);
        var email = n is "email" or "e_mail" or "email_address";
        if (!idName && !email) return null;
        if (!Present(v)) return null;
        var present = v.Where(x => !string.IsNullOrWhiteSpace(x)).Select(x => x!.Trim()).ToList();
        var distinct = present.Distinct(StringComparer.Ordinal).Count();
        // A leads file has one row per lead: its id column holds no repeats. Files of events or outcomes may repeat a lead.
        if (unique && distinct != present.Count) return null;
        if (email) return (1, unique ? "no id column; the email addresses are unique, so they identify the leads" : "no id column; the email addresses identify the leads");
        var word = LeadIdWords.FirstOrDefault(w => n.Contains(w, StringComparison.Ordinal));
        var score = word is not null ? 30 : n == "id" ? 20 : 10;
        var why = word is not null ? $"named like a lead id ('{word}')" : n == "id" ? "named 'id'" : "the first column named like an id";
        return (score, unique ? $"{why}, every value present and unique" : $"{why}, every value present");
    }

    private static (int, string)? Time(string name, List<string?> v, ValueRules rules, string[] exact, string[] words, string[] against)
    {
        var present = v.Where(x => !rules.IsMissing(x)).Select(x => x!.Trim()).ToList();
        if (present.Count == 0) return null;
        var dates = present.Count(x => x.Length >= 6 && !ValueRules.TryNumber(x, out _) && rules.TryDate(x, out _));
        if (dates < DateShare * present.Count) return null;
        var n = Normalise(name);
        // A date column is taken only when its name fits the role too: "seen_at" holds dates but is not a creation time.
        if (Named(name, exact, words, 0) is not { } score) return null;
        if (against.Any(w => n.Contains(w, StringComparison.Ordinal))) score -= 20;
        if (score < 10) return null;
        return (score, "named like it, and its values are dates");
    }

    private static (int, string)? Outcome(string name, List<string?> v)
    {
        if (Named(name, OutcomeNames, OutcomeWords, 0) is not { } s) return null;
        var present = v.Where(x => !string.IsNullOrWhiteSpace(x)).ToList();
        if (present.Count == 0) return null;
        // Open stages ("Negotiation") are not outcomes and would be rejected row by row; most values must read as one.
        var ok = present.Count(x => RowConverter.ParseOutcome(x!) is not null);
        return ok * 2 >= present.Count ? (s, "named like an outcome, and most values read as converted/lost/reopened") : null;
    }

    /// <summary>"won_date" -> converted, "lost_at" -> lost: what a date column's name says every row is, or null.</summary>
    public static OutcomeKind? OutcomeFromName(string column)
    {
        var n = Normalise(column);
        if (n.Contains("lost", StringComparison.Ordinal) || n.Contains("churn", StringComparison.Ordinal)) return OutcomeKind.Lost;
        if (n.Contains("won", StringComparison.Ordinal) || n.Contains("convert", StringComparison.Ordinal) || n.Contains("closed_won", StringComparison.Ordinal) || n.Contains("signed", StringComparison.Ordinal))
            return OutcomeKind.Converted;
        return null;
    }
}
