using LeadScore.Engine.Modeling;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LeadScore.Engine.Tests.Modeling;

/// <summary>
/// The matrix view training reads (<see cref="MatrixDataView"/>, no copy of the data) against ML.NET's own
/// <c>LoadFromEnumerable</c> over a copy: every trainer fits the same model from either, bit for bit, on all rows and
/// on some rows (a cross-validation fold).
/// </summary>
public sealed class MatrixDataViewTests
{
    private const int Slots = 6;

    /// <summary>
    /// Rows of 6 slots: two carry the signal, one is often missing (NaN), one is a 0/1 flag. 100,000 rows: above 65,536
    /// LightGBM and FastTree sample rows for their bins with the context's random source, which the two paths must use alike.
    /// </summary>
    private const int N = 100_000;

    private static (float[] Matrix, bool[] Labels) Data()
    {
        var rng = new Random(11);
        var m = new float[N * Slots];
        var labels = new bool[N];
        for (var i = 0; i < N; i++)
        {
            var x = (float)rng.NextDouble();
            var z = (float)rng.NextDouble();
            m[i * Slots] = x;
            m[i * Slots + 1] = z;
            m[i * Slots + 2] = rng.NextDouble() < 0.3 ? float.NaN : (float)rng.NextDouble();
            m[i * Slots + 3] = rng.NextDouble() < 0.5 ? 1 : 0;
            m[i * Slots + 4] = (float)rng.NextDouble();
            m[i * Slots + 5] = (float)(rng.NextDouble() * 100);
            labels[i] = rng.NextDouble() < 0.15 + 0.5 * x + 0.2 * z * m[i * Slots + 3];
        }
        return (m, labels);
    }

    public static TheoryData<string, bool> Trainers() => new()
    {
        { "lightgbm", false }, { "lightgbm", true }, { "fasttree", false }, { "fastforest", false }, { "logistic", false }, { "logistic", true },
    };

    [Theory, MemberData(nameof(Trainers))]
    public void Every_trainer_fits_the_same_model_from_the_view_as_from_a_copy(string algorithm, bool balanced)
    {
        var (matrix, labels) = Data();
        var options = new TrainerCatalog().Default(TrainerCatalog.Parse(algorithm)) with { Threads = 1, Weighting = balanced ? ClassWeighting.Balanced : ClassWeighting.None };
        // The logistic trainer needs imputed cells; NaN is what the tree trainers see as missing.
        if (options.NeedsImputation) matrix = Array.ConvertAll(matrix, v => float.IsNaN(v) ? 0 : v);

        // As in training: the data view and the trainer on one context.
        var viaView = MlNetFitter.Fit(new MLContext(7), options, 7, matrix, Slots, labels);
        var copyContext = new MLContext(7);
        var viaCopy = MlNetFitter.Fit(copyContext, options, 7, labels, w => MlNetFitter.ToDataViewByCopy(copyContext, matrix, Slots, labels, w));

        var fromView = MlNetFitter.Margins(new MLContext(7), viaView, matrix, Slots);
        var fromCopy = MlNetFitter.Margins(viaCopy, MlNetFitter.ToDataViewByCopy(new MLContext(7), matrix, Slots));
        fromView.ShouldBe(fromCopy);
        fromView.Distinct().Count().ShouldBeGreaterThan(10, "a model that learned something");
    }

    [Theory, MemberData(nameof(Trainers))]
    public void A_fold_read_through_row_indexes_fits_as_its_copied_rows_do(string algorithm, bool balanced)
    {
        var (matrix, labels) = Data();
        var options = new TrainerCatalog().Default(TrainerCatalog.Parse(algorithm)) with { Threads = 1, Weighting = balanced ? ClassWeighting.Balanced : ClassWeighting.None };
        if (options.NeedsImputation) matrix = Array.ConvertAll(matrix, v => float.IsNaN(v) ? 0 : v);
        var train = Enumerable.Range(0, N).Where(i => i % 3 != 1).ToArray();
        var valid = Enumerable.Range(0, N).Where(i => i % 3 == 1).ToArray();
        var trainLabels = train.Select(i => labels[i]).ToArray();

        var viaIndexes = MlNetFitter.Fit(new MLContext(3), options, 3, matrix, Slots, trainLabels, train);
        var copied = Copy(matrix, train);
        var copyContext = new MLContext(3);
        var viaCopy = MlNetFitter.Fit(copyContext, options, 3, trainLabels, w => MlNetFitter.ToDataViewByCopy(copyContext, copied, Slots, trainLabels, w));

        MlNetFitter.Margins(new MLContext(3), viaIndexes, matrix, Slots, valid)
            .ShouldBe(MlNetFitter.Margins(viaCopy, MlNetFitter.ToDataViewByCopy(new MLContext(3), Copy(matrix, valid), Slots)));
    }

    [Fact]
    public void The_view_reads_its_rows_labels_and_weights_in_order_and_refuses_a_column_not_asked_for()
    {
        var matrix = Enumerable.Range(0, 12).Select(i => (float)i).ToArray(); // 4 rows of 3
        var view = new MatrixDataView(matrix, 3, rows: [3, 1], labels: [true, false], positiveWeight: 2.5f);

        view.GetRowCount().ShouldBe(2);
        view.CanShuffle.ShouldBeFalse();
        view.Schema.Select(c => c.Name).ShouldBe(["Features", "Label", "Weight"]);
        view.Schema["Features"].Type.ShouldBe(new VectorDataViewType(NumberDataViewType.Single, 3));
        view.GetColumn<float[]>("Features").ToArray().ShouldBe([[9f, 10f, 11f], [3f, 4f, 5f]]);
        view.GetColumn<bool>("Label").ToArray().ShouldBe([true, false]);
        view.GetColumn<float>("Weight").ToArray().ShouldBe([2.5f, 1f]);

        using var cursor = view.GetRowCursor([view.Schema["Label"]]);
        cursor.IsColumnActive(view.Schema["Features"]).ShouldBeFalse();
        Should.Throw<InvalidOperationException>(() => cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]));
        Should.Throw<ArgumentException>(() => new MatrixDataView(matrix, 3, labels: [true]));
    }

    private static float[] Copy(float[] matrix, int[] rows)
    {
        var m = new float[rows.Length * Slots];
        for (var j = 0; j < rows.Length; j++) Array.Copy(matrix, rows[j] * Slots, m, j * Slots, Slots);
        return m;
    }
}
