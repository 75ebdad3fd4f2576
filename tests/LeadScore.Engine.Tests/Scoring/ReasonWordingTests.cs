using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>Reason sentences read well for a seller, with the phrases the feature computer really writes.</summary>
public sealed class ReasonWordingTests
{
    private static readonly FeatureComputer Computer = new(new FeatureDefinitions
    {
        Attributes =
        [
            new AttributeFeature { Column = "seats", Kind = AttributeKind.Numeric },
            new AttributeFeature { Column = "budget", Kind = AttributeKind.Boolean },
            new AttributeFeature { Column = "industry", Kind = AttributeKind.Categorical, Values = ["Software"] },
        ],
        EmailColumn = LeadFields.Email,
        Activities = new ActivityFeatureSettings
        {
            Types = [ActivityTypes.PageView, ActivityTypes.EmailSent, ActivityTypes.EmailOpen, ActivityTypes.Meeting, ActivityTypes.Call],
            SumTypes = [ActivityTypes.PageView],
            HighIntentPages = [new PagePattern { Name = "pricing", Prefixes = ["/pricing"], Label = "the pricing page" }],
        },
        Enrichment = new EnrichmentFeatureSettings { Technologies = ["HubSpot"] },
    });

    private static string Say(string feature, FeatureValue value)
    {
        var info = Computer.Features.Single(f => f.Name == feature);
        return ReasonWording.Sentence(info, feature, value);
    }

    private static string Say(string feature, double value) => Say(feature, FeatureValue.Of(value));

    [Theory]
    [InlineData("days_since_last_meeting", 6.972, "Last meeting 6 days ago")]
    [InlineData("days_since_last_meeting", 0.4, "Last meeting today")]
    [InlineData("days_since_last_meeting", 1.9, "Last meeting yesterday")]
    [InlineData("days_since_last_activity", 1234.5, "Last interaction 1,234 days ago")]
    [InlineData("days_since_pricing", 3.2, "Last visited the pricing page 3 days ago")]
    [InlineData("days_since_created", 14.000001, "Lead created 14 days ago")]
    public void Days_read_as_whole_days_today_or_yesterday(string feature, double value, string expected) =>
        Say(feature, value).ShouldBe(expected);

    [Theory]
    [InlineData("count_meeting_30d", 2, "Had 2 meetings in the last 30 days")]
    [InlineData("count_meeting_30d", 1, "Had 1 meeting in the last 30 days")]
    [InlineData("count_call_7d", 1, "Had 1 sales call in the last 7 days")]
    [InlineData("count_page_view_7d", 1, "Viewed 1 page in the last 7 days")]
    [InlineData("visits_pricing_7d", 3.0000001, "Visited the pricing page 3 times in the last 7 days")]
    [InlineData("visits_pricing_7d", 1, "Visited the pricing page 1 time in the last 7 days")]
    [InlineData("activity_count", 1530, "1,530 interactions so far")]
    [InlineData("sum_page_view_value_30d", 1234.56, "1,235 seconds of page view in the last 30 days")]
    [InlineData("company_employees", 1008, "Company has 1,008 employees")]
    public void Counts_read_as_integers_with_singular_nouns_for_one(string feature, double value, string expected) =>
        Say(feature, value).ShouldBe(expected);

    [Theory]
    [InlineData("engagement_score", 58.088, "Engagement score 58.1 (recent activity counts more)")]
    [InlineData("events_per_week", 2.3333, "2.3 interactions per week")]
    [InlineData("intent_change", 4.24, "Intent score changed by +4.2")]
    [InlineData("intent_change", -3, "Intent score changed by -3")]
    [InlineData("email_open_rate", 0.4, "Opened 40% of the emails sent")]
    [InlineData("email_click_rate", 0.12, "Clicked in 12% of the emails sent")]
    [InlineData("seats", 12, "Seats is 12")]
    [InlineData("seats", 3.14159, "Seats is 3.14")]
    public void Scores_have_one_decimal_and_rates_are_percentages(string feature, double value, string expected) =>
        Say(feature, value).ShouldBe(expected);

    [Theory]
    [InlineData("tech_hubspot", 1, "Company uses HubSpot")]
    [InlineData("tech_hubspot", 0, "Company does not use HubSpot")]
    [InlineData("email_free_mail", 1, "Uses a free-mail address")]
    [InlineData("email_free_mail", 0, "Does not use a free-mail address")]
    [InlineData("email_matches_company", 1, "Email on the company domain: yes")]
    [InlineData("budget", 0, "Budget: no")]
    public void Booleans_read_as_statements_or_yes_no(string feature, double value, string expected) =>
        Say(feature, value).ShouldBe(expected);

    [Fact]
    public void Missing_values_say_what_is_missing()
    {
        Say("days_since_last_meeting", FeatureValue.Missing).ShouldBe("No meeting yet");
        Say("days_since_last_activity", FeatureValue.Missing).ShouldBe("No interaction yet");
        Say("days_since_pricing", FeatureValue.Missing).ShouldBe("Never visited the pricing page");
        Say("email_open_rate", FeatureValue.Missing).ShouldBe("No emails sent yet");
        Say("industry", FeatureValue.Of("Software")).ShouldBe("Industry is Software");
    }

    [Fact]
    public void Flat_table_columns_without_phrases_round_numbers_and_say_yes_or_no()
    {
        var numeric = new FeatureInfo("euribor3m", FeatureKind.Numeric, "column 'euribor3m' (numeric)");
        var flag = new FeatureInfo("Do Not Email", FeatureKind.Numeric, "column 'Do Not Email' (boolean)");
        ReasonWording.Sentence(numeric, "Euribor3m", FeatureValue.Of(4.857)).ShouldBe("Euribor3m: 4.86");
        ReasonWording.Sentence(numeric, "Euribor3m", FeatureValue.Of(999)).ShouldBe("Euribor3m: 999");
        ReasonWording.Sentence(numeric, "Euribor3m", FeatureValue.Of(5228.1)).ShouldBe("Euribor3m: 5228.1");
        ReasonWording.Sentence(numeric, "Year", FeatureValue.Of(2024)).ShouldBe("Year: 2024");
        ReasonWording.Sentence(flag, "Do Not Email", FeatureValue.Of(1)).ShouldBe("Do Not Email: yes");
        ReasonWording.Sentence(flag, "Do Not Email", FeatureValue.Missing).ShouldBe("Do Not Email not known");
    }
}
