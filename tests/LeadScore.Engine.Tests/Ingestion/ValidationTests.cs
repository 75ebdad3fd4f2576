using LeadScore.Core;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Tests.Ingestion;

public sealed class ValidationTests
{
    private const string LeadHeader = "lead_id,email,company,company_size,visit_count,created_at,custom_flag,custom_note\n";

    [Fact]
    public void Import_lands_good_rows_and_quarantines_exactly_the_bad_ones_with_their_reasons()
    {
        // Given: 3 good leads and one row of each bad kind.
        var longText = new string('x', 5000);
        var csv = LeadHeader +
            "L1,ann@acme.com,Acme,50,3,2026-01-02,true,ok\n" +                 // 2 good
            "L2,bob@gmail.com,Globex,10,0,2026-01-03T10:00:00Z,false,ok\n" +   // 3 good
            "L3,,Initech,abc,1,2026-01-04,true,ok\n" +                         // 4 wrong type
            ",x@y.com,Umbrella,5,1,2026-01-04,true,ok\n" +                     // 5 missing id
            "L1,z@acme.com,Acme,5,1,2026-01-04,true,ok\n" +                    // 6 duplicate id
            "L6,,Hooli,5,1,31/02/2026,true,ok\n" +                             // 7 unparseable date
            "L7,,Hooli,5,1,2031-01-01,true,ok\n" +                             // 8 future timestamp
            "L8,,Hooli,5,-2,2026-01-04,true,ok\n" +                            // 9 negative count
            $"L9,,Hooli,5,1,2026-01-04,true,{longText}\n" +                   // 10 too long
            "L10,,Hooli,5,1,2026-01-04,maybe,ok\n" +                           // 11 wrong type (boolean)
            "L11,,Hooli,5,1,2026-01-04,true\n" +                               // 12 field count
            "L12,,Vandelay,7,2,2026-01-05,false,\"quoted, note\"\n";          // 13 good
        var mapping = new ImportMapping
        {
            Columns = new Dictionary<string, ColumnMapping>
            {
                ["company_size"] = new() { Kind = ColumnKind.Numeric },
                ["visit_count"] = new() { Kind = ColumnKind.Numeric },
                ["custom_flag"] = new() { Kind = ColumnKind.Boolean },
            },
        };
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("leads.csv", csv), mapping);

        t.Read.ShouldBe(12);
        t.Leads.Select(l => l.Id).ShouldBe(["L1", "L2", "L12"]);
        (t.Accepted + t.Rejected.Count).ShouldBe(t.Read);
        var byLine = t.Rejected.ToDictionary(r => r.Line);
        byLine.Keys.Order().ShouldBe([4L, 5, 6, 7, 8, 9, 10, 11, 12]);
        byLine[4].ShouldSatisfyAllConditions(r => r.Column.ShouldBe("company_size"), r => r.Reason.ShouldBe("wrong type: 'abc' is not a number"));
        byLine[5].Reason.ShouldBe("missing id");
        byLine[6].Reason.ShouldBe("duplicate id within the file (first at line 2)");
        byLine[7].ShouldSatisfyAllConditions(r => r.Column.ShouldBe("created_at"), r => r.Reason.ShouldBe("unparseable date '31/02/2026'"));
        byLine[8].Reason.ShouldContain("in the future");
        byLine[9].ShouldSatisfyAllConditions(r => r.Column.ShouldBe("visit_count"), r => r.Reason.ShouldBe("negative count: -2"));
        byLine[10].ShouldSatisfyAllConditions(r => r.Column.ShouldBe("custom_note"), r => r.Reason.ShouldBe("value too long (5000 characters, limit 4000)"));
        byLine[11].Reason.ShouldBe("wrong type: 'maybe' is not true/false");
        byLine[12].Reason.ShouldBe("expected 8 fields, found 7");
        byLine[12].Raw.ShouldBe("L11,,Hooli,5,1,2026-01-04,true");
    }

    [Fact]
    public void Lead_values_are_stored_as_text_with_booleans_and_dates_normalised_and_email_domain_kind_derived()
    {
        var csv = LeadHeader + "L1,ann@acme.com,Acme,50,3,2026-01-02,yes,Select\nL2,bob@gmail.com,Globex,,0,2026-01-03T10:00:00+02:00,no,x\n";
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("leads.csv", csv));
        t.Rejected.ShouldBeEmpty();
        var l1 = t.Leads[0];
        l1.CreatedAt.ShouldBe(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
        l1.Get("custom_flag").ShouldBe("true");
        l1.Get("custom_note").ShouldBeNull(); // "Select" means missing
        l1.Get(LeadFields.Email).ShouldBe("ann@acme.com");
        l1.Get(RowConverter.EmailDomainKindField).ShouldBe("business");
        t.Leads[1].Get(RowConverter.EmailDomainKindField).ShouldBe("free_mail");
        t.Leads[1].CreatedAt.ShouldBe(new DateTimeOffset(2026, 1, 3, 8, 0, 0, TimeSpan.Zero));
        t.Leads[1].Get(LeadFields.CompanySize).ShouldBeNull();
        t.Plan.Schema.Single(s => s.Name == "email").IsPersonal.ShouldBeTrue();
    }

    [Fact]
    public void Activities_without_event_ids_get_a_content_hash_and_unknown_types_are_kept()
    {
        var csv = "lead_id,type,timestamp,url,value,campaign\n" +
                  "L1,Page View,2026-01-02T10:00:00Z,/pricing,30,spring\n" +
                  "L1,page_view,2026-01-02T10:00:00Z,/pricing,30,spring\n" +
                  "L1,webinar_attended,2026-01-03T10:00:00Z,,,\n" +
                  "L2,social_comment,2026-01-03T10:00:00Z,,-0.5,\n" +
                  "L2,call,2026-01-03T10:00:00Z,,-3,\n" +
                  ",call,2026-01-03T10:00:00Z,,3,\n" +
                  "L3,,2026-01-03T10:00:00Z,,3,\n" +
                  "L3,call,2026-01-03T10:00:00Z,,three,\n";
        var t = IngestTestKit.Run(ImportKind.Activities, IngestTestKit.Write("acts.csv", csv));
        t.Activities.Count.ShouldBe(4);
        t.Activities[0].EventId.ShouldBe(t.Activities[1].EventId); // same content, same key: the store keeps one
        t.Activities[0].EventId.ShouldStartWith("h:");
        t.Activities[0].Type.ShouldBe("page_view");
        t.Activities[0].Properties["campaign"].ShouldBe("spring");
        t.Activities[2].Type.ShouldBe("webinar_attended");
        t.Activities[3].Value.ShouldBe(-0.5);
        t.Rejected.Select(r => r.Reason).ShouldBe(["negative count: -3", "missing lead id", "missing type", "wrong type: 'three' is not a number"]);
    }

    [Fact]
    public void Enrichment_and_outcomes_are_read_from_their_canonical_columns()
    {
        var e = IngestTestKit.Run(ImportKind.Enrichment, IngestTestKit.Write("enr.csv",
            "domain,as_of,employees,revenue_band,industry,technologies,intent_score\nAcme.com,2026-01-01,120,10-50M,saas,salesforce;hubspot,0.7\nacme.com,2026-01-01,130,,,,\nglobex.com,2026-02-01,-5,,,,\n"));
        e.Enrichment.Single().Domain.ShouldBe("acme.com");
        e.Enrichment.Single().Attributes["technologies"].ShouldBe("salesforce;hubspot");
        e.Rejected.Select(r => r.Reason).ShouldBe(["duplicate id within the file (first at line 2)", "negative count: -5"]);

        var o = IngestTestKit.Run(ImportKind.Outcomes, IngestTestKit.Write("out.csv",
            "lead_id,outcome,date\nL1,converted,2026-03-01\nL2,lost,2026-03-02\nL2,reopened,2026-03-05\nL3,maybe,2026-03-01\n"));
        o.Outcomes.Select(x => x.Kind).ShouldBe([OutcomeKind.Converted, OutcomeKind.Lost, OutcomeKind.Reopened]);
        o.Rejected.Single().Reason.ShouldBe("wrong type: 'maybe' is not an outcome (converted, lost, reopened)");
    }

    [Fact]
    public void A_file_without_a_needed_column_fails_before_any_row_with_a_clear_message()
    {
        var path = IngestTestKit.Write("acts.csv", "lead,kind,when\nL1,call,2026-01-01\n");
        var ex = Should.Throw<LeadScoreException>(() => ImportPipeline.Plan(ImportKind.Activities, path, null, IngestTestKit.Now));
        ex.Message.ShouldContain("no lead id column 'lead_id'");
        ex.Message.ShouldContain("--mapping");
    }

    [Fact]
    public void Mapping_renames_columns_reads_custom_date_formats_and_spellings_and_ignores_columns()
    {
        var path = IngestTestKit.Write("crm.csv", "Contact ID;Signed Up;Org;Paid;Junk\nC1;05.01.2026;Acme;J;x\nC2;06.01.2026;Globex;N;y\nC3;2026/13/45;Initech;J;z\n");
        var mapping = ImportMapping.Parse("""
            { "delimiter": ";", "id": "Contact ID", "timestamp": "Signed Up", "date_formats": ["dd.MM.yyyy"],
              "true_values": ["J"], "false_values": ["N"], "rename": { "Org": "company" }, "ignore": ["Junk"],
              "columns": { "Paid": { "kind": "boolean" } } }
            """);
        var t = IngestTestKit.Run(ImportKind.Leads, path, mapping);
        t.Leads.Count.ShouldBe(2);
        t.Leads[0].CreatedAt.ShouldBe(new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero));
        t.Leads[0].Get(LeadFields.Company).ShouldBe("Acme");
        t.Leads[0].Get("Paid").ShouldBe("true");
        t.Leads[1].Get("Paid").ShouldBe("false");
        t.Leads[0].Attributes.ContainsKey("Junk").ShouldBeFalse();
        t.Rejected.Single().Reason.ShouldBe("unparseable date '2026/13/45'");
    }

    [Fact]
    public void A_mapping_with_an_unknown_setting_is_refused()
    {
        // Refused with the setting named and the nearest valid one, not the serializer's .NET message.
        Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "idd": "x" }""")).Message.ShouldContain("unknown setting 'idd' (did you mean 'id'?)");
    }
}
