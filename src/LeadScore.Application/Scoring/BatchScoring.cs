using System.Globalization;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Engine.Scoring;
using LeadScore.Storage;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Application.Scoring;

/// <summary>How to read a CSV of leads for batch scoring with a flat-table model.</summary>
public sealed record BatchCsvOptions
{
    /// <summary>Field separator; null = the model's, else sniffed from the header.</summary>
    public char? Separator { get; init; }
    /// <summary>Column holding the lead id; null = the first identifier column of the model's schema found in the file, else the row number.</summary>
    public string? IdColumn { get; init; }
    /// <summary>A mapping file: its delimiter, id column and true/false spellings apply where not set above.</summary>
    public ImportMapping? Mapping { get; init; }
    /// <summary>Input columns copied to the output after the lead id (score --keep), so the scores join back to the CRM.</summary>
    public IReadOnlyList<string> Keep { get; init; } = [];
    /// <summary>Rows per chunk: memory holds three chunks of rows and results (read, scored, written), whatever the file's size.</summary>
    public int ChunkRows { get; init; } = 8192;
    /// <summary>Where malformed rows are counted (they are skipped, the rest scored); null = skipped silently.</summary>
    public SkippedRows? Skipped { get; init; }
    /// <summary>Where the predictions are logged (score --csv); null = not logged (a file scored only to be compared, as monitor --reference does).</summary>
    public BatchPredictionLog? Log { get; init; }
    /// <summary>
    /// Ids of stored leads that opted out of profiling: a row whose id column holds one is not scored and is counted in
    /// <see cref="OptedOutRows"/> (needs an id column; row numbers are never lead ids).
    /// </summary>
    public IReadOnlySet<string>? OptedOut { get; init; }
    /// <summary>Where rows refused for an opt-out are counted.</summary>
    public SkippedRows? OptedOutRows { get; init; }
}

/// <summary>The prediction log a batch run records into, and the slot its model serves in.</summary>
public sealed record BatchPredictionLog(PredictionLogger Logger, string Slot, TimeProvider Time);

/// <summary>
/// Rows a batch scoring run skipped because they could not be read (bad quoting, wrong field count): their number and the
/// first <see cref="MaxKept"/> as "file:line: reason", so one bad row never takes a scoring run down and is still reported.
/// </summary>
public sealed class SkippedRows
{
    public const int MaxKept = 20;
    private readonly List<string> _first = [];

    public long Count { get; private set; }
    public IReadOnlyList<string> First => _first;

    public void Add(string path, long line, string reason)
    {
        Count++;
        if (_first.Count < MaxKept) _first.Add(string.Create(CultureInfo.InvariantCulture, $"{path}:{line}: {reason}"));
    }
}

/// <summary>One chunk of a scored CSV: the results, and for each the values of the kept input columns (<see cref="BatchCsvOptions.Keep"/>).</summary>
public sealed record BatchCsvChunk(LeadScoreResult[] Results, string[][] Kept)
{
    /// <summary>The model's feature values of each row, as scored (monitoring compares them between files).</summary>
    public IReadOnlyList<FeatureValue[]> Features { get; init; } = [];
}

/// <summary>
/// Batch scoring for <c>leadscore score</c>: streams a CSV through a registered flat-table model chunk
/// by chunk (memory stays flat), or reads back the workspace's latest scores; the CLI's ScoreWriter writes them.
/// </summary>
public static class BatchScoring
{
    /// <summary>Loads a registered model: <paramref name="version"/>, or the champion when null; its reasons read with the workspace's labels.</summary>
    public static async Task<ServableModel> LoadModelAsync(ILeadStore store, string? version, CancellationToken ct = default)
    {
        version ??= await store.GetAliasAsync(ModelAliases.Champion, ct)
            ?? throw new LeadScoreException("no champion model yet: train one first (./leadscore train)", "model");
        var bytes = await store.GetModelArtifactAsync(version, ct) ?? throw new NotFoundException($"no model version '{version}' (./leadscore models list)");
        return ServableModel.Load(version, bytes).WithLabels(await Ingestion.LabelSettings.GetAsync(store, ct));
    }

    /// <summary>
    /// Scores a CSV with a flat-table model, one chunk at a time, in file order. Columns the model does not
    /// use (the target, ids, excluded columns) are ignored; a column it needs and the file lacks is an error
    /// naming it. A row that cannot be read (bad quoting, wrong field count) is skipped into
    /// <see cref="BatchCsvOptions.Skipped"/>; values that do not parse are read as missing. Progress is the share of the file read.
    /// </summary>
    /// <exception cref="LeadScoreException">The model was trained on the workspace, or the file lacks a column.</exception>
    public static IEnumerable<LeadScoreResult[]> ScoreCsv(ServableModel model, string path, BatchCsvOptions options, bool explain, int top = 5,
        IProgress<double>? progress = null, CancellationToken ct = default) =>
        ScoreCsvRows(model, path, options, explain, top, progress, ct).Select(c => c.Results);

    /// <summary>As <see cref="ScoreCsv"/>, with each row's kept input columns (<see cref="BatchCsvOptions.Keep"/>) beside its result.</summary>
    public static IEnumerable<BatchCsvChunk> ScoreCsvRows(ServableModel model, string path, BatchCsvOptions options, bool explain, int top = 5,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        // A workspace model's features come from activity history and enrichment; scoring bare CSV rows with
        // all of that unknown would give scores unlike the stored ones, so this is refused rather than guessed.
        var flat = model.Flat ?? throw new LeadScoreException(
            $"model {model.Version} was trained on the workspace (activities and enrichment), so a CSV alone cannot be scored with it: " +
            "import the leads (./leadscore import leads FILE) and run ./leadscore score --all", "csv");
        if (!File.Exists(path)) throw new LeadScoreException($"{path}: file not found", "file");
        var mapping = options.Mapping;
        // A mapping's labels word the reasons of this run (presentation only: the model reads the codes as trained).
        if (Engine.Scoring.FeatureLabels.FromMapping(mapping) is { IsEmpty: false } labels) model = model.WithLabels(labels.Over(model.Engine.Labels));
        // Values are read with the rules the model was trained with (missing placeholders, true/false words), so a
        // "Ja" or "Select" means here exactly what it meant in training; the mapping only says where things are.
        var rules = flat.Rules();
        var sep = options.Separator ?? mapping?.DelimiterChar ?? flat.Separator ?? FlatTableLoader.SniffFile(path);
        // The header is checked now, so a missing column fails before any output or progress is written.
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var reader = new DelimitedReader(new StreamReader(file, new UTF8Encoding(false, false), true, 1 << 16), sep);
        try
        {
            var (cols, kinds, idCol, width, keep) = Columns(model, flat, path, reader, options.IdColumn ?? mapping?.LeadId ?? mapping?.Id, options.Keep);
            return Stream(model, flat, path, file, reader, cols, kinds, idCol, width, keep, rules, options, explain, top, progress, ct);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static (int[] Cols, ColumnKind[] Kinds, int IdCol, int Width, int[] Keep) Columns(ServableModel model, FlatModelInput flat, string path, DelimitedReader reader,
        string? idName, IReadOnlyList<string> keepNames)
    {
        var features = model.Engine.Encoder.Features;
        var kinds = flat.Schema.ToDictionary(s => s.Name, s => s.Kind, StringComparer.Ordinal);
        var header = reader.Read()?.Fields.Select(h => h.Trim()).ToArray() ?? throw new LeadScoreException($"{path}: the file is empty", "file");
        var cols = new int[features.Count];
        var colKind = new ColumnKind[features.Count];
        var absent = new List<string>();
        for (var i = 0; i < cols.Length; i++)
        {
            cols[i] = Array.IndexOf(header, features[i].Name);
            if (cols[i] < 0) absent.Add(features[i].Name);
            colKind[i] = kinds.GetValueOrDefault(features[i].Name, features[i].Kind == FeatureKind.Numeric ? ColumnKind.Numeric : ColumnKind.Categorical);
        }
        if (absent.Count > 0)
            throw new LeadScoreException($"{path}: model {model.Version} needs column(s) the file lacks: {string.Join(", ", absent)} (columns: {string.Join(", ", header)})", absent[0]);
        int idCol;
        if (idName is not null)
        {
            idCol = Array.IndexOf(header, idName);
            if (idCol < 0) throw new LeadScoreException($"{path}: no column named '{idName}' (columns: {string.Join(", ", header)})", idName);
        }
        else idCol = flat.Schema.Where(s => s.Kind == ColumnKind.Identifier).Select(s => Array.IndexOf(header, s.Name)).FirstOrDefault(i => i >= 0, -1);
        var keep = new int[keepNames.Count];
        for (var k = 0; k < keep.Length; k++)
        {
            keep[k] = Array.IndexOf(header, keepNames[k]);
            if (keep[k] < 0) throw new LeadScoreException($"{path}: --keep names a column the file lacks: '{keepNames[k]}' (columns: {string.Join(", ", header)})", keepNames[k]);
        }
        return (cols, colKind, idCol, header.Length, keep);
    }

    private static IEnumerable<BatchCsvChunk> Stream(ServableModel model, FlatModelInput flat, string path, FileStream file, DelimitedReader reader,
        int[] cols, ColumnKind[] colKind, int idCol, int width, int[] keep, ValueRules rules, BatchCsvOptions options, bool explain, int top, IProgress<double>? progress, CancellationToken ct)
    {
        using var _ = reader;
        var engine = model.Engine;
        var length = Math.Max(1, file.Length);
        long n = 0;
        // A pipeline of three chunks: while one chunk is scored (on every core), the next is read and the one before
        // is logged and written by the caller. Results are the same as scoring chunk after chunk, in file order.
        var current = ReadChunk();
        if (current.Frame.Count == 0)
        {
            progress?.Report(1);
            yield break;
        }
        var scoring = Score(current.Frame);
        try
        {
            while (true)
            {
                var next = ReadChunk();
                var results = scoring.GetAwaiter().GetResult();
                scoring = next.Frame.Count > 0 ? Score(next.Frame) : null;
                progress?.Report(next.Frame.Count > 0 ? (double)file.Position / length : 1);
                if (options.Log is { } log) LogChunk(log, model, current.Frame, 0, results, idCol >= 0, ct);
                yield return new BatchCsvChunk(results, current.Kept.ToArray()) { Features = current.Frame.Rows };
                if (scoring is null) break;
                current = next;
            }
        }
        finally
        {
            // A caller that stops early (an error writing) leaves no scoring running behind it.
            if (scoring is not null) try { scoring.Wait(CancellationToken.None); } catch (Exception) { /* its result is not wanted */ }
        }

        Task<LeadScoreResult[]> Score(FeatureFrame frame) => Task.Run(() => engine.ScoreBatch(frame, explain, top, ct), ct);

        (FeatureFrame Frame, List<string[]> Kept) ReadChunk()
        {
            ct.ThrowIfCancellationRequested();
            var frame = new FeatureFrame(engine.Encoder.Features);
            var kept = new List<string[]>();
            while (frame.Count < options.ChunkRows && reader.Read() is { } rec)
            {
                n++;
                // A malformed row is skipped and counted, not fatal: the other rows still deserve their scores.
                if (rec.Error is not null) { options.Skipped?.Add(path, rec.Line, rec.Error); continue; }
                if (rec.Fields.Length != width)
                {
                    options.Skipped?.Add(path, rec.Line, string.Create(CultureInfo.InvariantCulture, $"expected {width} fields, found {rec.Fields.Length}"));
                    continue;
                }
                var row = new FeatureValue[cols.Length];
                for (var j = 0; j < row.Length; j++)
                {
                    var raw = rec.Fields[cols[j]].Trim();
                    row[j] = rules.IsMissing(raw) ? FeatureValue.Missing : colKind[j] switch
                    {
                        ColumnKind.Numeric => ValueRules.TryNumber(raw, out var d) ? FeatureValue.Of(d) : FeatureValue.Missing,
                        ColumnKind.Boolean => rules.TryBool(raw, out var b) ? FeatureValue.Of(b ? 1 : 0) : FeatureValue.Missing,
                        _ => FeatureValue.Of(raw),
                    };
                }
                var rowId = idCol >= 0 ? rec.Fields[idCol].Trim() : n.ToString(CultureInfo.InvariantCulture);
                if (idCol >= 0 && options.OptedOut is { } optedOut && optedOut.Contains(rowId))
                {
                    options.OptedOutRows?.Add(path, rec.Line, $"lead '{rowId}' opted out of profiling: not scored");
                    continue;
                }
                frame.Add(rowId, row, null, null);
                kept.Add(keep.Length == 0 ? [] : Array.ConvertAll(keep, k => rec.Fields[k]));
            }
            return (frame, kept);
        }
    }

    private static void LogChunk(BatchPredictionLog log, ServableModel model, FeatureFrame frame, int offset, LeadScoreResult[] results, bool hasIds, CancellationToken ct)
    {
        var now = log.Time.GetUtcNow();
        for (var i = 0; i < results.Length; i++)
        {
            var logged = log.Logger.LogBulkAsync(now, hasIds ? results[i].LeadId : null, model, log.Slot, results[i].Probability, results[i].Grade,
                PredictionSources.Batch, frame.Row(offset + i), ct);
            // Completes at once unless the channel is full, when it writes a batch first: a CLI run has no other writer.
            if (!logged.IsCompletedSuccessfully) logged.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The workspace's latest stored scores (after <see cref="ScoringService.RescoreAllAsync"/>), in chunks.</summary>
    public static async IAsyncEnumerable<StoredScore[]> StoredScoresAsync(ILeadStore store, int chunkRows = 8192,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var chunk = new List<StoredScore>(chunkRows);
        await foreach (var s in store.StreamLatestScoresAsync(ct))
        {
            chunk.Add(s);
            if (chunk.Count == chunkRows) { yield return chunk.ToArray(); chunk.Clear(); }
        }
        if (chunk.Count > 0) yield return chunk.ToArray();
    }

    /// <summary>Synchronous chunks (a CSV being scored) as an async stream for the writer.</summary>
    public static async IAsyncEnumerable<T> AsAsync<T>(IEnumerable<T> chunks)
    {
        foreach (var c in chunks)
        {
            yield return c;
            // Let the writer's awaits interleave without holding a thread between chunks.
            await Task.Yield();
        }
    }

}
