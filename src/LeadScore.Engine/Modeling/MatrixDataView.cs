using Microsoft.ML;
using Microsoft.ML.Data;

namespace LeadScore.Engine.Modeling;

/// <summary>
/// A row-major slot matrix, or some of its rows, as an ML.NET <see cref="IDataView"/> without copying it: the
/// "Features" vector of a row is copied into the cursor's buffer when a trainer reads it. The columns, their order
/// and types, the row order, the row count and "cannot shuffle" are those of <c>LoadFromEnumerable</c> over an array
/// of rows, so a trainer fits the same model from either; this one holds no second copy of the data (one per fold in
/// cross-validation, 1-2 GB each at 800,000 rows).
/// </summary>
internal sealed class MatrixDataView : IDataView
{
    private readonly ReadOnlyMemory<float> _matrix;
    private readonly int _slots;
    private readonly int[]? _rows;
    private readonly IReadOnlyList<bool>? _labels;
    private readonly float _positiveWeight;
    private readonly int _count;

    /// <param name="matrix">Row-major cells, <paramref name="slots"/> a row.</param>
    /// <param name="slots">Cells per row.</param>
    /// <param name="rows">The matrix rows this view shows, in this order; null for every row.</param>
    /// <param name="labels">The label of each row of the view (not of the matrix); null reads false.</param>
    /// <param name="positiveWeight">The "Weight" of a positive row; 1 for negative rows.</param>
    public MatrixDataView(ReadOnlyMemory<float> matrix, int slots, int[]? rows = null, IReadOnlyList<bool>? labels = null, float positiveWeight = 1)
    {
        if (slots <= 0) throw new ArgumentOutOfRangeException(nameof(slots));
        _matrix = matrix;
        _slots = slots;
        _rows = rows;
        _labels = labels;
        _positiveWeight = positiveWeight;
        _count = rows?.Length ?? matrix.Length / slots;
        if (labels is not null && labels.Count != _count) throw new ArgumentException($"{labels.Count} labels for {_count} rows", nameof(labels));
        var schema = new DataViewSchema.Builder();
        schema.AddColumn(TrainerOptions.FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, slots));
        schema.AddColumn(TrainerOptions.LabelColumn, BooleanDataViewType.Instance);
        schema.AddColumn(TrainerOptions.WeightColumn, NumberDataViewType.Single);
        Schema = schema.ToSchema();
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => false;

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this, columnsNeeded);

    /// <summary>One cursor: the rows are read in order, as from <c>LoadFromEnumerable</c>.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly MatrixDataView _view;
        private readonly bool[] _active;
        private long _position = -1;

        public Cursor(MatrixDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _view = view;
            _active = new bool[view.Schema.Count];
            foreach (var c in columnsNeeded) _active[c.Index] = true;
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._count) { _position = _view._count; return false; }
            _position++;
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        private bool Label => _view._labels is { } labels && labels[(int)_position];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index]) throw new InvalidOperationException($"column '{column.Name}' was not asked for when the cursor was made");
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
                {
                    var slots = _view._slots;
                    var row = _view._rows is { } rows ? rows[(int)_position] : (int)_position;
                    var editor = VBufferEditor.Create(ref dst, slots);
                    _view._matrix.Span.Slice(row * slots, slots).CopyTo(editor.Values);
                    dst = editor.Commit();
                }),
                1 => (ValueGetter<bool>)((ref bool value) => value = Label),
                2 => (ValueGetter<float>)((ref float value) => value = Label ? _view._positiveWeight : 1f),
                _ => throw new ArgumentOutOfRangeException(nameof(column)),
            };
            return getter as ValueGetter<TValue> ?? throw new InvalidOperationException($"column '{column.Name}' is not of type {typeof(TValue).Name}");
        }
    }
}
