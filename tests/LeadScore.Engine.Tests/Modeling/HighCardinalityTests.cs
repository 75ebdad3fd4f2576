using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Modeling;

/// <summary>
/// A repeated hash-like code (a landing-page id with 500 levels) is a category, target-encoded out of fold, and carries
/// its signal into the model; the same kind of column with a value per row is still an identifier.
/// </summary>
public sealed class HighCardinalityTests
{
    private const int Levels = 500, Rows = 36_000, TrainRows = 28_000;

    private static string Hash(string s) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(s)))[..12];

    /// <summary>Writes the table; returns its path and each row's true probability.</summary>
    private static (string Path, double[] Truth) Write(string dir)
    {
        var r = new Random(5);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
        var effect = Enumerable.Range(0, Levels).Select(_ => 1.1 * Normal()).ToArray();
        var pages = Enumerable.Range(0, Levels).Select(i => Hash($"landing-page-{i}")).ToArray();
        // A long tail, as landing pages have: a few pages take most leads, hundreds take a few dozen each.
        var weights = Enumerable.Range(0, Levels).Select(i => 1.0 / (i + 8)).ToArray();
        var cumulative = new double[Levels];
        for (double acc = 0, i = 0; i < Levels; i++) cumulative[(int)i] = acc += weights[(int)i] / weights.Sum();
        var truth = new double[Rows];
        var csv = new StringBuilder("visitor_token,landing_page_id,visits,converted\n");
        for (var i = 0; i < Rows; i++)
        {
            var level = Array.BinarySearch(cumulative, r.NextDouble());
            level = Math.Min(Levels - 1, level < 0 ? ~level : level);
            var visits = r.Next(0, 12);
            var logit = -1.7 + effect[level] + 0.08 * (visits - 6);
            truth[i] = 1 / (1 + Math.Exp(-logit));
            var y = r.NextDouble() < truth[i];
            csv.Append(CultureInfo.InvariantCulture, $"{Hash($"visitor-{i}")},{pages[level]},{visits},{(y ? 1 : 0)}\n");
        }
        var path = Path.Combine(dir, "pages.csv");
        File.WriteAllText(path, csv.ToString());
        return (path, truth);
    }

    [Fact]
    public void A_500_level_hashed_code_is_a_target_encoded_category_within_002_AUC_of_the_truth_and_a_unique_token_stays_an_identifier()
    {
        var (path, truth) = Write(TestPaths.NewTempDir("highcard"));

        var table = FlatTableLoader.Load(path, new FlatTableOptions { Target = "converted" });

        table.Schema.Single(c => c.Name == "visitor_token").Kind.ShouldBe(ColumnKind.Identifier, "a value per row is an identifier");
        table.Schema.Single(c => c.Name == "landing_page_id").Kind.ShouldBe(ColumnKind.Categorical, "repeated values are a code, whatever the name");
        table.Frame.Features.Select(f => f.Name).ShouldNotContain("visitor_token");
        var frame = table.Frame;
        var train = frame.Subset([.. Enumerable.Range(0, TrainRows)]);
        var test = frame.Subset([.. Enumerable.Range(TrainRows, Rows - TrainRows)]);

        var result = new ModelingContext().Train(train, new TrainingOptions { Algorithm = ModelAlgorithm.LightGbm, MaxTrials = 2, ImportanceRows = 1000 });

        var page = result.Model.Encoder.Features.ToList().FindIndex(f => f.Name == "landing_page_id");
        result.Model.Encoder.Encodings[page].TargetValues.ShouldNotBeNull("hundreds of repeated levels are target-encoded, not cut to the 50 most frequent");
        result.Model.Card.Notes.ShouldContain(n => n.Contains("landing_page_id") && n.Contains("target-encoded"));
        var labels = test.Labels.ToArray();
        var modelAuc = Ranking.Auc(result.Model.Predict(test), labels);
        var truthAuc = Ranking.Auc(truth[TrainRows..], labels);
        modelAuc.ShouldBeGreaterThan(truthAuc - 0.02, $"model {modelAuc:F4} vs the true probability {truthAuc:F4}");
        // Reasons name the code and say how its leads convert.
        var m = result.Model;
        var engine = new ScoringEngine("v-hc", m.Encoder, CompiledModel.FromMlNet(m.Model, m.TrainingMatrix!, m.SlotCount), m.Calibrator, m.Grades);
        var best = Enumerable.Range(0, test.Count).MaxBy(i => m.Encoder.TargetRateRatio(page, test.Rows[i][test.IndexOf("landing_page_id")].Category) ?? 0);
        var reasons = engine.Score("L1", test.Rows[best], explain: true).Reasons;
        reasons.ShouldContain(r => r.Text.Contains(test.Rows[best][test.IndexOf("landing_page_id")].Category!) && r.Text.Contains("x the average"),
            string.Join(" | ", reasons.Select(r => r.Text)));
        // The encoding was chosen by cross-validation against one-hot of the 50 most frequent levels, which loses the tail.
        var oneHot = result.Model.Card.Candidates.Single(c => c.Stage == "encoding");
        oneHot.CvAuc.ShouldBeLessThan(result.Model.Card.Candidates.Where(c => c.Stage != "encoding").Max(c => c.CvAuc) - 0.01);
    }

    [Fact]
    public void Training_rows_get_out_of_fold_values_so_a_level_seen_once_carries_no_label()
    {
        var f = new FeatureFrame([new FeatureInfo("code", FeatureKind.Categorical, "code")]);
        // 60 levels seen 10 times each (all converting for even levels), and one level seen once.
        var rows = 0;
        for (var level = 0; level < 60; level++)
            for (var k = 0; k < 10; k++) f.Add($"r{rows++}", [FeatureValue.Of($"c{level}")], level % 2 == 0);
        f.Add($"r{rows++}", [FeatureValue.Of("single")], true);
        var enc = FeatureEncoder.Fit(f, new EncoderOptions());
        enc.HasTargetEncoding.ShouldBeTrue();
        enc.SlotCount.ShouldBe(1);
        var folds = Enumerable.Range(0, f.Count).Select(i => i % 5).ToArray();

        var full = enc.EncodeAll(f);
        var oof = enc.EncodeTraining(f, folds, 5);

        // Scoring: a converting level sits above the prior, a losing one below it.
        full[0].ShouldBeGreaterThan((float)enc.Encodings[0].Prior);
        full[10].ShouldBeLessThan((float)enc.Encodings[0].Prior);
        // Training: each row's value comes from the other folds (8 of its level's 10 rows), never from its own label.
        oof[0].ShouldNotBe(full[0]);
        oof[0].ShouldBeGreaterThan((float)enc.Encodings[0].Prior);
        // The single row is pooled as rare; its out-of-fold value is computed without it.
        enc.Encodings[0].Categories!.ShouldContain(FeatureEncoder.RareCategory);
        var rareOof = oof[f.Count - 1];
        var rareFull = full[f.Count - 1];
        rareOof.ShouldBeLessThan(rareFull, "without its own (converted) label the rare pool has no conversions");
        // An unseen level scores at the rare pool; round trip through JSON keeps the encoding.
        var back = FeatureEncoder.FromJson(enc.ToJson());
        back.Encode([FeatureValue.Of("never-seen")])[0].ShouldBe(rareFull);
        back.Encode([FeatureValue.Of("c0")])[0].ShouldBe(full[0]);
    }

    [Theory]
    [InlineData("campaign_id", false, ColumnKind.Categorical)]
    [InlineData("campaign_id", true, ColumnKind.Identifier)]
    [InlineData("form id", false, ColumnKind.Categorical)]
    [InlineData("Lead Number", true, ColumnKind.Identifier)]
    public void A_column_named_like_an_id_is_an_identifier_only_when_its_values_are_nearly_unique(string name, bool unique, ColumnKind expected)
    {
        var values = Enumerable.Range(0, 400).Select(i => (unique ? i : i % 40).ToString(CultureInfo.InvariantCulture)).ToList();
        SchemaInference.InferColumn(name, values, ValueRules.Default).Kind.ShouldBe(expected);
        var hashed = values.Select(v => Hash(v)).ToList();
        SchemaInference.InferColumn(name, hashed, ValueRules.Default).Kind.ShouldBe(expected);
    }
}
