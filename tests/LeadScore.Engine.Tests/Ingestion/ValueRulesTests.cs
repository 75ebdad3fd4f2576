using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Tests.Ingestion;

/// <summary>Issue 10: one set of value rules, so a raw value reads the same at import and at serve time.</summary>
public sealed class ValueRulesTests
{
    private static readonly DateTimeOffset AsOf = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static FeatureDefinitions Definitions() => new()
    {
        LeadAge = false,
        Attributes =
        [
            new AttributeFeature { Column = "industry", Kind = AttributeKind.Categorical },
            new AttributeFeature { Column = "region", Kind = AttributeKind.Categorical },
            new AttributeFeature { Column = "budget", Kind = AttributeKind.Boolean },
            new AttributeFeature { Column = "signed_on", Kind = AttributeKind.Date, DateParts = ["days_before", "month"] },
        ],
        EmailColumn = LeadFields.Email,
        Activities = new ActivityFeatureSettings { Types = [ActivityTypes.PageView, ActivityTypes.FormSubmit], WindowsDays = [7, 30] },
    };

    /// <summary>The leads file and activities file of one lead, and the same lead as an API caller would post it.</summary>
    private static (Lead Raw, List<Activity> RawActivities, string LeadsCsv, string ActivitiesCsv) OneLead()
    {
        var attrs = new Dictionary<string, string?>
        {
            ["industry"] = "Select", ["region"] = " unknown ", ["budget"] = "Ja", ["signed_on"] = "05.01.2026", [LeadFields.Email] = "ann@Laposte.net",
        };
        var raw = new Lead { Id = "L1", CreatedAt = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero), Attributes = attrs };
        var types = new[] { "Page View", " PAGE_VIEW ", "page-view", "Form  Submit" };
        var acts = types.Select((t, i) => new Activity
        {
            EventId = $"E{i}", LeadId = "L1", Type = t, Timestamp = AsOf.AddDays(-1 - i), Url = "/a",
        }).ToList();
        var leadsCsv = "lead_id,created_at,industry,region,budget,signed_on,email\nL1,2026-01-02,Select, unknown ,Ja,05.01.2026,ann@Laposte.net\n";
        var activitiesCsv = "event_id,lead_id,type,timestamp,url\n" +
            string.Concat(acts.Select(a => $"{a.EventId},L1,{a.Type},{RowConverter.Iso(a.Timestamp)},/a\n"));
        return (raw, acts, leadsCsv, activitiesCsv);
    }

    private static readonly ImportMapping Mapping = new()
    {
        TrueValues = ["Ja"], FalseValues = ["Nein"], DateFormats = ["dd.MM.yyyy"],
        Columns = new Dictionary<string, ColumnMapping>
        {
            ["budget"] = new() { Kind = ColumnKind.Boolean }, ["signed_on"] = new() { Kind = ColumnKind.DateTime },
            ["industry"] = new() { Kind = ColumnKind.Categorical }, ["region"] = new() { Kind = ColumnKind.Categorical },
        },
    };

    [Fact]
    public void A_raw_lead_scored_at_serve_time_gets_the_feature_vector_of_the_same_lead_imported()
    {
        // Given: the same lead and activities once through file import, once raw as an API caller sends them.
        var (raw, rawActs, leadsCsv, actsCsv) = OneLead();
        var imported = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("leads.csv", leadsCsv), Mapping);
        var importedActs = IngestTestKit.Run(ImportKind.Activities, IngestTestKit.Write("acts.csv", actsCsv), Mapping);
        imported.Rejected.ShouldBeEmpty();
        importedActs.Rejected.ShouldBeEmpty();
        var computer = new FeatureComputer(Definitions(), ValueRules.FromMapping(Mapping));

        // When
        var fromImport = computer.Compute(imported.Leads.Single(), importedActs.Activities.OrderBy(a => a.Timestamp).ToList(), [], AsOf);
        var fromServe = computer.Compute(raw, rawActs.OrderBy(a => a.Timestamp).ToList(), [], AsOf);

        // Then: identical vectors, and the placeholders, the custom true word and the mapping's date format all took effect.
        fromServe.ShouldBe(fromImport);
        fromServe[computer.IndexOf("industry")].ShouldBe(FeatureValue.Missing);
        fromServe[computer.IndexOf("region")].ShouldBe(FeatureValue.Missing);
        fromServe[computer.IndexOf("budget")].Number.ShouldBe(1);
        fromServe[computer.IndexOf("signed_on_month")].Number.ShouldBe(1);
        fromServe[computer.IndexOf("count_page_view_30d")].Number.ShouldBe(3);
        fromServe[computer.IndexOf("count_form_submit_30d")].Number.ShouldBe(1);
        fromServe[computer.IndexOf("email_free_mail")].Number.ShouldBe(1);
        importedActs.Activities.Select(a => a.Type).Distinct().Order().ShouldBe(["form_submit", "page_view"]);
    }

    [Fact]
    public void Serve_time_treats_select_and_unknown_as_missing_like_import_does()
    {
        var computer = new FeatureComputer(new FeatureDefinitions { LeadAge = false, Attributes = [new AttributeFeature { Column = "source", Kind = AttributeKind.Categorical }] });
        foreach (var token in new[] { "Select", "unknown", "UNKNOWN", "none", "-", "n/a", " " })
        {
            var imported = new RowConverter(ImportKind.Leads, ImportMapping.Default, [], AsOf)
                .Convert(new SourceRow(2, new Dictionary<string, string?> { ["lead_id"] = "L1", ["created_at"] = "2026-01-01", ["source"] = token }, "raw"));
            ((Lead)imported.Item!).Get("source").ShouldBeNull(token);
            var lead = new Lead { Id = "L1", CreatedAt = AsOf, Attributes = new Dictionary<string, string?> { ["source"] = token } };
            computer.Compute(lead, [], [], AsOf)[0].ShouldBe(FeatureValue.Missing, token);
        }
    }

    [Fact]
    public void A_flat_model_reads_custom_true_false_words_at_serve_time_as_its_table_did()
    {
        // Given: a flat table whose mapping spells booleans Ja/Nein.
        var csv = "id,budget,seats,y\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"{i},{(i % 2 == 0 ? "Ja" : "Nein")},{i % 7},{i % 2}\n"));
        var options = new FlatTableOptions { Target = "y", IdColumn = "id", Mapping = new ImportMapping { TrueValues = ["Ja"], FalseValues = ["Nein"] } };
        var table = FlatTableLoader.Load(IngestTestKit.Write("flat.csv", csv), options);
        table.Schema.Single(s => s.Name == "budget").Kind.ShouldBe(ColumnKind.Boolean);

        // When: serving uses the rules the table was read with (as the artifact should keep them), through JSON.
        var rules = ValueRules.FromJson(options.Rules().ToJson());
        var serve = new FlatAttributeFeatures(table.Frame.Features, table.Schema, rules);
        var lead = new Lead { Id = "2", CreatedAt = AsOf, Attributes = new Dictionary<string, string?> { ["budget"] = "Ja", ["seats"] = "2" } };

        // Then
        serve.Compute(lead, [], [], AsOf).ShouldBe(table.Frame.Rows[1]);
        serve.Compute(lead, [], [], AsOf)[0].Number.ShouldBe(1);
    }

    [Fact]
    public void Value_rules_round_trip_through_snake_case_json()
    {
        var rules = ValueRules.FromMapping(new ImportMapping { Missing = ["", "?"], TrueValues = ["Ja"], FalseValues = ["Nein"], DateFormats = ["dd.MM.yyyy"] });
        var json = rules.ToJson();
        using (var doc = JsonDocument.Parse(json))
            doc.RootElement.EnumerateObject().Select(p => p.Name).Order().ShouldBe(["date_formats", "false_values", "missing_values", "true_values"]);
        var back = ValueRules.FromJson(json);
        back.ShouldBe(rules);
        back.IsMissing("?").ShouldBeTrue();
        back.IsMissing("unknown").ShouldBeFalse();
        back.TryBool(" ja ", out var b).ShouldBeTrue();
        b.ShouldBeTrue();
        back.TryDate("05.01.2026", out var d).ShouldBeTrue();
        d.ShouldBe(new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero));
        ValueRules.FromJson("{}").ShouldBe(ValueRules.Default);
        ValueRules.FromMapping(null).ShouldBe(ValueRules.Default);
        ValueRules.FromMapping(ImportMapping.Default).ShouldBe(ValueRules.Default);
    }

    [Theory]
    [InlineData("Page View", "page_view")]
    [InlineData("page-view", "page_view")]
    [InlineData(" PAGE_VIEW ", "page_view")]
    [InlineData("page  view", "page_view")]
    [InlineData("page_view", "page_view")]
    [InlineData("social_Like", "social_like")]
    public void Activity_types_have_one_spelling(string raw, string expected)
    {
        ValueRules.NormalizeActivityType(raw).ShouldBe(expected);
        RowConverter.NormaliseType(raw).ShouldBe(expected);
    }

    [Fact]
    public void An_activity_type_already_normal_is_returned_as_is()
    {
        var t = "email_open";
        ReferenceEquals(ValueRules.NormalizeActivityType(t), t).ShouldBeTrue();
    }

    [Fact]
    public void Ambiguous_day_month_dates_are_refused_with_a_reason_everywhere()
    {
        ValueRules.Default.TryDate("05/01/2026", out _, out var why).ShouldBeFalse();
        why.ShouldNotBeNull().ShouldContain("day/month order unknown");
        SchemaInference.TryParseDate("05/01/2026", out _).ShouldBeFalse();
        ValueRules.Default.TryDate("31/02/2026", out _, out var none).ShouldBeFalse();
        none.ShouldBeNull();
        var computer = new FeatureComputer(new FeatureDefinitions { LeadAge = false, Attributes = [new AttributeFeature { Column = "d", Kind = AttributeKind.Date }] });
        var lead = new Lead { Id = "L1", CreatedAt = AsOf, Attributes = new Dictionary<string, string?> { ["d"] = "05/01/2026" } };
        computer.Compute(lead, [], [], AsOf)[0].ShouldBe(FeatureValue.Missing);
        var row = new RowConverter(ImportKind.Leads, ImportMapping.Default, [], AsOf)
            .Convert(new SourceRow(2, new Dictionary<string, string?> { ["lead_id"] = "L1", ["created_at"] = "05/01/2026" }, "raw"));
        row.Errors.Single().Reason.ShouldBe("unparseable date '05/01/2026' (day/month order unknown: name the format in the mapping's date_formats, e.g. dd/MM/yyyy)");
    }

    [Theory]
    [InlineData("ann@Acme.COM", "acme.com")]
    [InlineData("  ann@acme.com.  ", "acme.com")]
    [InlineData("\"a@b\"@c.example.org", "c.example.org")]
    [InlineData("a@b@c.com", "c.com")]
    [InlineData("no-at-sign", null)]
    [InlineData("@acme.com", null)]
    [InlineData("bob@", null)]
    [InlineData("bob@localhost", null)]
    [InlineData(null, null)]
    public void Email_domains_are_extracted_one_way(string? email, string? domain) => EmailDomains.DomainOf(email).ShouldBe(domain);

    [Theory]
    [InlineData("x@laposte.net")]
    [InlineData("x@comcast.net")]
    [InlineData("x@ymail.com")]
    [InlineData("x@yahoo.co.in")]
    public void Ingestion_and_features_agree_on_free_mail(string email)
    {
        // laposte.net and yahoo.co.in were only on the ingestion list, comcast.net and ymail.com only on the feature list.
        var kind = new RowConverter(ImportKind.Leads, ImportMapping.Default, [], AsOf)
            .Convert(new SourceRow(2, new Dictionary<string, string?> { ["lead_id"] = "L1", ["created_at"] = "2026-01-01", [LeadFields.Email] = email }, "raw"));
        ((Lead)kind.Item!).Get(RowConverter.EmailDomainKindField).ShouldBe("free_mail");
        var computer = new FeatureComputer(new FeatureDefinitions { LeadAge = false, EmailColumn = LeadFields.Email });
        var lead = new Lead { Id = "L1", CreatedAt = AsOf, Attributes = new Dictionary<string, string?> { [LeadFields.Email] = email } };
        computer.Compute(lead, [], [], AsOf)[computer.IndexOf("email_free_mail")].Number.ShouldBe(1);
        computer.EnrichmentDomain(lead).ShouldBeNull();
    }

    [Fact]
    public void Every_default_list_is_the_one_in_value_rules()
    {
        ImportMapping.DefaultMissing.ShouldBe(ValueRules.DefaultMissingValues);
        new FlatTableOptions().MissingValues.ShouldBe(ValueRules.DefaultMissingValues);
        new ValueRules(ImportMapping.Default).MissingValues.ShouldBe(ValueRules.DefaultMissingValues);
        foreach (var t in new[] { "", "NA", "n/a", "NULL", "nan", "None", "-", "Unknown", "select" }) ValueRules.Default.IsMissing(t).ShouldBeTrue(t);
    }

    [Fact]
    public void Default_feature_inference_leaves_out_every_missing_placeholder()
    {
        var leads = Enumerable.Range(0, 100).Select(i => new Lead
        {
            Id = $"L{i}", CreatedAt = AsOf,
            Attributes = new Dictionary<string, string?> { ["source"] = (i % 4) switch { 0 => "web", 1 => "ads", 2 => "none", _ => "-" } },
        }).ToList();
        var defs = FeatureDefinitions.InferDefaults(leads, [], [], minCategoryCount: 1);
        defs.Attributes.Single(a => a.Column == "source").Values!.Order().ShouldBe(["ads", "web"]);
    }
}
