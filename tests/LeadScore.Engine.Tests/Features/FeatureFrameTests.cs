using LeadScore.Core;
using LeadScore.Engine.Features;

namespace LeadScore.Engine.Tests.Features;

/// <summary>The frame's compact storage (a float a cell, categories as level indexes) gives back what was added, numbers at the precision models read them.</summary>
public class FeatureFrameTests
{
    private static readonly FeatureInfo[] Features =
    [
        new("visits", FeatureKind.Numeric, "visits"),
        new("source", FeatureKind.Categorical, "source"),
        new("score", FeatureKind.Numeric, "score"),
        new("country", FeatureKind.Categorical, "country"),
    ];

    private static FeatureFrame Sample()
    {
        var frame = new FeatureFrame(Features);
        frame.Add("a", [FeatureValue.Of(3), FeatureValue.Of("web"), FeatureValue.Of(-0.0), FeatureValue.Of("DE")], true, DateTimeOffset.UnixEpoch);
        frame.Add("b", [FeatureValue.Missing, FeatureValue.Missing, FeatureValue.Of(double.Epsilon), FeatureValue.Of("FR")], false, DateTimeOffset.UnixEpoch.AddDays(1));
        frame.Add("c", [FeatureValue.Of(1e300), FeatureValue.Of("email"), FeatureValue.Of(double.PositiveInfinity), FeatureValue.Missing], false, DateTimeOffset.UnixEpoch.AddDays(2));
        frame.Add("d", [FeatureValue.Of(0.1), FeatureValue.Of("web"), FeatureValue.Missing, FeatureValue.Of("")], true, DateTimeOffset.UnixEpoch.AddDays(3));
        return frame;
    }

    [Fact]
    public void Every_cell_reads_back_as_added_numbers_as_the_float_models_read()
    {
        var frame = Sample();
        Assert.Equal(4, frame.Count);
        Assert.Equal(FeatureValue.Of("web"), frame[0, 1]);
        Assert.Equal(FeatureValue.Of("DE"), frame[0, 3]);
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(frame[0, 2].Number));
        Assert.True(frame[1, 0].IsMissing);
        Assert.True(frame[1, 1].IsMissing);
        Assert.Null(frame[1, 1].Category);
        Assert.Equal((double)(float)double.Epsilon, frame[1, 2].Number); // 0: below the float range
        Assert.Equal(double.PositiveInfinity, frame[2, 0].Number); // 1e300: above it, as the encoder's float would be
        Assert.Equal(double.PositiveInfinity, frame[2, 2].Number);
        Assert.True(frame[2, 3].IsMissing);
        Assert.Equal("", frame[3, 3].Category); // an empty category is a level, not missing
        Assert.Equal(FeatureValue.Of("web"), frame[3, 1]);
        // A category reads as NaN through Number, as FeatureValue.Number does.
        Assert.True(double.IsNaN(frame.Number(0, 1)));
        Assert.Equal((double)0.1f, frame.Number(3, 0));
        Assert.Equal((float)0.1, (float)frame.Number(3, 0)); // the slot value a model reads is unchanged
    }

    [Fact]
    public void Rows_copies_and_views_agree_with_the_cells()
    {
        var frame = Sample();
        var buffer = new FeatureValue[Features.Length];
        for (var r = 0; r < frame.Count; r++)
        {
            frame.CopyRow(r, buffer);
            var row = frame.Row(r);
            var viewed = frame.Rows[r];
            for (var f = 0; f < Features.Length; f++)
            {
                Assert.Equal(frame[r, f], buffer[f]);
                Assert.Equal(frame[r, f], row[f]);
                Assert.Equal(frame[r, f], viewed[f]);
            }
        }
        // The view hands out copies: writing to one does not change the frame.
        frame.Rows[0][0] = FeatureValue.Of(99);
        Assert.Equal(3, frame[0, 0].Number);
        Assert.Equal(frame.Count, frame.Rows.Count);
        Assert.Equal(frame.Count, frame.Rows.Count());
    }

    [Fact]
    public void Subset_and_Without_keep_values_labels_times_and_weights()
    {
        var frame = Sample();
        frame.Weights.AddRange([1, 2, 3, 4]);
        var sub = frame.Subset([3, 1]);
        Assert.Equal(["d", "b"], sub.Ids);
        Assert.Equal([true, false], sub.Labels);
        Assert.Equal([4.0, 2.0], sub.Weights);
        Assert.Equal(FeatureValue.Of("web"), sub[0, 1]);
        Assert.Equal(FeatureValue.Of("FR"), sub[1, 3]);
        // A subset shares the level tables: a level first added to it reads back in both.
        sub.Add("e", [FeatureValue.Of(5), FeatureValue.Of("social"), FeatureValue.Of(1), FeatureValue.Of("IT")]);
        Assert.Equal(FeatureValue.Of("social"), sub[2, 1]);
        Assert.Equal(FeatureValue.Of("email"), frame[2, 1]);

        var without = frame.Without(new HashSet<string> { "source", "score" });
        Assert.Equal(["visits", "country"], without.Features.Select(f => f.Name));
        Assert.Equal(FeatureValue.Of("DE"), without[0, 1]);
        Assert.True(without[2, 1].IsMissing);
        Assert.Equal((double)0.1f, without[3, 0].Number);
        Assert.Equal(frame.Weights, without.Weights);
        Assert.Equal(frame.Times, without.Times);
    }

    [Fact]
    public void WithNumeric_appends_a_column_and_keeps_every_cell_label_time_and_weight()
    {
        var frame = Sample();
        frame.Weights.AddRange([1, 2, 3, 4]);
        var wider = frame.WithNumeric(new FeatureInfo("flag", FeatureKind.Numeric, "flag") { IsContext = true }, r => r == 1 ? double.NaN : r * 10);
        Assert.Equal([.. Features.Select(f => f.Name), "flag"], wider.Features.Select(f => f.Name));
        for (var r = 0; r < frame.Count; r++)
            for (var c = 0; c < Features.Length; c++) Assert.Equal(frame[r, c], wider[r, c]);
        Assert.Equal([0.0, double.NaN, 20, 30], Enumerable.Range(0, 4).Select(r => wider[r, 4].Number));
        Assert.Equal(frame.Ids, wider.Ids);
        Assert.Equal(frame.Labels, wider.Labels);
        Assert.Equal(frame.Times, wider.Times);
        Assert.Equal(frame.Weights, wider.Weights);
        // The source frame is untouched; a name it has, or a category, is refused.
        Assert.Equal(4, frame.Features.Count);
        Assert.Throws<ArgumentException>(() => frame.WithNumeric(new FeatureInfo("visits", FeatureKind.Numeric, "again"), _ => 1));
        Assert.Throws<ArgumentException>(() => frame.WithNumeric(new FeatureInfo("kind", FeatureKind.Categorical, "kind"), _ => 1));
    }

    [Fact]
    public void A_compact_row_held_back_is_added_as_it_was()
    {
        var frame = new FeatureFrame(Features);
        var held = frame.Compact([FeatureValue.Of(7), FeatureValue.Of("web"), FeatureValue.Missing, FeatureValue.Of("DE")]);
        frame.Add("x", [FeatureValue.Of(1), FeatureValue.Of("email"), FeatureValue.Of(2), FeatureValue.Missing]);
        frame.AddCompact("y", held, true, DateTimeOffset.UnixEpoch);
        Assert.Equal(FeatureValue.Of("web"), frame[1, 1]);
        Assert.Equal(7, frame[1, 0].Number);
        Assert.Throws<ArgumentException>(() => frame.Add("z", [FeatureValue.Of(1)]));
        Assert.Throws<ArgumentException>(() => frame.AddCompact("z", [1f]));
    }

    [Fact]
    public void Levels_added_from_many_threads_read_back_right()
    {
        var frame = new FeatureFrame(Features);
        var subsets = Enumerable.Range(0, 8).Select(_ => frame.Subset([])).ToArray();
        Parallel.For(0, 8, t =>
        {
            for (var i = 0; i < 2000; i++)
                subsets[t].Add($"{t}-{i}", [FeatureValue.Of(i), FeatureValue.Of($"level {i % 700}"), FeatureValue.Of(t), FeatureValue.Of($"c{t}")]);
        });
        for (var t = 0; t < 8; t++)
            for (var i = 0; i < 2000; i++)
            {
                Assert.Equal($"level {i % 700}", subsets[t][i, 1].Category);
                Assert.Equal($"c{t}", subsets[t][i, 3].Category);
            }
    }

    [Fact]
    public void A_serialized_frame_reads_back_identical()
    {
        var frame = Sample();
        frame.Weights.AddRange([1, 2, 3, 4]);
        var back = FeatureFrameSerializer.Deserialize(FeatureFrameSerializer.Serialize(frame));
        Assert.Equal(frame.Ids, back.Ids);
        Assert.Equal(frame.Labels, back.Labels);
        Assert.Equal(frame.Weights, back.Weights);
        for (var r = 0; r < frame.Count; r++)
            for (var f = 0; f < Features.Length; f++)
            {
                Assert.Equal(frame[r, f].Category, back[r, f].Category);
                Assert.Equal(BitConverter.DoubleToInt64Bits(frame[r, f].Number), BitConverter.DoubleToInt64Bits(back[r, f].Number));
            }
    }
}
