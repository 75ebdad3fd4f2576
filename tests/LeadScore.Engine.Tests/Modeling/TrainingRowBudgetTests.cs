using LeadScore.Core;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Modeling;

/// <summary>
/// The row budget (<see cref="TrainingOptions.MaxRows"/>): above it, training splits, trains and evaluates on a seeded
/// sample of whole leads, and the card says so.
/// </summary>
public sealed class TrainingRowBudgetTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Leads L0..L(n-1), lead i with 1 + i % 4 rows at ages 14, 30, 60, 90 days; x carries the signal.</summary>
    private static FeatureFrame Leads(int leads)
    {
        var f = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, ""), new FeatureInfo("noise", FeatureKind.Numeric, "")]) { GroupRowsById = true };
        var rng = new Random(3);
        int[] ages = [14, 30, 60, 90];
        for (var i = 0; i < leads; i++)
        {
            var x = rng.NextDouble();
            var converted = rng.NextDouble() < 0.1 + 0.6 * x;
            var created = Start.AddHours(i * 6);
            for (var a = 0; a <= i % 4; a++)
                f.Add($"L{i}", [FeatureValue.Of(x + a * 0.01), FeatureValue.Of(rng.NextDouble())], converted, created.AddDays(ages[a]));
        }
        return f;
    }

    [Fact]
    public void A_sample_takes_whole_leads_up_to_the_budget_in_their_original_order_and_the_same_seed_takes_the_same_leads()
    {
        var frame = Leads(400); // 1,000 rows
        var all = Enumerable.Range(0, frame.Count).ToArray();

        var (rows, leads, allLeads) = ModelingContext.SampleLeads(frame, all, 300, seed: 7);

        rows.Length.ShouldBeInRange(297, 300);
        rows.ShouldBe(rows.Order().ToArray());
        allLeads.ShouldBe(400);
        var taken = rows.Select(i => frame.Ids[i]).Distinct().ToList();
        taken.Count.ShouldBe(leads);
        // Every taken lead has all its rows in the sample.
        foreach (var id in taken)
            rows.Count(i => frame.Ids[i] == id).ShouldBe(frame.Ids.Count(x => x == id), id);
        ModelingContext.SampleLeads(frame, all, 300, seed: 7).Rows.ShouldBe(rows);
        ModelingContext.SampleLeads(frame, all, 300, seed: 8).Rows.ShouldNotBe(rows);
    }

    [Fact]
    public void Above_the_budget_training_splits_a_sample_of_whole_leads_and_the_card_says_so()
    {
        // Given: 2,000 leads in 5,000 rows, and a budget of 2,000 rows
        var frame = Leads(2000);
        var options = new TrainingOptions { Algorithm = ModelAlgorithm.Logistic, TimeBudget = TimeSpan.Zero, ImportanceRows = 0, MaxRows = 2000 };

        // When
        var result = new ModelingContext().Train(frame, options, ct: TestContext.Current.CancellationToken);

        // Then: training and held-out rows come from at most 2,000 rows of whole leads, apart from each other
        var train = result.Train!;
        (train.Count + result.Test.Count).ShouldBeLessThanOrEqualTo(2000);
        train.Ids.Intersect(result.Test.Ids).ShouldBeEmpty();
        foreach (var id in result.Test.Ids.Distinct())
            result.Test.Ids.Count(x => x == id).ShouldBe(frame.Ids.Count(x => x == id), id);
        result.Model.Card.Notes.ShouldContain(n => n.Contains("seeded sample") && n.Contains("of the 5,000 matured rows"));
        result.Metrics.Auc.ShouldBeGreaterThan(0.7);

        // And with no budget, every row is split and no note is written
        var whole = new ModelingContext().Train(frame, options with { MaxRows = 0 }, ct: TestContext.Current.CancellationToken);
        whole.Test.Count.ShouldBeGreaterThan(result.Test.Count);
        whole.Model.Card.Notes.ShouldNotContain(n => n.Contains("seeded sample"));
    }

    [Fact]
    public void Selected_rows_train_as_the_frame_does_and_do_not_keep_the_whole_frame_alive()
    {
        var options = new TrainingOptions { Algorithm = ModelAlgorithm.Logistic, TimeBudget = TimeSpan.Zero, ImportanceRows = 0, MaxRows = 2000 };
        var (rows, whole) = Select(options);

        // The rows not selected are garbage once the caller lets go of the frame (what TrainingService does at 1M leads).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        whole.IsAlive.ShouldBeFalse("the selected rows must not reference the frame they came from");
        rows.Frame.Count.ShouldBeLessThanOrEqualTo(2000);
        rows.Sampled.ShouldNotBeNull().ShouldContain("of the 5,000 matured rows");

        // Training on the selection gives the model training on the frame gives.
        var fromRows = new ModelingContext().Train(rows, options, ct: TestContext.Current.CancellationToken);
        var fromFrame = new ModelingContext().Train(Leads(2000), options, ct: TestContext.Current.CancellationToken);
        fromRows.Metrics.Auc.ShouldBe(fromFrame.Metrics.Auc);
        fromRows.TestProbabilities.ShouldBe(fromFrame.TestProbabilities);
        fromRows.Model.Card.Notes.ShouldBe(fromFrame.Model.Card.Notes);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (TrainingRows Rows, WeakReference Whole) Select(TrainingOptions options)
    {
        var frame = Leads(2000);
        return (ModelingContext.SelectRows(frame, options), new WeakReference(frame));
    }
}
