using Microsoft.ML;
using Microsoft.ML.Data;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// Moves a row-major slot matrix in and out of ML.NET in the shape LeadScore's models use: one
/// float-vector column "Features" and a bool "Label". Used to compare ML.NET with the compiled
/// scorer (tests, benchmarks).
/// </summary>
internal static class MlNetMatrix
{
    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    public static IDataView ToDataView(MLContext ml, float[] matrix, int slotCount, IReadOnlyList<bool>? labels = null)
    {
        var rows = matrix.Length / slotCount;
        var items = new Row[rows];
        for (var r = 0; r < rows; r++)
            items[r] = new Row { Features = matrix.AsSpan(r * slotCount, slotCount).ToArray(), Label = labels is not null && labels[r] };
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, slotCount);
        return ml.Data.LoadFromEnumerable(items, schema);
    }

    public static float[] Column(IDataView data, string name) => data.GetColumn<float>(name).ToArray();
}
