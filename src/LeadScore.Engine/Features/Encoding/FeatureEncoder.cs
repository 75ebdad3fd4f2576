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
    /// <summary>
    /// A categorical feature with more levels seen at least <see cref="MinCategoryCount"/> times than this (a landing-page,
    /// campaign or form code) is target-encoded into one slot instead of one-hot: the smoothed log-odds of conversion of
    /// its level. Null = never (one-hot of the <see cref="MaxCategories"/> most frequent levels).
    /// </summary>
    public int? TargetEncodeAbove { get; init; } = 50;
    /// <summary>Pseudo-count of the prior in the target encoding's m-estimate (a level seen m times sits halfway to the prior).</summary>
    public double TargetSmoothing { get; init; } = 20;
    /// <summary>Keep at most this many target-encoded levels (most frequent first); the rest are pooled as rare.</summary>
    public int MaxTargetLevels { get; init; } = 10_000;
}

/// <summary>
/// Turns feature rows into the float vectors models train and score on: one slot per numeric
/// feature, one-hot slots per categorical feature, or one target-encoded slot for a categorical feature with hundreds
/// of repeated levels (<see cref="EncoderOptions.TargetEncodeAbove"/>). Target encoding is fitted on the training rows
/// only; the training rows themselves get out-of-fold values (<see cref="EncodeTraining"/>), so a row's own label never
/// sits in its feature. Fitted once on training data, then immutable
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
            if (e.TargetValues is not null)
            {
                slotFeature.Add(f); slotNames.Add($"{features[f].Name} (target-encoded)");
            }
            else if (e.Categories is { } cats)
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
                for (var r = 0; r < frame.Count; r++)
                {
                    if (frame[r, f].Category is { } c) counts[c] = counts.GetValueOrDefault(c) + 1;
                    else missing++;
                }
                var frequent = counts.Where(kv => kv.Value >= options.MinCategoryCount)
                    .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).ToList();
                var target = options.TargetEncodeAbove is { } above && frequent.Count > above && frame.Labels.Count == frame.Count;
                var cats = frequent.Take(target ? options.MaxTargetLevels : options.MaxCategories).ToList();
                if (counts.Count > cats.Count) cats.Add(RareCategory);
                if (missing > 0) cats.Add(MissingCategory);
                var e = new EncodedFeature { Categories = cats };
                if (target)
                {
                    var lookup = cats.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
                    var (pos, all) = LevelCounts(frame, f, lookup, cats.Count, _ => true);
                    var prior = Prior(frame.Labels, _ => true);
                    e = new EncodedFeature
                    {
                        Categories = cats, Prior = LogOdds(prior),
                        TargetValues = [.. Enumerable.Range(0, cats.Count).Select(i => LogOdds(Smoothed(pos[i], all[i], prior, options.TargetSmoothing)))],
                        TargetSmoothing = options.TargetSmoothing,
                    };
                }
                encodings.Add(e);
            }
            else
            {
                double sum = 0, sumSq = 0;
                var n = 0;
                var missing = 0;
                for (var r = 0; r < frame.Count; r++)
                {
                    var v = frame.Number(r, f);
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

    /// <summary>
    /// For a target-encoded feature, how a category converts against the average of the training rows (its smoothed rate
    /// over the prior rate; 3 = "converts 3x the average"); null for other features or when the category has no value.
    /// </summary>
    public double? TargetRateRatio(int feature, string? category)
    {
        var e = Encodings[feature];
        if (e.TargetValues is not { } tv || category is null) return null;
        var idx = LevelIndex(e, category);
        if (idx < 0) return null;
        static double P(double logOdds) => 1 / (1 + Math.Exp(-logOdds));
        return P(tv[idx]) / P(e.Prior);
    }

    /// <summary>Whether any feature is target-encoded (then training rows need <see cref="EncodeTraining"/>).</summary>
    [JsonIgnore] public bool HasTargetEncoding => Encodings.Any(e => e.TargetValues is not null);

    /// <summary>
    /// Encodes the rows this encoder was fitted on for training: like <see cref="EncodeAll"/>, except that a target-encoded
    /// slot of a row in fold k holds its level's value computed from the other folds only (out-of-fold, as scikit-learn's
    /// TargetEncoder.fit_transform does), so the model never learns from a row's own label through its feature.
    /// </summary>
    public float[] EncodeTraining(FeatureFrame frame, int[] foldOf, int folds)
    {
        var m = EncodeAll(frame);
        if (!HasTargetEncoding) return m;
        if (foldOf.Length != frame.Count || frame.Labels.Count != frame.Count) throw new ArgumentException("one fold and one label per row are needed", nameof(foldOf));
        for (var f = 0; f < Encodings.Count; f++)
        {
            var e = Encodings[f];
            if (e.TargetValues is null) continue;
            for (var k = 0; k < folds; k++)
            {
                var fold = k;
                var (pos, all) = LevelCounts(frame, f, e.Lookup!, e.Categories!.Count, r => foldOf[r] != fold);
                var prior = Prior(frame.Labels, r => foldOf[r] != fold);
                for (var r = 0; r < frame.Count; r++)
                {
                    if (foldOf[r] != fold) continue;
                    var idx = LevelIndex(e, frame[r, f].Category);
                    m[(long)r * SlotCount + e.FirstSlot] = (float)(idx < 0 ? LogOdds(prior) : LogOdds(Smoothed(pos[idx], all[idx], prior, e.TargetSmoothing)));
                }
            }
        }
        return m;
    }

    private static (double[] Pos, double[] All) LevelCounts(FeatureFrame frame, int f, Dictionary<string, int> lookup, int levels, Func<int, bool> use)
    {
        var pos = new double[levels]; var all = new double[levels];
        var missing = lookup.GetValueOrDefault(MissingCategory, -1);
        var rare = lookup.GetValueOrDefault(RareCategory, -1);
        for (var r = 0; r < frame.Count; r++)
        {
            if (!use(r)) continue;
            var c = frame[r, f].Category;
            var idx = c is null ? missing : lookup.TryGetValue(c, out var i) ? i : rare;
            if (idx < 0) continue;
            all[idx]++;
            if (frame.Labels[r]) pos[idx]++;
        }
        return (pos, all);
    }

    private static double Prior(IReadOnlyList<bool> labels, Func<int, bool> use)
    {
        double pos = 0, all = 0;
        for (var r = 0; r < labels.Count; r++) if (use(r)) { all++; if (labels[r]) pos++; }
        return all == 0 ? 0.5 : Math.Clamp(pos / all, 1e-4, 1 - 1e-4);
    }

    private static double Smoothed(double pos, double all, double prior, double m) => (pos + m * prior) / (all + m);

    private static double LogOdds(double p) { p = Math.Clamp(p, 1e-4, 1 - 1e-4); return Math.Log(p / (1 - p)); }

    private static int LevelIndex(EncodedFeature e, string? c) =>
        c is null ? e.Lookup!.GetValueOrDefault(MissingCategory, -1)
        : e.Lookup!.TryGetValue(c, out var idx) ? idx : e.Lookup!.GetValueOrDefault(RareCategory, -1);

    /// <summary>Encodes one row into <paramref name="slots"/> (length <see cref="SlotCount"/>). Allocates nothing.</summary>
    public void Encode(ReadOnlySpan<FeatureValue> row, Span<float> slots)
    {
        if (row.Length != Encodings.Count) throw new ArgumentException($"Expected {Encodings.Count} features, got {row.Length}.", nameof(row));
        for (var f = 0; f < Encodings.Count; f++)
        {
            var e = Encodings[f];
            var s = e.FirstSlot;
            if (e.TargetValues is { } tv)
            {
                var idx = LevelIndex(e, row[f].Category);
                slots[s] = (float)(idx < 0 ? e.Prior : tv[idx]);
            }
            else if (e.Lookup is { } lookup)
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
                // Every number is read at float precision, the precision of a frame's cell (FeatureFrame), so a row scored
                // online and the same row read back from a training set encode to the same slots, to the bit.
                var v = (double)(float)row[f].Number;
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
        var row = new FeatureValue[frame.Features.Count];
        for (var r = 0; r < frame.Count; r++)
        {
            frame.CopyRow(r, row);
            Encode(row, m.AsSpan(r * SlotCount, SlotCount));
        }
        return m;
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static FeatureEncoder FromJson(string json) => JsonSerializer.Deserialize<FeatureEncoder>(json, Json) ?? throw new InvalidDataException("empty encoder");
}

/// <summary>How one feature is encoded.</summary>
public sealed class EncodedFeature
{
    /// <summary>One-hot categories in slot order, or the target-encoded levels (null for numeric features).</summary>
    public List<string>? Categories { get; init; }
    public double Mean { get; init; }
    public double Scale { get; init; } = 1;
    public bool HasMissingSlot { get; init; }
    /// <summary>Target encoding: the smoothed log-odds of conversion per category (parallel to <see cref="Categories"/>); null = one-hot.</summary>
    public List<double>? TargetValues { get; init; }
    /// <summary>Target encoding: the training rows' log-odds, for a level with no value.</summary>
    public double Prior { get; init; }
    /// <summary>Target encoding: the m-estimate's pseudo-count used at fit.</summary>
    public double TargetSmoothing { get; init; }

    [JsonIgnore] internal int FirstSlot { get; set; }
    [JsonIgnore] internal Dictionary<string, int>? Lookup { get; set; }
}
