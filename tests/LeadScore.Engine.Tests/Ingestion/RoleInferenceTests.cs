using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Tests.Ingestion;

/// <summary>Imports of a CRM export without a mapping: role columns guessed by name and content, settings named in errors.</summary>
public sealed class RoleInferenceTests
{
    private const string Mqls = "mql_id,first_contact_date,landing_page_id,origin\n" +
        "a1,2026-01-02,lp1,social\n" + "b2,2026-01-03,lp1,paid_search\n" + "c3,2026-01-04,lp2,email\n";

    [Fact]
    public void A_leads_export_with_mql_ids_and_first_contact_dates_imports_without_a_mapping()
    {
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("mqls.csv", Mqls));

        t.Rejected.ShouldBeEmpty();
        t.Leads.Select(l => l.Id).ShouldBe(["a1", "b2", "c3"]);
        t.Leads[0].CreatedAt.ShouldBe(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
        t.Leads[0].Attributes.ShouldNotContainKey("mql_id");
        var roles = t.Plan.Roles.ToDictionary(r => r.Setting);
        roles["lead_id"].Column.ShouldBe("mql_id");
        roles["lead_id"].Guessed.ShouldBeTrue();
        roles["timestamp"].Column.ShouldBe("first_contact_date");
    }

    [Fact]
    public void A_lead_id_guess_needs_unique_values_so_a_repeated_page_id_is_not_taken()
    {
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("l.csv", "landing_page_id,id,created\nlp1,L1,2026-01-01\nlp1,L2,2026-01-02\n"));
        t.Plan.Roles.Single(r => r.Setting == "lead_id").Column.ShouldBe("id");
        t.Plan.Roles.Single(r => r.Setting == "timestamp").Column.ShouldBe("created");
        t.Leads.Select(l => l.Id).ShouldBe(["L1", "L2"]);
    }

    [Fact]
    public void Unique_email_addresses_are_the_lead_id_when_there_is_no_id_column()
    {
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("l.csv", "email,created_at\na@acme.com,2026-01-01\nb@acme.com,2026-01-02\n"));
        t.Plan.Roles.Single(r => r.Setting == "lead_id").Column.ShouldBe("email");
        t.Leads.Select(l => l.Id).ShouldBe(["a@acme.com", "b@acme.com"]);
    }

    [Fact]
    public void A_wins_only_export_becomes_converted_outcomes_dated_by_its_won_date()
    {
        var t = IngestTestKit.Run(ImportKind.Outcomes, IngestTestKit.Write("won.csv",
            "mql_id,seller_id,sdr_id,won_date,business_segment\na1,s1,d1,2026-02-10 11:00:00,pets\nc3,s2,d1,2026-03-01 09:30:00,toys\n"));

        t.Rejected.ShouldBeEmpty();
        t.Outcomes.Select(o => (o.LeadId, o.Kind)).ShouldBe([("a1", OutcomeKind.Converted), ("c3", OutcomeKind.Converted)]);
        t.Outcomes[0].At.ShouldBe(new DateTimeOffset(2026, 2, 10, 11, 0, 0, TimeSpan.Zero));
        var outcome = t.Plan.Roles.Single(r => r.Role == "outcome");
        outcome.Constant.ShouldBe("converted");
        outcome.Why!.ShouldContain("won_date");
    }

    [Fact]
    public void Outcome_value_makes_every_row_that_outcome_and_the_date_comes_from_any_named_column()
    {
        var mapping = ImportMapping.Parse("""{ "outcome_value": "lost", "timestamp": "closed" }""");
        var t = IngestTestKit.Run(ImportKind.Outcomes, IngestTestKit.Write("lost.csv", "lead_id,closed\nL1,2026-02-01\nL2,2026-02-02\n"), mapping);
        t.Outcomes.Select(o => o.Kind).ShouldBe([OutcomeKind.Lost, OutcomeKind.Lost]);
        t.Outcomes[1].At.ShouldBe(new DateTimeOffset(2026, 2, 2, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void A_stage_column_is_read_as_the_outcome()
    {
        var t = IngestTestKit.Run(ImportKind.Outcomes, IngestTestKit.Write("o.csv", "lead_id,stage,closed_at\nL1,Closed Won,2026-02-01\nL2,closed lost,2026-02-02\n"));
        t.Outcomes.Select(o => o.Kind).ShouldBe([OutcomeKind.Converted, OutcomeKind.Lost]);
    }

    [Fact]
    public void No_guessable_lead_id_fails_naming_the_setting_to_use()
    {
        var path = IngestTestKit.Write("l.csv", "name,signup\nAnn,2026-01-01\nAnn,2026-01-02\n");
        var ex = Should.Throw<LeadScoreException>(() => ImportPipeline.Plan(ImportKind.Leads, path, null, IngestTestKit.Now));
        ex.Message.ShouldContain("no lead id column 'lead_id'");
        ex.Message.ShouldContain("name it with \"lead_id\" in a mapping file");
        ex.Field.ShouldBe("lead_id");
    }

    [Fact]
    public void A_wins_file_without_a_date_or_outcome_word_fails_naming_outcome_and_outcome_value()
    {
        var path = IngestTestKit.Write("o.csv", "lead_id,date\nL1,2026-01-01\n");
        var ex = Should.Throw<LeadScoreException>(() => ImportPipeline.Plan(ImportKind.Outcomes, path, null, IngestTestKit.Now));
        ex.Message.ShouldContain("name it with \"outcome\"");
        ex.Message.ShouldContain("--outcome converted");
        ex.Message.ShouldContain("outcome_value");
    }

    [Fact]
    public void Infer_only_writes_a_complete_mapping_with_a_placeholder_and_a_note_when_the_id_cannot_be_guessed()
    {
        var path = IngestTestKit.Write("l.csv", "name,signup\nAnn,2026-01-01\nAnn,2026-01-02\n");
        var plan = ImportPipeline.Plan(ImportKind.Leads, path, null, IngestTestKit.Now, requireRoles: false);

        var json = CompleteMapping.ToJson(plan, out var missing);

        missing.ShouldHaveSingleItem().ShouldContain("lead id");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        root.GetProperty("_note").GetString()!.ShouldContain("lead_id");
        root.GetProperty("lead_id").GetString()!.ShouldStartWith("??");
        root.GetProperty("timestamp").GetString().ShouldBe("signup");
        foreach (var setting in new[] { "id_template", "target", "format", "delimiter", "default_timestamp", "date_formats", "missing", "true_values", "false_values", "ignore", "rename", "columns", "counts", "max_length", "future_tolerance_hours" })
            root.TryGetProperty(setting, out _).ShouldBeTrue(setting);
        root.GetProperty("missing").GetArrayLength().ShouldBeGreaterThan(3);
        // The file it wrote reads back (the _note is a comment), and fails naming the placeholder until it is edited.
        var back = ImportMapping.Parse(json);
        back.LeadId.ShouldStartWith("??");
    }

    [Fact]
    public void An_inferred_complete_mapping_imports_the_same_file_the_same_way()
    {
        var path = IngestTestKit.Write("mqls.csv", Mqls);
        var plan = ImportPipeline.Plan(ImportKind.Leads, path, null, IngestTestKit.Now, requireRoles: false);
        var mapping = ImportMapping.Parse(CompleteMapping.ToJson(plan, out _));
        var t = IngestTestKit.Run(ImportKind.Leads, path, mapping);
        t.Rejected.ShouldBeEmpty();
        t.Leads.Select(l => l.Id).ShouldBe(["a1", "b2", "c3"]);
        t.Plan.Roles.ShouldAllBe(r => r.Source == "mapping");
    }

    [Theory]
    [InlineData("""{ "id": "mql_id", "created_at": "first_contact_date" }""")]
    [InlineData("""{ "lead_id": "mql_id", "timestamp": "first_contact_date" }""")]
    [InlineData("""{ "lead_id": "mql_id", "date": "first_contact_date", "_comment": "synonyms and comments" }""")]
    public void Id_and_lead_id_and_the_time_synonyms_name_the_same_roles(string json)
    {
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("mqls.csv", Mqls), ImportMapping.Parse(json));
        t.Leads.Select(l => l.Id).ShouldBe(["a1", "b2", "c3"]);
        t.Plan.Roles.ShouldAllBe(r => r.Source == "mapping");
    }

    [Fact]
    public void An_unknown_setting_is_named_with_the_nearest_valid_one_and_the_list()
    {
        var ex = Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "lead_idd": "x" }"""));
        ex.Message.ShouldStartWith("mapping: unknown setting 'lead_idd' (did you mean 'lead_id'?); valid: ");
        ex.Message.ShouldContain("outcome_value");
        ex.Message.ShouldNotContain(".NET");
        ex.Message.ShouldNotContain("LeadScore.Engine");

        var nested = Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "target": { "colum": "y" } }"""));
        nested.Message.ShouldContain("unknown setting 'target.colum' (did you mean 'target.column'?)");

        var far = Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "zzzzzzzz": 1 }"""));
        far.Message.ShouldNotContain("did you mean");
    }

    [Fact]
    public void Two_synonyms_naming_different_columns_are_refused()
    {
        Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "created_at": "a", "timestamp": "b" }""")).Message.ShouldContain("same setting");
        Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "id": "a", "lead_id": "b" }""").LeadIdSetting(ImportKind.Leads)).Message.ShouldContain("lead_id");
    }

    [Fact]
    public void A_setting_of_the_wrong_kind_is_named_without_the_dotnet_type()
    {
        var path = IngestTestKit.Write("m.json", """{ "lead_id": 5 }""");
        var ex = Should.Throw<LeadScoreException>(() => ImportMapping.Load(path));
        ex.Message.ShouldContain("setting 'lead_id'");
        ex.Message.ShouldNotContain("System.");
    }
}
