using LeadScore.Core;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Tests.Ingestion;

/// <summary>Files in the canonical formats `./leadscore generate` writes import with no mapping and no rejects.</summary>
public sealed class GeneratorFormatTests
{
    [Fact]
    public void Generator_leads_import_without_a_mapping()
    {
        var csv = "lead_id,email,first_name,last_name,phone,company,domain,industry,company_size,country,job_title,source,stage,owner,created_at,custom_budget_confirmed,custom_product_interest,custom_seats_requested\n" +
                  "L000001,ann.lee@acme.com,Ann,Lee,+1 415 555 0101,Acme,acme.com,software,51-200,US,VP Sales,webinar,mql,jdoe,2025-03-01T09:30:00Z,true,analytics,25\n" +
                  "L000002,bob@gmail.com,Bob,\"O'Neil, Jr\",+44 20 7946 0958,Globex,globex.io,retail,1-10,GB,Founder,organic,lead,asmith,2025-03-02T10:00:00Z,false,crm,\n";
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("leads.csv", csv));
        t.Rejected.ShouldBeEmpty();
        t.Leads.Count.ShouldBe(2);
        t.Leads[1].Get(LeadFields.LastName).ShouldBe("O'Neil, Jr");
        t.Leads[1].Get("custom_seats_requested").ShouldBeNull();
        var personal = t.Plan.Schema.Where(s => s.IsPersonal).Select(s => s.Name).Order().ToList();
        personal.ShouldBe(["email", "first_name", "last_name", "phone"]);
        t.Plan.Schema.Single(s => s.Name == "custom_budget_confirmed").Kind.ShouldBe(ColumnKind.Boolean);
    }

    [Theory]
    [InlineData("activities_web.csv", "E1,L000001,page_view,2025-03-01T09:31:00Z,/pricing,42,s1\nE2,L000001,download,2025-03-01T09:35:00Z,/docs/guide.pdf,,s1\n")]
    [InlineData("activities_email.csv", "E3,L000001,email_open,2025-03-02T08:00:00Z,,,\nE4,L000002,email_bounce,2025-03-02T08:00:00Z,,,\n")]
    [InlineData("activities_social.csv", "E5,L000001,social_comment,2025-03-03T08:00:00Z,,-0.4,\nE6,L000002,social_like,2025-03-03T08:00:00Z,,1,\n")]
    [InlineData("activities_sales.csv", "E7,L000001,meeting,2025-03-04T15:00:00Z,,30,\nE8,L000002,call,2025-03-04T15:00:00Z,,5,\n")]
    public void Generator_activities_import_without_a_mapping(string name, string rows)
    {
        var t = IngestTestKit.Run(ImportKind.Activities, IngestTestKit.Write(name, "event_id,lead_id,type,timestamp,url,value,session_id\n" + rows));
        t.Rejected.ShouldBeEmpty();
        t.Activities.Count.ShouldBe(2);
        t.Activities.ShouldAllBe(a => ActivityTypes.Known.Contains(a.Type));
    }

    [Fact]
    public void Generator_enrichment_and_outcomes_import_without_a_mapping()
    {
        var e = IngestTestKit.Run(ImportKind.Enrichment, IngestTestKit.Write("enrichment.csv",
            "domain,as_of,employees,revenue_band,industry,technologies,intent_score\nacme.com,2025-01-01,120,10M-50M,software,salesforce;hubspot,0.62\nacme.com,2025-06-01,140,10M-50M,software,salesforce;hubspot;segment,0.71\n"));
        e.Rejected.ShouldBeEmpty();
        e.Enrichment.Count.ShouldBe(2);
        var o = IngestTestKit.Run(ImportKind.Outcomes, IngestTestKit.Write("outcomes.csv",
            "lead_id,outcome,date\nL000001,converted,2025-04-01\nL000002,lost,2025-04-02\nL000002,reopened,2025-05-01\n"));
        o.Rejected.ShouldBeEmpty();
        o.Outcomes.Count.ShouldBe(3);
    }
}
