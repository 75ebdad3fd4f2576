using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>Display names and value labels (issue 17): presentation only, declared in the mapping, checked against the file.</summary>
public sealed class FeatureLabelsTests
{
    private static FeatureLabels Labels() => FeatureLabels.FromMapping(ImportMapping.Parse("""
        {
          "rename": { "Lead Region": "Region" },
          "labels": { "Lead Region": { "1": "North", "2": "South" }, "plan": { "b": "Business" } },
          "display_names": { "VisitorType": "Kind of visitor", "signup_date": "Sign-up" }
        }
        """));

    [Theory]
    [InlineData("TrafficType", "Traffic type")]
    [InlineData("lead_source", "Lead source")]
    [InlineData("created_day_of_week", "Created day of week")]
    [InlineData("HTTPStatus", "HTTP status")]
    [InlineData("ProductRelated_Duration", "Product related duration")]
    [InlineData("pdays", "Pdays")]
    [InlineData("emp.var.rate", "Emp var rate")]
    [InlineData("page2Views", "Page2 views")]
    public void Column_names_are_humanised_when_no_display_name_is_given(string column, string shown) =>
        FeatureLabels.None.Title(column).ShouldBe(shown);

    [Fact]
    public void Coded_values_read_as_their_labels_by_renamed_column_as_numbers_or_categories()
    {
        var labels = Labels();
        labels.Label("Region", FeatureValue.Of(1)).ShouldBe("North");
        labels.Label("Region", FeatureValue.Of("2")).ShouldBe("South");
        labels.Label("Region", "2.0").ShouldBe("South", "a code written 2.0 is the code 2");
        labels.Label("Region", FeatureValue.Of(3)).ShouldBeNull("a code without a label is shown as it is");
        labels.Label("Region", FeatureValue.Missing).ShouldBeNull();
        labels.Sentence(new FeatureInfo("Region", FeatureKind.Numeric, "column 'Region' (numeric)"), FeatureValue.Of(1)).ShouldBe("Region: North");
        labels.Sentence(new FeatureInfo("Region", FeatureKind.Numeric, "column 'Region' (numeric)"), FeatureValue.Of(7)).ShouldBe("Region: 7");
        labels.Sentence(new FeatureInfo("TrafficType", FeatureKind.Numeric, "column 'TrafficType' (numeric)"), FeatureValue.Of(4)).ShouldBe("Traffic type: 4");
    }

    [Fact]
    public void Display_names_replace_the_column_name_in_phrases_and_derived_features()
    {
        var computer = new FeatureComputer(new FeatureDefinitions
        {
            Attributes =
            [
                new AttributeFeature { Column = "VisitorType", Kind = AttributeKind.Categorical, Values = ["New"] },
                new AttributeFeature { Column = "signup_date", Kind = AttributeKind.Date, DateParts = ["days_before", "day_of_week", "month"] },
            ],
        });
        var f = computer.Features.ToDictionary(x => x.Name);
        var labels = Labels();
        labels.Sentence(f["VisitorType"], FeatureValue.Of("New")).ShouldBe("Kind of visitor is New");
        labels.Sentence(f["signup_date_days_before"], FeatureValue.Of(3)).ShouldBe("Sign-up was 3 days ago");
        labels.Title("signup_date_month").ShouldBe("Sign-up month");
        // Built-in labels: weekdays (0 = Sunday, as the feature computer counts) and months.
        labels.Sentence(f["signup_date_day_of_week"], FeatureValue.Of(2)).ShouldBe("Sign-up day of week: Tuesday");
        labels.Sentence(f["signup_date_month"], FeatureValue.Of(12)).ShouldBe("Sign-up month: December");
        FeatureLabels.None.Sentence(new FeatureInfo("created_day_of_week", FeatureKind.Numeric, "weekday the lead was created (0 = Sunday)"), FeatureValue.Of(0))
            .ShouldBe("Created day of week: Sunday");
    }

    [Fact]
    public void A_feature_prepared_once_words_every_value_as_the_unprepared_sentence_does()
    {
        // Given a scoring engine's preparation (title and retitled phrase worked out once per feature, at load)
        var computer = new FeatureComputer(new FeatureDefinitions
        {
            Attributes =
            [
                new AttributeFeature { Column = "VisitorType", Kind = AttributeKind.Categorical, Values = ["New"] },
                new AttributeFeature { Column = "signup_date", Kind = AttributeKind.Date, DateParts = ["days_before", "day_of_week", "month"] },
                new AttributeFeature { Column = "Lead Region", Kind = AttributeKind.Numeric },
            ],
        });
        var labels = Labels();
        var f = computer.Features.ToDictionary(x => x.Name);
        var visitor = labels.Prepare(f["VisitorType"]);
        var signup = labels.Prepare(f["signup_date_days_before"]);
        var weekday = labels.Prepare(f["signup_date_day_of_week"]);
        // When one prepared feature words one value after another, Then each reads as it did before preparation
        labels.Sentence(visitor, FeatureValue.Of("New")).ShouldBe("Kind of visitor is New");
        labels.Sentence(visitor, FeatureValue.Of("Returning")).ShouldBe("Kind of visitor is Returning");
        labels.Sentence(visitor, FeatureValue.Missing).ShouldBe(labels.Sentence(f["VisitorType"], FeatureValue.Missing));
        labels.Sentence(signup, FeatureValue.Of(3)).ShouldBe("Sign-up was 3 days ago");
        labels.Sentence(signup, FeatureValue.Of(40)).ShouldBe(labels.Sentence(f["signup_date_days_before"], FeatureValue.Of(40)));
        labels.Sentence(weekday, FeatureValue.Of(2)).ShouldBe("Sign-up day of week: Tuesday");
        labels.Sentence(weekday, FeatureValue.Of(0)).ShouldBe("Sign-up day of week: Sunday");
        // A coded value reads as its label through the prepared feature too (the renamed column's labels).
        labels.Sentence(labels.Prepare(f["Lead Region"]), FeatureValue.Of(1)).ShouldBe(labels.Sentence(f["Lead Region"], FeatureValue.Of(1)));
    }

    [Fact]
    public void Newer_labels_win_key_by_key_and_survive_a_round_trip()
    {
        var old = Labels();
        var newer = new FeatureLabels
        {
            Values = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["Region"] = new Dictionary<string, string> { ["1"] = "Northern" } },
            DisplayNames = new Dictionary<string, string> { ["plan"] = "Plan" },
        };
        var merged = newer.Over(old);
        merged.Label("Region", "1").ShouldBe("Northern");
        merged.Label("Region", "2").ShouldBe("South", "a code the newer labels do not name keeps its label");
        merged.Title("plan").ShouldBe("Plan");
        merged.Title("VisitorType").ShouldBe("Kind of visitor");
        var back = FeatureLabels.FromJson(merged.ToJson());
        back.ToJson().ShouldBe(merged.ToJson());
        back.Label("plan", "b").ShouldBe("Business");
    }

    [Fact]
    public void An_engine_with_labels_words_reasons_with_them_and_scores_exactly_as_without()
    {
        var engine = TestEngine();
        var row = new[] { FeatureValue.Of(1), FeatureValue.Of(4) };
        var plain = engine.Score("x", row, explain: true);
        var labelled = engine.WithLabels(Labels()).Score("x", row, explain: true);
        labelled.Probability.ShouldBe(plain.Probability);
        labelled.Grade.ShouldBe(plain.Grade);
        labelled.Reasons.Select(r => r.Points).ShouldBe(plain.Reasons.Select(r => r.Points));
        labelled.Reasons.Select(r => r.Value).ShouldBe(plain.Reasons.Select(r => r.Value), "the value stays the code the model read");
        labelled.Reasons.Select(r => r.Text).ShouldContain("Region: North");
        plain.Reasons.Select(r => r.Text).ShouldContain("Region: 1");
        labelled.Reasons.Select(r => r.Text).ShouldContain("Traffic type: 4");
    }

    private static ScoringEngine TestEngine()
    {
        // Two numeric features, a linear model with both weights non-zero, so both are reasons.
        var features = new[]
        {
            new FeatureInfo("Region", FeatureKind.Numeric, "column 'Region' (numeric)"),
            new FeatureInfo("TrafficType", FeatureKind.Numeric, "column 'TrafficType' (numeric)"),
        };
        var frame = new FeatureFrame(features);
        var rng = new Random(5);
        for (var i = 0; i < 400; i++)
        {
            var region = rng.Next(1, 5);
            var traffic = rng.Next(1, 9);
            frame.Add($"r{i}", [FeatureValue.Of(region), FeatureValue.Of(traffic)], label: rng.NextDouble() < (region == 1 ? 0.6 : 0.1) + traffic * 0.03);
        }
        var result = new LeadScore.Engine.Modeling.ModelingContext().Train(frame, new LeadScore.Engine.Modeling.TrainingOptions { Trainer = new LeadScore.Engine.Modeling.LogisticOptions(), ImportanceRows = 0 });
        var compiled = LeadScore.Engine.Modeling.ModelArtifact.Compile(result.Model);
        return new ScoringEngine("v1", result.Model.Encoder, compiled, result.Model.Calibrator, result.Model.Grades);
    }

    [Fact]
    public void Labels_and_display_names_are_settings_of_the_one_vocabulary()
    {
        ImportMapping.ValidSettings.ShouldContain("labels");
        ImportMapping.ValidSettings.ShouldContain("display_names");
        var ex = Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "lables": { "Region": { "1": "North" } } }"""));
        ex.Message.ShouldContain("unknown setting 'lables' (did you mean 'labels'?)");
        ex.Message.ShouldContain("valid: ");
        ex.Field.ShouldBe("lables");
        Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "display_name": { "Region": "Area" } }"""))
            .Message.ShouldContain("(did you mean 'display_names'?)");
        var file = Path.Combine(TestKit.TestPaths.NewTempDir(), "kind.json");
        File.WriteAllText(file, """{ "labels": { "Region": "North" } }""");
        var kind = Should.Throw<LeadScoreException>(() => ImportMapping.Load(file)).Message;
        kind.ShouldContain("setting 'labels.Region' has the wrong kind of value");
        kind.ShouldNotContain("System.Collections");
    }

    [Fact]
    public void A_label_for_a_column_the_file_does_not_hold_is_an_error_naming_it_and_the_nearest_column()
    {
        var mapping = ImportMapping.Parse("""{ "labels": { "Regoin": { "1": "North" } } }""");
        var ex = Should.Throw<LeadScoreException>(() => mapping.CheckLabels(["lead_id", "Region", "TrafficType"], "/data/leads.csv"));
        ex.Message.ShouldBe("mapping: labels names column 'Regoin', which is not in leads.csv (did you mean 'Region'?); its columns: lead_id, Region, TrafficType");
        ex.Field.ShouldBe("labels.Regoin");
        Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "display_names": { "Nowhere": "X" } }""").CheckLabels(["Region"], "a.csv"))
            .Message.ShouldStartWith("mapping: display_names names column 'Nowhere', which is not in a.csv");
        Should.Throw<LeadScoreException>(() => ImportMapping.Parse("""{ "labels": { "Region": { "1": " " } } }""").CheckLabels(["Region"], "a.csv"))
            .Message.ShouldContain("the label of '1' is empty");
        // A label is read in a sentence: a 10 MB one is refused, not stored; a lone surrogate is a mapping error, not .NET's.
        Should.Throw<LeadScoreException>(() => ImportMapping.Parse($$"""{ "labels": { "Region": { "1": "{{new string('x', 10_000_000)}}" } } }""").CheckLabels(["Region"], "a.csv"))
            .Message.ShouldBe("mapping: labels.Region: the label of '1' is 10,000,000 characters long; at most 200");
        Should.Throw<LeadScoreException>(() => ImportMapping.Parse($$"""{ "display_names": { "Region": "{{new string('y', 201)}}" } }""").CheckLabels(["Region"], "a.csv"))
            .Message.ShouldBe("mapping: display_names.Region is 201 characters long; at most 200");
        var surrogate = Path.Combine(TestKit.TestPaths.NewTempDir(), "surrogate.json");
        File.WriteAllText(surrogate, """{ "labels": { "Region": { "1": "\ud800" } } }""");
        Should.Throw<LeadScoreException>(() => ImportMapping.Load(surrogate)).Message.ShouldContain("invalid mapping file: a text holds a lone UTF-16 surrogate");
        // Derived and built-in features may be named too.
        ImportMapping.Parse("""{ "labels": { "created_day_of_week": { "0": "Sun" } }, "display_names": { "signup_month": "Sign-up month" } }""")
            .CheckLabels(["signup"], "a.csv");
    }

    [Fact]
    public void Infer_only_writes_display_names_and_commented_label_placeholders_for_coded_columns()
    {
        var dir = TestKit.TestPaths.NewTempDir();
        var path = Path.Combine(dir, "leads.csv");
        var rng = new Random(3);
        var lines = new List<string> { "lead_id,created_at,Region,TrafficType,VisitorType,revenue_eur" };
        for (var i = 0; i < 60; i++) lines.Add($"l{i},2026-01-{1 + i % 28:00},{1 + i % 4},{1 + rng.Next(12)},{(i % 2 == 0 ? "New" : "Returning")},{rng.Next(100, 9000)}.5");
        File.WriteAllLines(path, lines);
        var plan = ImportPipeline.Plan(ImportKind.Leads, path, null, DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), requireRoles: false);
        var json = CompleteMapping.ToJson(plan, out _);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var root = doc.RootElement;
        root.GetProperty("display_names").GetProperty("TrafficType").GetString().ShouldBe("Traffic type");
        root.GetProperty("display_names").GetProperty("VisitorType").GetString().ShouldBe("Visitor type");
        root.GetProperty("display_names").TryGetProperty("lead_id", out _).ShouldBeFalse("role columns are not features");
        root.GetProperty("labels").EnumerateObject().ShouldBeEmpty();
        var placeholders = root.GetProperty("_labels");
        placeholders.GetProperty("Region").EnumerateObject().Select(p => p.Name).ShouldBe(["1", "2", "3", "4"]);
        placeholders.TryGetProperty("revenue_eur", out _).ShouldBeFalse("amounts are not codes");
        placeholders.TryGetProperty("VisitorType", out _).ShouldBeFalse("words are not codes");
        root.GetProperty("_labels_note").GetString()!.ShouldContain("\"labels\"");
        // The file reads back as it was written (the placeholders are comments).
        var back = ImportMapping.Parse(json);
        back.DisplayNames["TrafficType"].ShouldBe("Traffic type");
        back.Labels.ShouldBeEmpty();
    }
}
