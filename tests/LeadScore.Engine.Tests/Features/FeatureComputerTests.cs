using LeadScore.Core;
using LeadScore.Engine.Features;

namespace LeadScore.Engine.Tests.Features;

public sealed class FeatureComputerTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static FeatureDefinitions Definitions() => new()
    {
        Attributes =
        [
            new AttributeFeature { Column = "industry", Kind = AttributeKind.Categorical, Values = ["Software", "Retail"] },
            new AttributeFeature { Column = "seats", Kind = AttributeKind.Numeric },
            new AttributeFeature { Column = "budget", Kind = AttributeKind.Boolean },
        ],
        JobTitleColumn = LeadFields.JobTitle,
        EmailColumn = LeadFields.Email,
        Activities = new ActivityFeatureSettings
        {
            Types = [ActivityTypes.PageView, ActivityTypes.EmailSent, ActivityTypes.EmailOpen, ActivityTypes.EmailClick],
            SumTypes = [ActivityTypes.PageView],
            HalfLifeDays = 7,
            Weights = new() { [ActivityTypes.PageView] = 1, [ActivityTypes.EmailOpen] = 2 },
            HighIntentPages = [new PagePattern { Name = "pricing", Prefixes = ["/pricing"], Label = "the pricing page" }],
        },
        Enrichment = new EnrichmentFeatureSettings { Industries = ["Software"], Technologies = ["AWS", "Slack"] },
    };

    private static Lead Lead(string title = "VP of Marketing", string email = "ann@acme.com") => new()
    {
        Id = "L1",
        CreatedAt = T0.AddDays(-20),
        Attributes = new Dictionary<string, string?>
        {
            ["industry"] = "Mining", ["seats"] = "12", ["budget"] = "yes", [LeadFields.JobTitle] = title, [LeadFields.Email] = email,
            [LeadFields.Domain] = "acme.com", [LeadFields.Phone] = "+1 555 0100",
        },
    };

    private static Activity Act(string type, DateTimeOffset t, string? url = null, double? value = null, int n = 0) =>
        new() { EventId = $"e{t.Ticks}-{n}", LeadId = "L1", Type = type, Timestamp = t, Url = url, Value = value };

    private static int Index(FeatureComputer c, string name)
    {
        var i = c.IndexOf(name);
        i.ShouldBeGreaterThanOrEqualTo(0, name);
        return i;
    }

    private static double Num(FeatureComputer c, FeatureValue[] row, string name) => row[Index(c, name)].Number;
    private static string? Cat(FeatureComputer c, FeatureValue[] row, string name) => row[Index(c, name)].Category;

    [Fact]
    public void Counts_windows_recency_rates_and_intent_pages_are_computed_as_of_the_time()
    {
        var c = new FeatureComputer(Definitions());
        var acts = new List<Activity>
        {
            Act(ActivityTypes.EmailSent, T0.AddDays(-15)),
            Act(ActivityTypes.EmailOpen, T0.AddDays(-14)),
            Act(ActivityTypes.EmailSent, T0.AddDays(-8)),
            Act(ActivityTypes.PageView, T0.AddDays(-6), "/pricing", 30),
            Act(ActivityTypes.PageView, T0.AddDays(-2), "https://www.acme.io/pricing/enterprise?x=1", 20),
            Act(ActivityTypes.PageView, T0.AddDays(-1), "/pricingfoo", 10),
            Act(ActivityTypes.EmailClick, T0.AddDays(-1)),
            Act(ActivityTypes.PageView, T0, "/pricing", 99),            // at the as-of instant: excluded
            Act(ActivityTypes.PageView, T0.AddDays(3), "/pricing", 99), // after: excluded
        };
        var row = c.Compute(Lead(), acts, [], T0);
        Num(c, row, "count_page_view_7d").ShouldBe(3);
        Num(c, row, "count_page_view_30d").ShouldBe(3);
        Num(c, row, "sum_page_view_value_7d").ShouldBe(60);
        Num(c, row, "visits_pricing_7d").ShouldBe(2);
        Num(c, row, "days_since_pricing").ShouldBe(2);
        Num(c, row, "days_since_last_page_view").ShouldBe(1);
        Num(c, row, "count_email_sent_7d").ShouldBe(0);
        Num(c, row, "count_email_sent_30d").ShouldBe(2);
        Num(c, row, "email_open_rate").ShouldBe(0.5);
        Num(c, row, "email_click_rate").ShouldBe(0.5);
        Num(c, row, "activity_count").ShouldBe(7);
        Num(c, row, "days_since_created").ShouldBe(20);
        // engagement = 1*(0.5^(6/7) + 0.5^(2/7) + 0.5^(1/7)) + 2*0.5^(14/7)
        Num(c, row, "engagement_score").ShouldBe(Math.Pow(0.5, 6 / 7.0) + Math.Pow(0.5, 2 / 7.0) + Math.Pow(0.5, 1 / 7.0) + 2 * 0.25, 1e-9);
    }

    [Fact]
    public void Attributes_use_rare_bucket_booleans_titles_and_email_domain_and_never_personal_columns()
    {
        var c = new FeatureComputer(Definitions());
        var row = c.Compute(Lead(), [], [], T0);
        Cat(c, row, "industry").ShouldBe(FeatureDefinitions.OtherCategory);
        Num(c, row, "seats").ShouldBe(12);
        Num(c, row, "budget").ShouldBe(1);
        Cat(c, row, "title_seniority").ShouldBe(JobTitles.Vp);
        Cat(c, row, "title_department").ShouldBe("marketing");
        Num(c, row, "email_free_mail").ShouldBe(0);
        Num(c, row, "email_matches_company").ShouldBe(1);
        double.IsNaN(Num(c, row, "email_open_rate")).ShouldBeTrue();
        c.Features.ShouldNotContain(f => f.Name == LeadFields.Phone || f.Name == LeadFields.Email);

        var free = c.Compute(Lead(email: "ann@gmail.com"), [], [], T0);
        Num(c, free, "email_free_mail").ShouldBe(1);
        Num(c, free, "email_matches_company").ShouldBe(0);
    }

    [Fact]
    public void Enrichment_is_taken_as_of_the_time()
    {
        var c = new FeatureComputer(Definitions());
        Enrichment E(int daysBefore, string employees, string intent, string techs) => new()
        {
            Domain = "acme.com",
            AsOf = T0.AddDays(-daysBefore),
            Attributes = new Dictionary<string, string?> { ["employees"] = employees, ["intent_score"] = intent, ["technologies"] = techs, ["industry"] = "Software" },
        };
        var rows = new List<Enrichment> { E(60, "40", "20", "AWS"), E(10, "300", "55", "AWS;Slack;Oracle"), E(0, "310", "60", "AWS"), E(-5, "9999", "99", "Slack") };
        var row = c.Compute(Lead(), [], rows, T0);
        Num(c, row, "company_employees").ShouldBe(310);          // as_of == asOf is known
        Num(c, row, "intent_score").ShouldBe(60);
        Num(c, row, "intent_change").ShouldBe(5);
        Num(c, row, "tech_aws").ShouldBe(1);
        Num(c, row, "tech_slack").ShouldBe(0);
        var earlier = c.Compute(Lead(), [], rows, T0.AddDays(-1));
        Num(c, earlier, "company_employees").ShouldBe(300);
        Cat(c, earlier, "company_size_band").ShouldBe("201-500");
        Num(c, earlier, "technology_count").ShouldBe(3);
        Num(c, earlier, "tech_slack").ShouldBe(1);
        var before = c.Compute(Lead(), [], rows, T0.AddDays(-100));
        before[c.IndexOf("company_employees")].IsMissing.ShouldBeTrue();
    }

    [Theory]
    [InlineData("CEO", JobTitles.CLevel, "executive")]
    [InlineData("Co-Founder & CTO", JobTitles.CLevel, "engineering")]
    [InlineData("Chief Financial Officer", JobTitles.CLevel, "finance")]
    [InlineData("VP of Sales", JobTitles.Vp, "sales")]
    [InlineData("Vice President, Marketing", JobTitles.Vp, "marketing")]
    [InlineData("Head of IT", JobTitles.Vp, "it")]
    [InlineData("Sr. Director, Engineering", JobTitles.Director, "engineering")]
    [InlineData("dir. finance", JobTitles.Director, "finance")]
    [InlineData("Marketing Manager", JobTitles.Manager, "marketing")]
    [InlineData("Engineering Team Lead", JobTitles.Manager, "engineering")]
    [InlineData("Senior Software Engineer", JobTitles.Individual, "engineering")]
    [InlineData("Sr. Network Engineer", JobTitles.Individual, "it")]
    [InlineData("ACCOUNT EXECUTIVE", JobTitles.Individual, "sales")]
    [InlineData("Recruiter", JobTitles.Individual, "hr")]
    [InlineData("MBA Student", JobTitles.Student, "education")]
    [InlineData("Marketing Intern", JobTitles.Intern, "marketing")]
    [InlineData("  operations coordinator ", JobTitles.Individual, "operations")]
    public void Job_titles_are_normalised_to_seniority_and_department(string title, string seniority, string department)
    {
        JobTitles.Seniority(title).ShouldBe(seniority);
        JobTitles.Department(title).ShouldBe(department);
    }

    [Fact]
    public void Empty_titles_are_missing()
    {
        JobTitles.Seniority("  ").ShouldBeNull();
        JobTitles.Department(null).ShouldBeNull();
    }

    [Fact]
    public void Definitions_round_trip_through_json_and_bad_json_gives_one_clear_error()
    {
        var d = Definitions();
        var back = FeatureDefinitions.FromJson(d.ToJson());
        new FeatureComputer(back).Features.Select(f => f.Name).ShouldBe(new FeatureComputer(d).Features.Select(f => f.Name));
        back.ToJson().ShouldBe(d.ToJson());
        Should.Throw<LeadScoreException>(() => FeatureDefinitions.FromJson("{ \"attributes\": 3 }", "features.json")).Message.ShouldStartWith("features.json:");
    }

    [Fact]
    public void Defaults_inferred_from_generated_data_skip_personal_columns_and_cover_every_area()
    {
        var ds = FeatureTestData.SmallSet;
        var defs = FeatureTestData.Defaults(ds);
        var cols = defs.Attributes.Select(a => a.Column).ToList();
        cols.ShouldNotContain(LeadFields.Email);
        cols.ShouldNotContain(LeadFields.Phone);
        cols.ShouldNotContain(LeadFields.FirstName);
        cols.ShouldNotContain(LeadFields.LastName);
        cols.ShouldContain(LeadFields.Industry);
        defs.Attributes.Single(a => a.Column == "custom_budget_confirmed").Kind.ShouldBe(AttributeKind.Boolean);
        defs.Attributes.Single(a => a.Column == "custom_seats_requested").Kind.ShouldBe(AttributeKind.Numeric);
        defs.Activities!.Types.ShouldContain(ActivityTypes.PageView);
        defs.Enrichment!.Technologies.ShouldNotBeEmpty();
        var names = new FeatureComputer(defs).Features.Select(f => f.Name).ToList();
        names.ShouldContain("visits_pricing_7d");
        names.ShouldContain("engagement_score");
        names.ShouldContain("title_seniority");
        names.ShouldContain("email_free_mail");
        names.ShouldContain("intent_score");
        names.ShouldContain("tech_aws");
        new FeatureComputer(defs).Features.Where(f => f.Name.StartsWith("visits_pricing")).ShouldAllBe(f => f.Phrase != null && f.Phrase.Contains("{value}"));
    }

    [Fact]
    public void Numbers_beyond_the_float_range_become_missing_and_never_overflow_a_sum()
    {
        // Given a lead whose numeric attribute, activity values and enrichment hold huge or infinite numbers
        var c = new FeatureComputer(Definitions());
        var lead = Lead() with { Attributes = new Dictionary<string, string?>(Lead().Attributes) { ["seats"] = "1e308" } };
        var acts = new List<Activity>
        {
            Act(ActivityTypes.PageView, T0.AddDays(-3), "/a", value: 1e308, n: 1),
            Act(ActivityTypes.PageView, T0.AddDays(-2), "/b", value: 1e308, n: 2),
            Act(ActivityTypes.PageView, T0.AddDays(-1), "/c", value: 5, n: 3),
        };
        // Two in-range intents whose difference leaves the range.
        Enrichment E(int daysBefore, string employees, string intent) => new()
        {
            Domain = "acme.com", AsOf = T0.AddDays(-daysBefore),
            Attributes = new Dictionary<string, string?> { ["employees"] = employees, ["intent_score"] = intent },
        };
        var enrichment = new List<Enrichment> { E(20, "40", "-3e38"), E(10, "1e308", "3e38") };

        // When its features are computed
        var row = c.Compute(lead, acts, enrichment, T0);

        // Then each bad number is missing, a sum counts only the good values, and every number fits a float slot
        row[Index(c, "seats")].IsMissing.ShouldBeTrue();
        Num(c, row, "sum_page_view_value_7d").ShouldBe(5);
        row[Index(c, "company_employees")].IsMissing.ShouldBeTrue();
        Cat(c, row, "company_size_band").ShouldBeNull();
        Num(c, row, "intent_score").ShouldBe(3e38);
        row[Index(c, "intent_change")].IsMissing.ShouldBeTrue();
        foreach (var v in row) (double.IsNaN(v.Number) || Math.Abs(v.Number) <= float.MaxValue).ShouldBeTrue();

        c.Compute(Lead() with { Attributes = new Dictionary<string, string?>(Lead().Attributes) { ["seats"] = "Infinity" } }, [], [], T0)[Index(c, "seats")].IsMissing.ShouldBeTrue();
        Num(c, c.Compute(Lead() with { Attributes = new Dictionary<string, string?>(Lead().Attributes) { ["seats"] = "1e30" } }, [], [], T0), "seats").ShouldBe(1e30);
    }

    [Fact]
    public void A_sum_of_in_range_values_that_leaves_the_float_range_is_missing()
    {
        var c = new FeatureComputer(Definitions());
        var acts = new List<Activity>
        {
            Act(ActivityTypes.PageView, T0.AddDays(-3), "/a", value: 3e38, n: 1),
            Act(ActivityTypes.PageView, T0.AddDays(-2), "/b", value: 3e38, n: 2),
        };
        var row = c.Compute(Lead(), acts, [], T0);
        row[Index(c, "sum_page_view_value_7d")].IsMissing.ShouldBeTrue();
        Num(c, row, "count_page_view_7d").ShouldBe(2);
    }
}
