using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Metrics;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// What a model saw when it was trained, kept in its artifact so monitoring can compare live leads with it: per-feature
/// distributions of the training rows, a bounded seeded sample of them (in <see cref="FeatureRowCodec"/> form, the
/// prediction log's), the held-out probabilities (bounded) with their labels, the held-out grade mix and calibration per
/// grade, and the held-out figures concept drift is judged against. Artifacts from before this entry load without it.
/// </summary>
public sealed record ModelReference
{
    /// <summary>Training rows sampled at most (seeded), for drift tests that need rows.</summary>
    public const int MaxSampleRows = 5000;
    /// <summary>Held-out probabilities kept at most (seeded).</summary>
    public const int MaxHeldOutScores = 5000;
    /// <summary>Quantiles kept per numeric feature: 0%, 5%, ..., 100%.</summary>
    public const int QuantilePoints = 21;

    public int FormatVersion { get; init; } = 1;
    /// <summary>Training rows the distributions were computed on.</summary>
    public required int TrainingRows { get; init; }
    public required IReadOnlyList<FeatureReference> Features { get; init; }
    /// <summary>Rows in the sample (<see cref="ArtifactEntries.ReferenceSample"/>).</summary>
    public required int SampleRows { get; init; }
    /// <summary>Held-out calibrated probabilities, and their labels in the same order.</summary>
    public required double[] HeldOutProbabilities { get; init; }
    public required bool[] HeldOutLabels { get; init; }
    /// <summary>Held-out rows per grade (A-D).</summary>
    public required IReadOnlyDictionary<string, int> GradeMix { get; init; }
    public required IReadOnlyList<GradeCalibrationReference> Calibration { get; init; }
    public required double HeldOutAuc { get; init; }
    public required double HeldOutEce { get; init; }
    /// <summary>Permutation importance (held-out AUC drop) by feature; empty when training computed none.</summary>
    public required IReadOnlyDictionary<string, double> Importance { get; init; }
    /// <summary>
    /// The lead age (days from the lead's creation to the row's decision time) of each sample row, in sample order; null when
    /// unknown (a flat table, or a model trained before ages were kept). Monitoring compares log rows of the same ages.
    /// </summary>
    public double[]? SampleAgesDays { get; init; }
    /// <summary>The distinct lead ages of the training rows (days, ascending; from the sample); null when unknown.</summary>
    public double[]? DecisionAgesDays { get; init; }

    /// <summary>The sample rows, encoded (<see cref="SampleRows"/> x the codec's row size); not in the JSON entry.</summary>
    [JsonIgnore] public byte[] Sample { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>
    /// Builds the reference of a model from its training rows (<paramref name="train"/>, in the encoder's feature order or
    /// with those features among its columns) and its held-out probabilities and labels.
    /// </summary>
    public static ModelReference Build(FeatureEncoder encoder, GradeBands grades, FeatureFrame train, IReadOnlyList<double> heldOut, IReadOnlyList<bool> heldOutLabels,
        double heldOutAuc, double heldOutEce, IReadOnlyDictionary<string, double> importance, int seed, IReadOnlyList<double>? rowAgesDays = null)
    {
        var codec = new FeatureRowCodec(encoder);
        var features = encoder.Features;
        // A context feature is missing on every served lead: the reference holds it so (not compared, the sample scored as served).
        var columns = features.Select(f => f.IsContext ? -1 : train.IndexOf(f.Name)).ToArray();
        var refs = new FeatureReference[features.Count];
        for (var f = 0; f < features.Count; f++)
            refs[f] = columns[f] < 0 ? FeatureReference.Empty(features[f]) : FeatureReference.Of(features[f], train, columns[f], codec, f);

        // Seeded samples (a partial Fisher-Yates shuffle of the indexes): the same training run keeps the same rows.
        var rng = new Random(seed);
        var pick = RowSample.Sorted(train.Count, MaxSampleRows, rng);
        var sample = new byte[pick.Length * codec.RowBytes];
        var row = new FeatureValue[features.Count];
        for (var i = 0; i < pick.Length; i++)
        {
            for (var f = 0; f < row.Length; f++) row[f] = columns[f] < 0 ? FeatureValue.Missing : train[pick[i], columns[f]];
            codec.Encode(row, sample.AsSpan(i * codec.RowBytes, codec.RowBytes));
        }
        // The lead age of each sampled row (days since creation at its decision time), when the caller knows them all.
        double[]? ages = null;
        if (rowAgesDays is { } ra && ra.Count == train.Count)
        {
            ages = pick.Select(i => Math.Round(ra[i], 6)).ToArray();
            if (ages.Any(a => !double.IsFinite(a) || a < 0)) ages = null;
        }
        var scorePick = RowSample.Sorted(heldOut.Count, MaxHeldOutScores, rng);
        var mix = new Dictionary<string, int> { ["A"] = 0, ["B"] = 0, ["C"] = 0, ["D"] = 0 };
        var sums = new Dictionary<string, (int Rows, int Positives, double Predicted)>();
        for (var i = 0; i < heldOut.Count; i++)
        {
            var g = grades.GradeOf(heldOut[i]);
            mix[g] = mix.GetValueOrDefault(g) + 1;
            var s = sums.GetValueOrDefault(g);
            sums[g] = (s.Rows + 1, s.Positives + (heldOutLabels[i] ? 1 : 0), s.Predicted + heldOut[i]);
        }
        return new ModelReference
        {
            TrainingRows = train.Count,
            Features = refs,
            SampleRows = pick.Length,
            Sample = sample,
            HeldOutProbabilities = scorePick.Select(i => heldOut[i]).ToArray(),
            HeldOutLabels = scorePick.Select(i => heldOutLabels[i]).ToArray(),
            GradeMix = mix,
            Calibration = mix.Keys.Select(g => sums.TryGetValue(g, out var s)
                ? new GradeCalibrationReference(g, s.Rows, s.Positives, s.Predicted / s.Rows, (double)s.Positives / s.Rows)
                : new GradeCalibrationReference(g, 0, 0, double.NaN, double.NaN)).ToArray(),
            HeldOutAuc = heldOutAuc,
            HeldOutEce = heldOutEce,
            Importance = importance,
            SampleAgesDays = ages,
            DecisionAgesDays = ages is null ? null : ages.Distinct().Order().ToArray(),
        };
    }

    /// <summary>The two artifact entries: the JSON summary and the binary sample.</summary>
    public IReadOnlyDictionary<string, byte[]> ToEntries() => new Dictionary<string, byte[]>
    {
        [ArtifactEntries.Reference] = JsonSerializer.SerializeToUtf8Bytes(this, Json),
        [ArtifactEntries.ReferenceSample] = Sample,
    };

    /// <summary>The reference kept in a model artifact, or null for a model trained before references were kept.</summary>
    public static ModelReference? Read(byte[] artifact)
    {
        using var zip = new ZipArchive(new MemoryStream(artifact), ZipArchiveMode.Read);
        if (ArtifactEntries.Read(zip, ArtifactEntries.Reference) is not { } json) return null;
        var r = JsonSerializer.Deserialize<ModelReference>(json, Json) ?? throw new InvalidDataException("empty model reference");
        return r with { Sample = ArtifactEntries.Read(zip, ArtifactEntries.ReferenceSample) ?? [] };
    }
}

/// <summary>Held-out calibration of one grade: rows, conversions, mean predicted and actual rate.</summary>
public sealed record GradeCalibrationReference(string Grade, int Rows, int Positives, double MeanPredicted, double ActualRate);

/// <summary>One feature's distribution over the training rows.</summary>
public sealed record FeatureReference
{
    public required string Name { get; init; }
    public required FeatureKind Kind { get; init; }
    public required int Rows { get; init; }
    public required int Missing { get; init; }
    /// <summary>Numeric: mean, standard deviation (population), distinct values, and quantiles at 0%, 5%, ..., 100%.</summary>
    public double Mean { get; init; } = double.NaN;
    public double Std { get; init; } = double.NaN;
    public int Unique { get; init; }
    public double[] Quantiles { get; init; } = [];
    /// <summary>Numeric: row counts between consecutive deciles (a quantile histogram: edges are <see cref="HistogramEdges"/>).</summary>
    public double[] HistogramEdges { get; init; } = [];
    public int[] HistogramCounts { get; init; } = [];
    /// <summary>Categorical: rows per category as the model codes them (its vocabulary, "(new)" for any other).</summary>
    public IReadOnlyDictionary<string, int> Counts { get; init; } = new Dictionary<string, int>();

    internal static FeatureReference Empty(FeatureInfo f) => new() { Name = f.Name, Kind = f.Kind, Rows = 0, Missing = 0 };

    internal static FeatureReference Of(FeatureInfo info, FeatureFrame rows, int column, FeatureRowCodec codec, int f)
    {
        if (info.Kind == FeatureKind.Categorical)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            var missing = 0;
            for (var r = 0; r < rows.Count; r++)
            {
                var v = rows[r, column];
                if (v.Category is null) { missing++; continue; }
                var label = codec.Category(f, codec.Value(f, v));
                counts[label] = counts.GetValueOrDefault(label) + 1;
            }
            return new FeatureReference { Name = info.Name, Kind = info.Kind, Rows = rows.Count, Missing = missing, Unique = counts.Count, Counts = counts };
        }
        var values = new List<double>(rows.Count);
        for (var r = 0; r < rows.Count; r++) if (rows.Number(r, column) is var x && !double.IsNaN(x)) values.Add((float)x); // as the log stores them
        values.Sort();
        var n = values.Count;
        var mean = n == 0 ? double.NaN : values.Average();
        var std = n == 0 ? double.NaN : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / n);
        var unique = 0;
        for (var i = 0; i < n; i++) if (i == 0 || values[i] != values[i - 1]) unique++;
        double Q(double q) => n == 0 ? double.NaN : Quantile(values, q);
        var quantiles = Enumerable.Range(0, ModelReference.QuantilePoints).Select(i => Q(i / (double)(ModelReference.QuantilePoints - 1))).ToArray();
        var edges = Enumerable.Range(0, 11).Select(i => Q(i / 10.0)).Distinct().ToArray();
        var hist = new int[Math.Max(0, edges.Length - 1)];
        if (hist.Length > 0)
            foreach (var v in values)
            {
                var b = Array.BinarySearch(edges, v);
                b = b >= 0 ? Math.Min(b, hist.Length - 1) : Math.Min(~b - 1, hist.Length - 1);
                hist[Math.Max(0, b)]++;
            }
        else if (n > 0) hist = [n];
        return new FeatureReference
        {
            Name = info.Name, Kind = info.Kind, Rows = rows.Count, Missing = rows.Count - n, Mean = mean, Std = std, Unique = unique,
            Quantiles = quantiles, HistogramEdges = edges, HistogramCounts = hist,
        };
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default), on sorted values.</summary>
    private static double Quantile(List<double> sorted, double q)
    {
        var pos = q * (sorted.Count - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
