using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace LeadScore.Core;

/// <summary>
/// An immutable map of attribute names to values, held in one array (names in ordinal order, each followed by its value)
/// and found by binary search. A <see cref="Dictionary{TKey,TValue}"/> of a handful of attributes costs about 330 bytes
/// beyond its strings; this costs 24 plus 16 a pair. Stores read millions of them at once: the enrichment snapshot every
/// <c>serve</c> instance keeps (2.95 M records at 1M leads) and the training-set build's streams.
/// Enumerates in ordinal order of the names, as the stored JSON is written.
/// </summary>
public sealed class AttributeMap : IReadOnlyDictionary<string, string?>
{
    public static readonly AttributeMap Empty = new([]);

    // name0, value0, name1, value1, ... with the names in ordinal order and distinct.
    private readonly string?[] _items;

    private AttributeMap(string?[] items) => _items = items;

    /// <summary>The pairs as a map; a name given twice keeps its last value.</summary>
    public static AttributeMap From(IEnumerable<KeyValuePair<string, string?>> pairs)
    {
        var list = pairs as IReadOnlyCollection<KeyValuePair<string, string?>> ?? pairs.ToList();
        if (list.Count == 0) return Empty;
        var keys = new string[list.Count];
        var values = new string?[list.Count];
        var i = 0;
        foreach (var (k, v) in list)
        {
            ArgumentNullException.ThrowIfNull(k);
            keys[i] = k;
            values[i++] = v;
        }
        return FromArrays(keys, values, i);
    }

    /// <summary>
    /// The first <paramref name="count"/> names and values as a map (a name given twice keeps its last value); sorts the
    /// two arrays in place. For readers that collect the pairs themselves.
    /// </summary>
    public static AttributeMap FromArrays(string[] keys, string?[] values, int count)
    {
        if (count == 0) return Empty;
        // Stored maps are written with their names in order (the common case): no sort, no copy but the one array.
        var ordered = true;
        for (var i = 1; i < count && ordered; i++) ordered = string.CompareOrdinal(keys[i - 1], keys[i]) < 0;
        if (ordered)
        {
            var pairs = new string?[count * 2];
            for (var i = 0; i < count; i++)
            {
                pairs[2 * i] = keys[i];
                pairs[2 * i + 1] = values[i];
            }
            return new AttributeMap(pairs);
        }
        // A stable order by name, so that of equal names the one given last is kept.
        var order = new int[count];
        for (var i = 0; i < count; i++) order[i] = i;
        Array.Sort(order, (a, b) => string.CompareOrdinal(keys[a], keys[b]) is var c && c != 0 ? c : a.CompareTo(b));
        var items = new List<string?>(count * 2);
        for (var i = 0; i < count; i++)
        {
            if (i + 1 < count && string.Equals(keys[order[i]], keys[order[i + 1]], StringComparison.Ordinal)) continue;
            items.Add(keys[order[i]]);
            items.Add(values[order[i]]);
        }
        return new AttributeMap([.. items]);
    }

    public int Count => _items.Length / 2;

    public string? this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"no attribute '{key}'");

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string? value)
    {
        var i = IndexOf(key);
        if (i < 0) { value = null; return false; }
        value = _items[2 * i + 1];
        return true;
    }

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int lo = 0, hi = Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(_items[2 * mid], key);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }

    public IEnumerable<string> Keys
    {
        get { for (var i = 0; i < _items.Length; i += 2) yield return _items[i]!; }
    }

    public IEnumerable<string?> Values
    {
        get { for (var i = 1; i < _items.Length; i += 2) yield return _items[i]; }
    }

    public IEnumerator<KeyValuePair<string, string?>> GetEnumerator()
    {
        for (var i = 0; i < _items.Length; i += 2) yield return new KeyValuePair<string, string?>(_items[i]!, _items[i + 1]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
