using System.Buffers;
using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;

namespace LeadScore.Engine.Scoring;

/// <summary>A feature's global importance: the mean absolute SHAP contribution over a set of leads.</summary>
public sealed record ShapImportance(string Feature, double MeanAbsContribution);

/// <summary>
/// Scores leads with one model version: encodes features, evaluates the compiled model, calibrates,
/// grades and explains. Built once per model version, then immutable and thread-safe: share one
/// instance per model version. Needs no ML.NET at run time.
/// </summary>
/// <remarks>
/// Points: a reason's points are its log-odds contribution scaled by
/// <c>100 * (p - p0) / (margin - base)</c>, where p0 is the probability of the base margin, so the
/// base points (<see cref="BasePoints"/>) plus the points of all features equal <c>100 * p</c>, whose
/// rounding is <see cref="LeadScoreResult.Score"/>.
/// <para>
/// Total: every probability, score, contribution and point is finite, whatever the row holds. A numeric feature
/// whose encoded slot is infinite (an infinite value, or a finite one such as 1e308 beyond the float range,
/// or one that overflows when standardised) is scored as missing, which every model handles (trees by their
/// missing-value rule, linear models by the training mean), and its reason shows it as not known. Without this,
/// one such value makes a linear model's margin infinite or NaN, and the JSON writer refuses the result.
/// Rows without such a value (all real ones) take the same path as before at the cost of one scan of the slots.
/// </para>
/// </remarks>
public sealed class ScoringEngine
{
    private const int StackLimit = 512;
    private readonly TimeProvider _time;
    private readonly string[] _featureTitles;
    private readonly PreparedFeature[] _wording;
    private readonly int[] _slotFeature;

    public ScoringEngine(string modelVersion, FeatureEncoder encoder, CompiledModel model, ProbabilityCalibrator calibrator, GradeBands grades, TimeProvider? time = null)
        : this(modelVersion, encoder, model, calibrator, grades, time, null) { }

    /// <summary>An engine whose reasons read with <paramref name="labels"/> (display names, value labels); null = built-in ones only.</summary>
    public ScoringEngine(string modelVersion, FeatureEncoder encoder, CompiledModel model, ProbabilityCalibrator calibrator, GradeBands grades, TimeProvider? time, FeatureLabels? labels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelVersion);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(calibrator);
        ArgumentNullException.ThrowIfNull(grades);
        if (encoder.SlotCount != model.SlotCount)
            throw new ArgumentException($"The encoder makes {encoder.SlotCount} slots but the model reads {model.SlotCount}.", nameof(model));
        ModelVersion = modelVersion;
        Encoder = encoder;
        Model = model;
        Calibrator = calibrator;
        Grades = grades;
        _time = time ?? TimeProvider.System;
        _slotFeature = encoder.SlotFeature;
        Labels = labels ?? FeatureLabels.None;
        _featureTitles = encoder.Features.Select(f => Labels.Title(f.Name)).ToArray();
        _wording = encoder.Features.Select(Labels.Prepare).ToArray();
        BaseProbability = calibrator.Apply(model.BaseValue);
        _context = [.. encoder.Features.Select((x, i) => (x, i)).Where(t => t.x.IsContext).Select(t => t.i)];
        // Build the SHAP explainer (per-edge vectors) now, at promotion, rather than in the first explained request.
        if (model.Kind == CompiledModelKind.Trees) _ = model.FastShap;
    }

    /// <summary>Builds an engine from what the model registry stores: encoder JSON and compiled model bytes.</summary>
    public static ScoringEngine Create(string modelVersion, string encoderJson, byte[] compiledModel, ProbabilityCalibrator calibrator, GradeBands grades, TimeProvider? time = null) =>
        new(modelVersion, FeatureEncoder.FromJson(encoderJson), CompiledModel.Deserialize(compiledModel), calibrator, grades, time);

    /// <summary>
    /// The same model graded with other bands (a grade-band override): shares the encoder, compiled model and calibrator,
    /// so it costs no retraining and little memory. Scores and reasons are unchanged; only grades move.
    /// </summary>
    public ScoringEngine WithGrades(GradeBands grades) => grades == Grades ? this : new(ModelVersion, Encoder, Model, Calibrator, grades, _time, Labels);

    /// <summary>
    /// The same model with reasons worded with other labels: presentation only, so scores, grades and contributions are
    /// unchanged and nothing is retrained. Shares the encoder, compiled model and calibrator.
    /// </summary>
    public ScoringEngine WithLabels(FeatureLabels labels) => ReferenceEquals(labels, Labels) ? this : new(ModelVersion, Encoder, Model, Calibrator, Grades, _time, labels);

    /// <summary>The display names and value labels reasons are worded with.</summary>
    public FeatureLabels Labels { get; }

    /// <summary>A feature's name as people read it (its display name, else humanised).</summary>
    public string FeatureTitle(int feature) => _featureTitles[feature];

    public string ModelVersion { get; }
    public FeatureEncoder Encoder { get; }
    public CompiledModel Model { get; }
    public ProbabilityCalibrator Calibrator { get; }
    public GradeBands Grades { get; }
    public IReadOnlyList<FeatureInfo> Features => Encoder.Features;
    /// <summary>The probability of a lead at the base value (the average training lead, in log-odds).</summary>
    public double BaseProbability { get; }
    /// <summary>100 x <see cref="BaseProbability"/>: where every lead's points start.</summary>
    public double BasePoints => 100 * BaseProbability;

    /// <summary>The calibrated probability of one row. Allocates nothing.</summary>
    public double Probability(ReadOnlySpan<FeatureValue> row)
    {
        var n = Encoder.SlotCount;
        float[]? rented = null;
        var slots = n <= StackLimit ? stackalloc float[n] : (rented = ArrayPool<float>.Shared.Rent(n)).AsSpan(0, n);
        try
        {
            EncodeFinite(row, slots);
            return Calibrator.Apply(Model.Margin(slots));
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Scores one lead: probability, score 0-100, grade and, with <paramref name="explain"/>, up to
    /// <paramref name="top"/> positive and <paramref name="top"/> negative reasons (largest first).
    /// Allocates only the result.
    /// </summary>
    public LeadScoreResult Score(string leadId, ReadOnlySpan<FeatureValue> row, bool explain, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(leadId);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var n = Encoder.SlotCount;
        var f = Encoder.Features.Count;
        float[]? rentedSlots = null;
        double[]? rentedPhi = null;
        double[]? rentedFeat = null;
        var slots = n <= StackLimit ? stackalloc float[n] : (rentedSlots = ArrayPool<float>.Shared.Rent(n)).AsSpan(0, n);
        try
        {
            // The row as scored: a copy with non-finite features set to missing, when it had any.
            if (EncodeFinite(row, slots) is { } scored) row = scored;
            var margin = Model.Margin(slots);
            var p = Calibrator.Apply(margin);
            IReadOnlyList<Reason> reasons = [];
            if (explain && top > 0)
            {
                var phi = n <= StackLimit ? stackalloc double[n] : (rentedPhi = ArrayPool<double>.Shared.Rent(n)).AsSpan(0, n);
                var perFeature = f <= StackLimit ? stackalloc double[f] : (rentedFeat = ArrayPool<double>.Shared.Rent(f)).AsSpan(0, f);
                Model.Contributions(slots, phi, out _);
                SumToFeatures(phi, perFeature);
                reasons = Reasons(row, perFeature, PointsPerLogOdds(p, perFeature), top);
            }
            return new LeadScoreResult
            {
                LeadId = leadId,
                Probability = p,
                Score = GradeBands.ScoreOf(p),
                Grade = Grades.GradeOf(p),
                ModelVersion = ModelVersion,
                ScoredAt = _time.GetUtcNow(),
                Reasons = reasons,
            };
        }
        finally
        {
            if (rentedSlots is not null) ArrayPool<float>.Shared.Return(rentedSlots);
            if (rentedPhi is not null) ArrayPool<double>.Shared.Return(rentedPhi);
            if (rentedFeat is not null) ArrayPool<double>.Shared.Return(rentedFeat);
        }
    }

    /// <summary>
    /// Scores rows [start, end) of a frame as one block: encoded into one matrix, margins from the
    /// batch evaluator, contributions tree by tree over the block. Same results as <see cref="Score"/>.
    /// </summary>
    private void ScoreBlock(FeatureFrame frame, int start, int end, bool explain, int top, Span<LeadScoreResult> into)
    {
        var rows = end - start;
        var n = Encoder.SlotCount;
        var f = Encoder.Features.Count;
        var matrix = ArrayPool<float>.Shared.Rent(rows * n);
        var margins = ArrayPool<double>.Shared.Rent(rows);
        var phi = explain && top > 0 ? ArrayPool<double>.Shared.Rent(rows * n) : null;
        var perFeature = new double[f];
        FeatureValue[]?[]? scoredRows = null; // only for rows that had a non-finite feature
        var rowsAt = new FeatureValue[rows][];
        try
        {
            var m = matrix.AsSpan(0, rows * n);
            for (var r = 0; r < rows; r++)
            {
                rowsAt[r] = frame.Row(start + r);
                if (EncodeFinite(rowsAt[r], m.Slice(r * n, n)) is { } scored)
                    (scoredRows ??= new FeatureValue[]?[rows])[r] = scored;
            }
            Model.Margins(m, margins.AsSpan(0, rows));
            if (phi is not null) Model.Contributions(m, phi.AsSpan(0, rows * n));
            var now = _time.GetUtcNow();
            for (var r = 0; r < rows; r++)
            {
                var row = scoredRows?[r] ?? rowsAt[r];
                var p = Calibrator.Apply(margins[r]);
                IReadOnlyList<Reason> reasons = [];
                if (phi is not null)
                {
                    SumToFeatures(phi.AsSpan(r * n, n), perFeature);
                    reasons = Reasons(row, perFeature, PointsPerLogOdds(p, perFeature), top);
                }
                into[r] = new LeadScoreResult
                {
                    LeadId = frame.Ids[start + r],
                    Probability = p,
                    Score = GradeBands.ScoreOf(p),
                    Grade = Grades.GradeOf(p),
                    ModelVersion = ModelVersion,
                    ScoredAt = now,
                    Reasons = reasons,
                };
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(matrix);
            ArrayPool<double>.Shared.Return(margins);
            if (phi is not null) ArrayPool<double>.Shared.Return(phi);
        }
    }

    /// <summary>Exact SHAP contributions of one row per feature (one-hot and missing slots summed back).</summary>
    public void FeatureContributions(ReadOnlySpan<FeatureValue> row, Span<double> perFeature, out double baseValue)
    {
        if (perFeature.Length != Encoder.Features.Count)
            throw new ArgumentException($"Expected {Encoder.Features.Count} features, got {perFeature.Length}.", nameof(perFeature));
        var n = Encoder.SlotCount;
        var slots = new float[n];
        var phi = new double[n];
        EncodeFinite(row, slots);
        Model.Contributions(slots, phi, out baseValue);
        SumToFeatures(phi, perFeature);
    }

    /// <summary>Scores every row of a frame in parallel, in row order (ids from <see cref="FeatureFrame.Ids"/>).</summary>
    public LeadScoreResult[] ScoreBatch(FeatureFrame frame, bool explain, int top = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        CheckFrame(frame);
        var results = new LeadScoreResult[frame.Count];
        ForChunks(frame.Count, explain ? 256 : 2048, cancellationToken, (start, end) => ScoreBlock(frame, start, end, explain, top, results.AsSpan(start)));
        return results;
    }

    /// <summary>
    /// Scores a frame chunk by chunk (each chunk in parallel), yielding results in row order as each
    /// chunk is done: for streaming output and progress on large files.
    /// </summary>
    public IEnumerable<LeadScoreResult[]> ScoreChunks(FeatureFrame frame, bool explain, int top = 5, int chunkRows = 8192, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        CheckFrame(frame);
        for (var start = 0; start < frame.Count; start += chunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = Math.Min(frame.Count, start + chunkRows);
            var results = new LeadScoreResult[end - start];
            var first = start;
            ForChunks(results.Length, explain ? 256 : 2048, cancellationToken, (s, e) => ScoreBlock(frame, first + s, first + e, explain, top, results.AsSpan(s)));
            yield return results;
        }
    }

    /// <summary>
    /// The frame's columns in the order the model reads them, picked by feature name: a scoring
    /// file may hold extra columns (the target, ids) or another order. A feature the model needs but
    /// the frame lacks, or of another kind, is an error naming it.
    /// </summary>
    public FeatureFrame Align(FeatureFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var map = new int[Encoder.Features.Count];
        var missing = new List<string>();
        for (var i = 0; i < map.Length; i++)
        {
            var want = Encoder.Features[i];
            map[i] = frame.IndexOf(want.Name);
            if (map[i] < 0 && want.IsContext) continue; // missing on every served lead: read as missing
            if (map[i] < 0) { missing.Add(want.Name); continue; }
            if (frame.Features[map[i]].Kind != want.Kind)
                throw new LeadScoreException($"Column '{want.Name}' is {frame.Features[map[i]].Kind.ToString().ToLowerInvariant()} here but the model {ModelVersion} was trained on it as {want.Kind.ToString().ToLowerInvariant()}: read the file with the training schema.", want.Name);
        }
        if (missing.Count > 0)
            throw new LeadScoreException($"Model {ModelVersion} needs column(s) missing from the input: {string.Join(", ", missing)}.", missing[0]);
        if (map.Select((m, i) => m == i).All(x => x) && frame.Features.Count == map.Length) return frame;
        var aligned = new FeatureFrame(Encoder.Features);
        for (var r = 0; r < frame.Count; r++)
        {
            var row = new FeatureValue[map.Length];
            for (var i = 0; i < map.Length; i++) row[i] = map[i] < 0 ? FeatureValue.Missing : frame[r, map[i]];
            aligned.Add(frame.Ids[r], row);
        }
        aligned.Labels.AddRange(frame.Labels);
        aligned.Times.AddRange(frame.Times);
        return aligned;
    }

    /// <summary>
    /// Calibrated probabilities of every row, in parallel: each chunk is encoded into one matrix and
    /// scored with the compiled model's batch evaluator. The fastest way to score many leads.
    /// </summary>
    public double[] Probabilities(FeatureFrame frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        CheckFrame(frame);
        var probabilities = new double[frame.Count];
        var n = Encoder.SlotCount;
        ForChunks(frame.Count, 4096, cancellationToken, (start, end) =>
        {
            var rows = end - start;
            var matrix = ArrayPool<float>.Shared.Rent(rows * n);
            try
            {
                var row = new FeatureValue[frame.Features.Count];
                for (var r = 0; r < rows; r++)
                {
                    frame.CopyRow(start + r, row);
                    EncodeFinite(row, matrix.AsSpan(r * n, n));
                }
                var margins = probabilities.AsSpan(start, rows);
                Model.Margins(matrix.AsSpan(0, rows * n), margins);
                for (var r = 0; r < rows; r++) margins[r] = Calibrator.Apply(margins[r]);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(matrix);
            }
        });
        return probabilities;
    }

    /// <summary>Exact SHAP contributions per feature for every row (rows x features), in parallel.</summary>
    public double[][] FeatureContributions(FeatureFrame frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        CheckFrame(frame);
        var result = new double[frame.Count][];
        var n = Encoder.SlotCount;
        ForChunks(frame.Count, 256, cancellationToken, (start, end) =>
        {
            var slots = new float[n];
            var phi = new double[n];
            var row = new FeatureValue[frame.Features.Count];
            for (var r = start; r < end; r++)
            {
                frame.CopyRow(r, row);
                EncodeFinite(row, slots);
                Model.Contributions(slots, phi, out _);
                var perFeature = new double[Encoder.Features.Count];
                SumToFeatures(phi, perFeature);
                result[r] = perFeature;
            }
        });
        return result;
    }

    /// <summary>Global explanation: mean |SHAP| per feature over the frame's rows, largest first.</summary>
    public IReadOnlyList<ShapImportance> GlobalImportance(FeatureFrame frame, CancellationToken cancellationToken = default) =>
        GlobalImportance(FeatureContributions(frame, cancellationToken));

    /// <summary>Mean |SHAP| per feature from contributions already computed by <see cref="FeatureContributions(FeatureFrame, CancellationToken)"/>.</summary>
    public IReadOnlyList<ShapImportance> GlobalImportance(double[][] contributions)
    {
        var f = Encoder.Features.Count;
        var sums = new double[f];
        foreach (var row in contributions)
            for (var i = 0; i < f; i++) sums[i] += Math.Abs(row[i]);
        var count = Math.Max(1, contributions.Length);
        return Enumerable.Range(0, f)
            .Select(i => new ShapImportance(Encoder.Features[i].Name, sums[i] / count))
            .OrderByDescending(x => x.MeanAbsContribution).ThenBy(x => x.Feature, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The sentence a reason shows for a feature and value, e.g. "Visited the pricing page 3 times in the last 7 days".</summary>
    public string ReasonText(int feature, FeatureValue value)
    {
        // Sentences are built per reason (10 per explained lead), not in the scoring loop.
        var sentence = Labels.Sentence(_wording[feature], value);
        // A target-encoded code (a landing page among hundreds) says how its leads convert, which is what the model used.
        return Encoder.TargetRateRatio(feature, value.Category) is { } ratio
            ? string.Create(CultureInfo.InvariantCulture, $"{sentence} (converts {ratio:0.0}x the average)")
            : sentence;
    }

    private void CheckFrame(FeatureFrame frame)
    {
        if (frame.Features.Count != Encoder.Features.Count)
            throw new LeadScoreException($"The frame has {frame.Features.Count} features; model {ModelVersion} needs {Encoder.Features.Count}.");
        for (var i = 0; i < frame.Features.Count; i++)
            if (frame.Features[i].Name != Encoder.Features[i].Name)
                throw new LeadScoreException($"Feature {i} is '{frame.Features[i].Name}'; model {ModelVersion} expects '{Encoder.Features[i].Name}'.", frame.Features[i].Name);
    }

    private static void ForChunks(int count, int chunk, CancellationToken ct, Action<int, int> body)
    {
        var chunks = (count + chunk - 1) / chunk;
        if (chunks <= 1)
        {
            ct.ThrowIfCancellationRequested();
            if (count > 0) body(0, count);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = ct }, c =>
        {
            var s = c * chunk;
            body(s, Math.Min(count, s + chunk));
        });
    }

    /// <summary>
    /// Encodes a row so that no slot is infinite (see the class remarks). Returns null when the row was
    /// encoded as given (no allocation), else the copy that was encoded, with the offending features missing.
    /// A NaN slot is not an error: it is how trees read a missing number.
    /// </summary>
    private FeatureValue[]? EncodeFinite(ReadOnlySpan<FeatureValue> row, Span<float> slots)
    {
        Encoder.Encode(row, slots);
        var s = 0;
        while (s < slots.Length && !float.IsInfinity(slots[s])) s++;
        if (s == slots.Length) return null;
        var scored = row.ToArray();
        for (; s < slots.Length; s++)
            if (float.IsInfinity(slots[s])) scored[_slotFeature[s]] = FeatureValue.Missing;
        Encoder.Encode(scored, slots);
        return scored;
    }

    private void SumToFeatures(ReadOnlySpan<double> phi, Span<double> perFeature)
    {
        perFeature.Clear();
        for (var s = 0; s < phi.Length; s++) perFeature[_slotFeature[s]] += phi[s];
    }

    /// <summary>Score points per unit of log-odds, so base points plus all features' points make 100 x p.</summary>
    private double PointsPerLogOdds(double p, ReadOnlySpan<double> perFeature)
    {
        double sum = 0;
        foreach (var c in perFeature) sum += c;
        if (Math.Abs(sum) > 1e-9) return 100 * (p - BaseProbability) / sum;
        // At the base value the ratio is 0/0: use the calibrator's slope there.
        const double H = 1e-4;
        return 100 * (Calibrator.Apply(Model.BaseValue + H) - Calibrator.Apply(Model.BaseValue - H)) / (2 * H);
    }

    /// <summary>
    /// A contribution smaller than this many score points is not shown as a reason: "+0.0 pts" explains nothing. It still
    /// counts in the sum (base points plus all contributions make the score); it is only left out of the list.
    /// </summary>
    public const double MinReasonPoints = 0.5;

    /// <summary>The context features (<see cref="FeatureInfo.IsContext"/>): they count in the score but are never a reason.</summary>
    private readonly int[] _context;

    private Reason[] Reasons(ReadOnlySpan<FeatureValue> row, ReadOnlySpan<double> perFeature, double pointsPerLogOdds, int top)
    {
        var f = perFeature.Length;
        if (_context.Length > 0)
        {
            // A context feature is missing on every served lead: what it adds is the model's, not the lead's, so no reason names it.
            var shown = new double[f];
            perFeature.CopyTo(shown);
            foreach (var c in _context) shown[c] = 0;
            perFeature = shown;
        }
        Span<int> chosen = stackalloc int[Math.Min(2 * top, 2 * f)];
        var pos = PickTop(perFeature, chosen, top, positive: true);
        var neg = PickTop(perFeature, chosen[pos..], top, positive: false);
        // Picks are sorted by size within each sign, so the shown ones are a prefix of each sign's picks.
        var shownPos = 0;
        while (shownPos < pos && Math.Abs(perFeature[chosen[shownPos]] * pointsPerLogOdds) >= MinReasonPoints) shownPos++;
        var shownNeg = 0;
        while (shownNeg < neg && Math.Abs(perFeature[chosen[pos + shownNeg]] * pointsPerLogOdds) >= MinReasonPoints) shownNeg++;
        var reasons = new Reason[shownPos + shownNeg];
        for (var k = 0; k < reasons.Length; k++)
        {
            var i = k < shownPos ? chosen[k] : chosen[pos + k - shownPos];
            reasons[k] = new Reason
            {
                Feature = Encoder.Features[i].Name,
                Value = row[i].ToString(),
                Contribution = perFeature[i],
                Points = perFeature[i] * pointsPerLogOdds,
                Text = ReasonText(i, row[i]),
            };
        }
        return reasons;
    }

    // Selection by repeated maximum: top is small (5), features a few dozen; no allocation, no sort.
    private static int PickTop(ReadOnlySpan<double> values, Span<int> into, int top, bool positive)
    {
        var count = 0;
        var last = positive ? double.PositiveInfinity : double.NegativeInfinity;
        var lastIndex = -1;
        while (count < top && count < into.Length)
        {
            var best = -1;
            for (var i = 0; i < values.Length; i++)
            {
                var v = values[i];
                if (positive ? v <= 0 : v >= 0) continue;
                // Strictly after the previous pick in (value desc/asc, index asc) order.
                var after = positive ? v < last || (v == last && i > lastIndex) : v > last || (v == last && i > lastIndex);
                if (!after) continue;
                if (best < 0 || (positive ? v > values[best] : v < values[best])) best = i;
            }
            if (best < 0) break;
            into[count++] = best;
            last = values[best];
            lastIndex = best;
        }
        return count;
    }
}
