using LeadScore.Core;
using LeadScore.Application.Scoring;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Monitoring;
using LeadScore.Engine.Reporting;
using LeadScore.Storage;

namespace LeadScore.Application.Monitoring;

/// <summary>What <c>leadscore monitor --reference FILE --current FILE</c> compares.</summary>
public sealed record FlatMonitorRequest
{
    public required string ReferencePath { get; init; }
    public required string CurrentPath { get; init; }
    /// <summary>Field separator of both files; null = the model's, else sniffed.</summary>
    public char? Separator { get; init; }
    /// <summary>Registered model version to score with; null = the champion.</summary>
    public string? ModelVersion { get; init; }
    /// <summary>Target column of the current file (and the reference, when present) for realized performance; null = none.</summary>
    public string? Target { get; init; }
    /// <summary>The target value that means converted (case-insensitive); required with <see cref="Target"/>.</summary>
    public string? Positive { get; init; }
    public DriftOptions Options { get; init; } = DriftOptions.Default;
    /// <summary>Rows kept per file (a seeded reservoir sample beyond it), so memory stays bounded for any file size.</summary>
    public int MaxRowsPerFile { get; init; } = 200_000;
}

/// <summary>The outcome of a flat-file comparison.</summary>
public sealed record FlatMonitorResult
{
    public required string ModelVersion { get; init; }
    public required DriftReport Drift { get; init; }
    /// <summary>CBPE on the current file's probabilities (always; labels not needed).</summary>
    public required EstimatedPerformance Estimated { get; init; }
    /// <summary>Realized performance on the current file, when it has the target.</summary>
    public RealizedPerformance? Realized { get; init; }
    /// <summary>The model card's held-out figures, to compare with.</summary>
    public double? CardAuc { get; init; }
    public required DriftSample Reference { get; init; }
    public required DriftSample Current { get; init; }
    public required long ReferenceRowsRead { get; init; }
    public required long CurrentRowsRead { get; init; }
    public required SkippedRows Skipped { get; init; }
}

/// <summary>
/// The flat-file monitoring use case: reads and scores both files the way <c>score --csv</c> does (BatchScoring, the
/// champion or a given version), then compares their features, scores and grades with the drift engine and measures
/// performance on the current file (realized when it has the target, CBPE always). Reads the store, writes nothing there.
/// </summary>
public static class FlatFileMonitor
{
    private const string LabelColumn = "\u0001label";

    public static async Task<FlatMonitorResult> RunAsync(ILeadStore store, FlatMonitorRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(request);
        if ((request.Target is null) != (request.Positive is null))
            throw new LeadScoreException("--target and --positive go together (the column and the value that means converted)", request.Target is null ? "target" : "positive");
        var model = await BatchScoring.LoadModelAsync(store, request.ModelVersion, ct);
        var card = TryCard(model.CardJson);
        var skipped = new SkippedRows();
        var (reference, refRows, _) = Read(model, request.ReferencePath, request, skipped, withTarget: false, ct);
        var (current, curRows, labels) = Read(model, request.CurrentPath, request, skipped, withTarget: request.Target is not null, ct);
        if (reference.Rows == 0) throw new LeadScoreException($"{request.ReferencePath}: no rows to compare", "reference");
        if (current.Rows == 0) throw new LeadScoreException($"{request.CurrentPath}: no rows to compare", "current");

        Dictionary<string, double>? importance = null;
        if (card is not null && card.Importance.Count > 0 && card.Importance.Any(i => i.AucDrop > 0))
            importance = card.Importance.GroupBy(i => i.Feature).ToDictionary(g => g.Key, g => Math.Max(0, g.Sum(i => i.AucDrop)));
        var drift = DriftEngine.Compare(reference, current, request.Options, importance);
        var threshold = card?.Metrics.Threshold ?? 0.5;
        var estimated = Performance.Estimated(current.Scores!, threshold);
        RealizedPerformance? realized = null;
        if (labels is not null)
        {
            var probs = new List<double>(); var ys = new List<bool>(); var grades = new List<string?>();
            for (var i = 0; i < labels.Length; i++)
            {
                if (labels[i] is not { } y) continue;
                probs.Add(current.Scores![i]); ys.Add(y); grades.Add(current.Grades![i]);
            }
            if (probs.Count > 0) realized = Performance.Realized(probs, ys, grades);
        }
        return new FlatMonitorResult
        {
            ModelVersion = model.Version, Drift = drift, Estimated = estimated, Realized = realized, CardAuc = card?.Metrics.Auc,
            Reference = reference, Current = current, ReferenceRowsRead = refRows, CurrentRowsRead = curRows, Skipped = skipped,
        };
    }

    /// <summary>Writes the monitoring report of a comparison into <paramref name="directory"/>; returns index.html's path.</summary>
    public static string WriteReport(FlatMonitorResult result, FlatMonitorRequest request, string directory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(time);
        return MonitoringReport.Write(directory, new MonitoringReportInput
        {
            Title = $"{Path.GetFileName(request.CurrentPath)} against {Path.GetFileName(request.ReferencePath)}",
            ModelVersion = result.ModelVersion,
            CreatedAt = time.GetUtcNow(),
            Drift = result.Drift,
            Reference = result.Reference,
            Current = result.Current,
            Realized = result.Realized,
            Estimated = result.Estimated,
        });
    }

    private static ModelCard? TryCard(string json)
    {
        try { return ModelCard.FromJson(json); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or NotSupportedException) { return null; }
    }

    private static (DriftSample Sample, long Rows, bool?[]? Labels) Read(Engine.Scoring.ServableModel model, string path, FlatMonitorRequest request,
        SkippedRows skipped, bool withTarget, CancellationToken ct)
    {
        var features = model.Engine.Encoder.Features;
        var schema = features.Select(f => (f.Name, f.Kind)).ToList();
        if (withTarget) schema.Add((LabelColumn, FeatureKind.Categorical));
        var sampler = new WindowSampler(schema, request.MaxRowsPerFile, request.Options.Seed);
        var options = new BatchCsvOptions
        {
            Separator = request.Separator,
            Skipped = skipped,
            Keep = withTarget ? [request.Target!] : [],
        };
        var row = new FeatureValue[schema.Count];
        foreach (var chunk in BatchScoring.ScoreCsvRows(model, path, options, explain: false, ct: ct))
        {
            for (var i = 0; i < chunk.Results.Length; i++)
            {
                var values = chunk.Features[i];
                for (var f = 0; f < features.Count; f++) row[f] = values[f];
                if (withTarget)
                {
                    var raw = chunk.Kept[i][0].Trim();
                    row[^1] = raw.Length == 0 ? FeatureValue.Missing : FeatureValue.Of(string.Equals(raw, request.Positive, StringComparison.OrdinalIgnoreCase) ? "1" : "0");
                }
                sampler.Add(row, chunk.Results[i].Probability, chunk.Results[i].Grade);
            }
        }
        var sample = sampler.ToSample();
        if (!withTarget) return (sample, sampler.Seen, null);
        var labelCol = sample.Columns[^1].Categories!;
        var labels = Array.ConvertAll(labelCol, v => v is null ? (bool?)null : v == "1");
        var withoutLabel = new DriftSample(sample.Columns.Take(sample.Columns.Count - 1).ToArray()) { Scores = sample.Scores, Grades = sample.Grades };
        return (withoutLabel, sampler.Seen, labels);
    }
}
