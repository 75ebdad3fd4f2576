namespace LeadScore.Application.Monitoring;

/// <summary>
/// A window's drift sample when its logged feature rows carry different weights (a row logged at sample rate r stands for
/// 1 / r predictions; see <see cref="MonitoringOptions.FeatureRowsPerSecond"/>). Exact and streamed: each row gets the key
/// u / w (u uniform), the <c>capacity</c> smallest keys are kept, and at the end only keys below 1 / max w count. A row
/// passes that threshold with probability w / max w (a Poisson sample proportional to weight, so each prediction is equally
/// likely to be represented), and the passing keys, scaled, are independent uniforms whatever the weights, so the smallest
/// ones are a uniform subset of that sample. Memory: <c>capacity</c> rows, whatever the window's size.
/// </summary>
internal sealed class WeightedRowSample
{
    private readonly int _rowBytes;
    private readonly byte[]?[] _blobs;
    private readonly double[] _keys;
    private readonly PriorityQueue<int, double> _largest; // the kept slots, largest key first
    private Random _random = new(0);
    private int _count;
    private double _maxWeight;

    public WeightedRowSample(int capacity, int rowBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _rowBytes = rowBytes;
        _blobs = new byte[capacity][];
        _keys = new double[capacity];
        Scores = new double[capacity];
        Grades = new string?[capacity];
        Ages = new int[capacity];
        _largest = new PriorityQueue<int, double>(capacity, Comparer<double>.Create((a, b) => b.CompareTo(a)));
    }

    public int Capacity { get; }
    public double[] Scores { get; }
    public string?[] Grades { get; }
    public int[] Ages { get; }

    /// <summary>Starts a window (seeded: the same log gives the same sample).</summary>
    public void Reset(int seed)
    {
        _random = new Random(seed);
        _largest.Clear();
        _count = 0;
        _maxWeight = 0;
    }

    /// <summary>Offers one row of <paramref name="weight"/>: the slot to copy it into (<see cref="Buffer"/>), or -1 when it is not kept.</summary>
    public int Offer(double weight)
    {
        if (!(weight > 0) || double.IsInfinity(weight)) weight = 1;
        if (weight > _maxWeight) _maxWeight = weight;
        var key = _random.NextDouble() / weight;
        int slot;
        if (_count < Capacity) slot = _count++;
        else
        {
            _largest.TryPeek(out _, out var top);
            if (key >= top) return -1;
            slot = _largest.Dequeue();
        }
        _largest.Enqueue(slot, key);
        _keys[slot] = key;
        return slot;
    }

    /// <summary>The feature buffer of a slot (allocated once, reused window after window).</summary>
    public byte[] Buffer(int slot) => _blobs[slot] ??= new byte[_rowBytes];

    /// <summary>The slots of the sample: the kept rows whose key is below 1 / the window's largest weight.</summary>
    public IEnumerable<int> Sample()
    {
        for (var i = 0; i < _count; i++)
            if (_keys[i] * _maxWeight < 1) yield return i;
    }
}
