using Microsoft.ML;
using Microsoft.ML.Data;

namespace LeadScore.Engine.Modeling;

/// <summary>
/// Fits ML.NET trainers on an encoded, row-major float matrix and reads back raw margins
/// (ML.NET's "Score" column). The only place that turns LeadScore data into an IDataView: training,
/// evaluation, and the tests and benchmarks that compare ML.NET with the compiled scorer all use it.
/// </summary>
internal static class MlNetFitter
{
    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
        public float Weight { get; set; } = 1;
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    /// <summary>
    /// A row-major slot matrix (or the rows <paramref name="rows"/> of it) as an IDataView, without copying it
    /// (<see cref="MatrixDataView"/>): a float-vector "Features" column, a bool "Label" (false without labels; one per
    /// row of the view) and a "Weight" (<paramref name="positiveWeight"/> on positive rows; trainers read it only when told to).
    /// </summary>
    public static IDataView ToDataView(MLContext ml, ReadOnlyMemory<float> matrix, int slotCount, IReadOnlyList<bool>? labels = null, float positiveWeight = 1, int[]? rows = null)
    {
        // LoadFromEnumerable's view registered a host on the context, which draws one number from the context's random
        // source; trainers seed their own hosts from the same source (LightGBM and FastTree sample rows for their bins with
        // it above 65,536 rows). Drawing it here too keeps every model what it was when the data went in that way.
        ((Microsoft.ML.Runtime.IHostEnvironment)ml).Register("StreamingDataView");
        return new MatrixDataView(matrix, slotCount, rows, labels, positiveWeight);
    }

    /// <summary>
    /// The same data as <see cref="ToDataView"/> through ML.NET's <c>LoadFromEnumerable</c> over one array per row (a
    /// copy of the matrix): how the data went in until 2026-12-06, kept so that a test shows both fit the same models.
    /// </summary>
    internal static IDataView ToDataViewByCopy(MLContext ml, ReadOnlyMemory<float> matrix, int slotCount, IReadOnlyList<bool>? labels = null, float positiveWeight = 1)
    {
        var n = matrix.Length / slotCount;
        var def = SchemaDefinition.Create(typeof(Row));
        def[TrainerOptions.FeaturesColumn].ColumnType = new VectorDataViewType(NumberDataViewType.Single, slotCount);
        var rows = new Row[n];
        var span = matrix.Span;
        for (var i = 0; i < n; i++)
        {
            var label = labels is not null && labels[i];
            rows[i] = new Row
            {
                Features = span.Slice(i * slotCount, slotCount).ToArray(),
                Label = label,
                Weight = label ? positiveWeight : 1f,
            };
        }
        return ml.Data.LoadFromEnumerable(rows, def);
    }

    /// <summary>
    /// Fits one trainer on the matrix rows <paramref name="rows"/> (null: every row; <paramref name="labels"/> has one per
    /// row fitted on). Positive rows weigh negatives/positives under <see cref="ClassWeighting.Balanced"/>.
    /// </summary>
    public static ITransformer Fit(MLContext ml, TrainerOptions options, int seed, ReadOnlyMemory<float> matrix, int slotCount, IReadOnlyList<bool> labels, int[]? rows = null) =>
        Fit(ml, options, seed, labels, w => ToDataView(ml, matrix, slotCount, labels, w, rows));

    /// <summary><see cref="Fit(MLContext, TrainerOptions, int, ReadOnlyMemory{float}, int, IReadOnlyList{bool}, int[])"/> on the data <paramref name="data"/> makes for a positive weight.</summary>
    internal static ITransformer Fit(MLContext ml, TrainerOptions options, int seed, IReadOnlyList<bool> labels, Func<float, IDataView> data)
    {
        var pos = labels.Count(l => l);
        var neg = labels.Count - pos;
        var w = options.Weighting == ClassWeighting.Balanced && pos > 0 ? (float)neg / pos : 1f;
        var view = data(w);
        var estimator = options.CreateEstimator(ml, seed);
        return options.Algorithm == ModelAlgorithm.LightGbm
            ? LightGbmNative.Exclusive(() => estimator.Fit(view))
            : estimator.Fit(view);
    }

    /// <summary>One float column of a data view, e.g. "Score" or "Probability".</summary>
    public static float[] Column(IDataView data, string name) => data.GetColumn<float>(name).ToArray();

    /// <summary>Raw margins (the "Score" column) for every row of the matrix.</summary>
    public static double[] Margins(MLContext ml, ITransformer model, ReadOnlyMemory<float> matrix, int slotCount, int[]? rows = null) =>
        Margins(model, ToDataView(ml, matrix, slotCount, null, rows: rows));

    /// <summary>Raw margins (the "Score" column) for every row of <paramref name="data"/>.</summary>
    internal static double[] Margins(ITransformer model, IDataView data)
    {
        var scored = model.Transform(data);
        var scores = scored.GetColumn<float>("Score").ToArray();
        return Array.ConvertAll(scores, s => (double)s);
    }
}
