using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;

namespace LeadScore.Engine.Features.Encoding;

/// <summary>Options for fitting a <see cref="FeatureEncoder"/>.</summary>
public sealed record EncoderOptions
{
    /// <summary>
    /// For linear models: replace missing numbers by the training mean (adding a missing-indicator
    /// slot where values were missing) and standardise to zero mean, unit variance. Trees keep NaN.
    /// </summary>
    public bool ImputeAndStandardize { get; init; }
    /// <summary>Categories seen fewer times than this share one "(rare)" slot.</summary>
    public int MinCategoryCount { get; init; } = 10;
    /// <summary>At most this many one-hot slots per categorical feature (most frequent first).</summary>
    public int MaxCategories { get; init; } = 50;
}

/// <summary>
/// Turns feature rows into the float vectors models train and score on: one slot per numeric
/// feature, one-hot slots per categorical feature. Fitted once on training data, then immutable
/// and shared by training, the compiled scorer and explanations, so the vector is the same
/// everywhere. <see cref="SlotFeature"/> maps every slot back to the feature a person recognises.
/// </summary>
public sealed class FeatureEncoder
{
    public const string RareCategory = "(rare)";
    public const string MissingCategory = "(missing)";

    [JsonConstructor]
    public FeatureEncoder(IReadOnlyList<FeatureInfo> features, IReadOnlyList<EncodedFeature> encodings, bool imputeAndStandardize)
    {
        Features = features;
        Encodings = encodings;
        ImputeAndStandardize = imputeAndStandardize;
        var slotFeature = new List<int>();
        var slotNames = new List<string>();
        for (var f = 0; f < encodings.Count; f++)
        {
            var e = encodings[f];
            e.FirstSlot = slotFeature.Count;
            if (e.Categories is { } cats)
            {
                foreach (var c in cats) { slotFeature.Add(f); slotNames.Add($"{features[f].Name}={c}"); }
            }
            else
            {
                slotFeature.Add(f); slotNames.Add(features[f].Name);
                if (e.HasMissingSlot) { slotFeature.Add(f); slotNames.Add($"{features[f].Name} (missing)"); }
            }
            e.Lookup = e.Categories?.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        }
        SlotFeature = slotFeature.ToArray();
        SlotNames = slotNames.ToArray();
    }

    public IReadOnlyList<FeatureInfo> Features { get; }
    public IReadOnlyList<EncodedFeature> Encodings { get; }
    public bool ImputeAndStandardize { get; }

    [JsonIgnore] public int SlotCount => SlotFeature.Length;
    /// <summary>For each slot, the index of the feature it belongs to.</summary>
    [JsonIgnore] public int[] SlotFeature { get; }
    [JsonIgnore] public string[] SlotNames { get; }

    public static FeatureEncoder Fit(FeatureFrame frame, EncoderOptions? options = null)
    {
        options ??= new EncoderOptions();
        var encodings = new List<EncodedFeature>();
        for (var f = 0; f < frame.Features.Count; f++)
        {
            if (frame.Features[f].Kind == FeatureKind.Categorical)
            {
                var counts = new Dictionary<string, int>(StringComparer.Ordinal);
                var missing = 0;
                foreach (var row in frame.Rows)
                {
                    if (row[f].Category is { } c) counts[c] = counts.GetValueOrDefault(c) + 1;
                    else missing++;
                }
                var cats = counts.Where(kv => kv.Value >= options.MinCategoryCount)
                    .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                    .Take(options.MaxCategories).Select(kv => kv.Key).ToList();
                if (counts.Count > cats.Count) cats.Add(RareCategory);
                if (missing > 0) cats.Add(MissingCategory);
                encodings.Add(new EncodedFeature { Categories = cats });
            }
            else
            {
                double sum = 0, sumSq = 0;
                var n = 0;
                var missing = 0;
                foreach (var row in frame.Rows)
                {
                    var v = row[f].Number;
                    if (double.IsNaN(v)) { missing++; continue; }
                    sum += v; sumSq += v * v; n++;
                }
                var mean = n > 0 ? sum / n : 0;
                var sd = n > 1 ? Math.Sqrt(Math.Max(0, sumSq / n - mean * mean)) : 1;
                encodings.Add(new EncodedFeature
                {
                    Mean = mean,
                    Scale = sd > 1e-12 ? sd : 1,
                    HasMissingSlot = options.ImputeAndStandardize && missing > 0,
                });
            }
        }
        return new FeatureEncoder(frame.Features, encodings, options.ImputeAndStandardize);
    }

    /// <summary>Encodes one row into <paramref name="slots"/> (length <see cref="SlotCount"/>). Allocates nothing.</summary>
    public void Encode(ReadOnlySpan<FeatureValue> row, Span<float> slots)
    {
        if (row.Length != Encodings.Count) throw new ArgumentException($"Expected {Encodings.Count} features, got {row.Length}.", nameof(row));
        for (var f = 0; f < Encodings.Count; f++)
        {
            var e = Encodings[f];
            var s = e.FirstSlot;
            if (e.Lookup is { } lookup)
            {
                var n = e.Categories!.Count;
                slots.Slice(s, n).Clear();
                var c = row[f].Category;
                int idx;
                if (c is null) idx = lookup.GetValueOrDefault(MissingCategory, -1);
                else if (!lookup.TryGetValue(c, out idx)) idx = lookup.GetValueOrDefault(RareCategory, -1);
                if (idx >= 0) slots[s + idx] = 1f;
            }
            else
            {
                var v = row[f].Number;
                if (!ImputeAndStandardize) { slots[s] = (float)v; continue; }
                var missing = double.IsNaN(v);
                slots[s] = missing ? 0f : (float)((v - e.Mean) / e.Scale);
                if (e.HasMissingSlot) slots[s + 1] = missing ? 1f : 0f;
            }
        }
    }

    public float[] Encode(ReadOnlySpan<FeatureValue> row)
    {
        var slots = new float[SlotCount];
        Encode(row, slots);
        return slots;
    }

    /// <summary>Encodes every row of a frame into one row-major matrix (rows x <see cref="SlotCount"/>).</summary>
    public float[] EncodeAll(FeatureFrame frame)
    {
        var m = new float[(long)frame.Count * SlotCount];
        for (var r = 0; r < frame.Count; r++) Encode(frame.Rows[r], m.AsSpan(r * SlotCount, SlotCount));
        return m;
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static FeatureEncoder FromJson(string json) => JsonSerializer.Deserialize<FeatureEncoder>(json, Json) ?? throw new InvalidDataException("empty encoder");
}

/// <summary>How one feature is encoded.</summary>
public sealed class EncodedFeature
{
    /// <summary>One-hot categories in slot order (null for numeric features).</summary>
    public List<string>? Categories { get; init; }
    public double Mean { get; init; }
    public double Scale { get; init; } = 1;
    public bool HasMissingSlot { get; init; }

    [JsonIgnore] internal int FirstSlot { get; set; }
    [JsonIgnore] internal Dictionary<string, int>? Lookup { get; set; }
}
