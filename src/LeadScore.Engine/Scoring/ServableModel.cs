using System.IO.Compression;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Features.Encoding;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// What a flat-table model needs to read a lead's attributes the way it was trained: the column schema and the
/// value rules of the mapping it was read with (missing placeholders, true/false words, date formats), so
/// <c>score --csv</c> and <c>POST /score</c> read "Ja" or "Select" exactly as training did.
/// </summary>
public sealed record FlatModelInput(IReadOnlyList<ColumnSchema> Schema, IReadOnlyList<string> MissingValues, char? Separator)
{
    public IReadOnlyList<string>? TrueValues { get; init; }
    public IReadOnlyList<string>? FalseValues { get; init; }
    public IReadOnlyList<string> DateFormats { get; init; } = [];

    /// <summary>The input of a model trained on a table read with <paramref name="mapping"/>.</summary>
    public static FlatModelInput From(IReadOnlyList<ColumnSchema> schema, Ingestion.ImportMapping mapping) =>
        new(schema, [.. mapping.Missing ?? Ingestion.ImportMapping.DefaultMissing], mapping.DelimiterChar)
        {
            TrueValues = mapping.TrueValues, FalseValues = mapping.FalseValues, DateFormats = mapping.DateFormats,
        };

    /// <summary>The value rules training used.</summary>
    public Ingestion.ValueRules Rules() => new(Ingestion.ImportMapping.Default with
    {
        Missing = MissingValues, TrueValues = TrueValues, FalseValues = FalseValues, DateFormats = DateFormats,
    });
}

/// <summary>
/// The entry names of the model artifact zip: one list for its writer (Modeling's ModelArtifact and TrainedModel)
/// and its readers (<see cref="ServableModel"/> without ML.NET, TrainedModel with it).
/// </summary>
public static class ArtifactEntries
{
    public const string Model = "model.zip";
    public const string Encoder = "encoder.json";
    public const string Calibrator = "calibrator.json";
    public const string Grades = "grades.json";
    public const string Card = "card.json";
    public const string Compiled = "compiled.bin";
    public const string FeatureDefinitions = "features.json";
    public const string FlatInput = "flat-input.json";
    /// <summary>The training reference monitoring compares with (<see cref="ModelReference"/>); absent in older artifacts.</summary>
    public const string Reference = "reference.json";
    /// <summary>The reference's sample of training rows, in <see cref="FeatureRowCodec"/> form.</summary>
    public const string ReferenceSample = "reference-sample.bin";
    /// <summary>Group-aware grade bands (fairness mitigation); present only when enabled for the model's training.</summary>
    public const string GroupGrades = "group-grades.json";
    /// <summary>Display names and value labels (<see cref="FeatureLabels"/>) as they were at training; absent when none were declared.</summary>
    public const string Labels = "labels.json";

    /// <summary>One entry's bytes, or null when the artifact has no such entry.</summary>
    public static byte[]? Read(ZipArchive zip, string name)
    {
        if (zip.GetEntry(name) is not { } e) return null;
        using var s = e.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}

/// <summary>
/// The parts of a registered model that scoring needs, read from the registry artifact without ML.NET:
/// encoder, compiled model, calibrator, grades, and where features come from (the workspace's feature
/// definitions, or a flat table's schema).
/// </summary>
public sealed class ServableModel
{
    public const string CompiledEntry = ArtifactEntries.Compiled;
    public const string FeatureDefinitionsEntry = ArtifactEntries.FeatureDefinitions;
    public const string FlatInputEntry = ArtifactEntries.FlatInput;
    private const string EncoderEntry = ArtifactEntries.Encoder;
    private const string CalibratorEntry = ArtifactEntries.Calibrator;
    private const string GradesEntry = ArtifactEntries.Grades;
    private const string CardEntry = ArtifactEntries.Card;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly int[] _sourceIndex;

    private ServableModel(string version, ScoringEngine engine, ILeadFeatureSource features, string cardJson, FlatModelInput? flat, GroupGrades? groupGrades,
        GradeBands? modelGrades = null, FeatureLabels? modelLabels = null)
    {
        ModelLabels = modelLabels ?? engine.Labels;
        GroupGrades = groupGrades;
        Version = version;
        Engine = engine;
        ModelGrades = modelGrades ?? engine.Grades;
        Features = features;
        CardJson = cardJson;
        HorizonDays = CardHorizon.Read(cardJson);
        Flat = flat;
        // The model may use fewer features than the source computes (leakage audit, exclusions): map by name once.
        _sourceIndex = engine.Encoder.Features.Select(f =>
        {
            for (var i = 0; i < features.Features.Count; i++) if (features.Features[i].Name == f.Name) return i;
            return -1;
        }).ToArray();
        _identity = _sourceIndex.Length == features.Features.Count && _sourceIndex.Select((s, i) => s == i).All(x => x);
    }

    /// <summary>The model uses exactly the features the source computes, in its order: the computed row is the model's row.</summary>
    private readonly bool _identity;

    public string Version { get; }
    public ScoringEngine Engine { get; }
    /// <summary>The bands the model was trained with (its artifact's); <see cref="ScoringEngine.Grades"/> are the ones in effect.</summary>
    public GradeBands ModelGrades { get; }
    /// <summary>True when the bands in effect are an override, not the model's own.</summary>
    public bool GradesOverridden => Engine.Grades != ModelGrades;

    /// <summary>The model graded with <paramref name="grades"/> (null: its own bands). Cheap: the engine's parts are shared.</summary>
    public ServableModel WithGrades(GradeBands? grades)
    {
        var target = grades ?? ModelGrades;
        return target == Engine.Grades ? this : new ServableModel(Version, Engine.WithGrades(target), Features, CardJson, Flat, GroupGrades, ModelGrades, ModelLabels);
    }

    /// <summary>The labels the model was trained with (its artifact's <c>labels.json</c>); <see cref="ScoringEngine.Labels"/> are the ones in effect.</summary>
    public FeatureLabels ModelLabels { get; }

    /// <summary>
    /// The model with its reasons worded with <paramref name="labels"/> over its own (a key both declare takes the new one;
    /// null or empty: its own). Presentation only and cheap: scores and grades are unchanged, the engine's parts are shared.
    /// </summary>
    public ServableModel WithLabels(FeatureLabels? labels)
    {
        var target = labels is null || labels.IsEmpty ? ModelLabels : labels.Over(ModelLabels);
        return target == Engine.Labels || (target.IsEmpty && Engine.Labels.IsEmpty) ? this
            : new ServableModel(Version, Engine.WithLabels(target), Features, CardJson, Flat, GroupGrades, ModelGrades, ModelLabels);
    }
    public ILeadFeatureSource Features { get; }
    public string CardJson { get; }
    /// <summary>The horizon H in days the model predicts over (converting within H days), read from its card; null for models without one.</summary>
    public double? HorizonDays { get; }
    /// <summary>Set for models trained on a flat table.</summary>
    public FlatModelInput? Flat { get; }
    /// <summary>Group-aware grade bands, when fairness mitigation was enabled for this model's training; null otherwise.</summary>
    public GroupGrades? GroupGrades { get; }

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Json);

    public static ServableModel Load(string version, byte[] artifact)
    {
        using var zip = new ZipArchive(new MemoryStream(artifact), ZipArchiveMode.Read);
        var compiled = Read(zip, CompiledEntry) ?? throw new InvalidDataException($"model {version} has no compiled scorer ({CompiledEntry})");
        var encoderJson = System.Text.Encoding.UTF8.GetString(Read(zip, EncoderEntry) ?? throw new InvalidDataException("no encoder"));
        var calibrator = JsonSerializer.Deserialize<ProbabilityCalibrator>(Read(zip, CalibratorEntry) ?? throw new InvalidDataException("no calibrator"), Json)!;
        var grades = JsonSerializer.Deserialize<GradeBands>(Read(zip, GradesEntry) ?? throw new InvalidDataException("no grades"), Json)!;
        var card = System.Text.Encoding.UTF8.GetString(Read(zip, CardEntry) ?? "{}"u8.ToArray());
        var labels = Read(zip, ArtifactEntries.Labels) is { } lb ? FeatureLabels.FromJson(System.Text.Encoding.UTF8.GetString(lb)) : FeatureLabels.None;
        var engine = new ScoringEngine(version, FeatureEncoder.FromJson(encoderJson), CompiledModel.Deserialize(compiled), calibrator, grades, null, labels);
        ILeadFeatureSource source;
        FlatModelInput? flat = null;
        if (Read(zip, FeatureDefinitionsEntry) is { } defs)
        {
            source = new ComputedLeadFeatures(new FeatureComputer(FeatureDefinitions.FromJson(System.Text.Encoding.UTF8.GetString(defs), $"model {version}")));
        }
        else if (Read(zip, FlatInputEntry) is { } flatBytes)
        {
            flat = JsonSerializer.Deserialize<FlatModelInput>(flatBytes, Json)!;
            source = new FlatAttributeFeatures(engine.Encoder.Features, flat.Schema, flat.Rules());
        }
        else throw new InvalidDataException($"model {version} says neither how to compute its features nor which columns it reads");
        var groupGrades = Read(zip, ArtifactEntries.GroupGrades) is { } gg ? JsonSerializer.Deserialize<GroupGrades>(gg, Json) : null;
        return new ServableModel(version, engine, source, card, flat, groupGrades);
    }

    /// <summary>The model's feature row for a lead as of a time.</summary>
    public FeatureValue[] Row(Lead lead, IReadOnlyList<Activity> activities, IReadOnlyList<Enrichment> enrichment, DateTimeOffset asOf)
    {
        // A fresh array either way (the prediction log keeps rows by reference); no second copy when nothing is remapped.
        if (_identity) return Features.Compute(lead, activities, enrichment, asOf);
        // Remapped: the computed row is scratch, rented and cleared on return (it holds category strings).
        var n = Features.Features.Count;
        var computed = System.Buffers.ArrayPool<FeatureValue>.Shared.Rent(n);
        try
        {
            var source = computed.AsSpan(0, n);
            Features.Compute(lead, activities, enrichment, asOf, source);
            var row = new FeatureValue[_sourceIndex.Length];
            for (var i = 0; i < row.Length; i++) row[i] = _sourceIndex[i] >= 0 ? source[_sourceIndex[i]] : FeatureValue.Missing;
            return row;
        }
        finally
        {
            System.Buffers.ArrayPool<FeatureValue>.Shared.Return(computed, clearArray: true);
        }
    }

    /// <summary>
    /// Scores a lead. With <see cref="GroupGrades"/> the grade is read on the lead's group's bands (the probability, the score
    /// and the reasons stay the model's).
    /// </summary>
    public LeadScoreResult Score(Lead lead, IReadOnlyList<Activity> activities, IReadOnlyList<Enrichment> enrichment, DateTimeOffset asOf, bool explain)
    {
        var result = Engine.Score(lead.Id, Row(lead, activities, enrichment, asOf), explain);
        return GroupGrades is { } g ? result with { Grade = g.BandsFor(lead, Engine.Grades).GradeOfScore(result.Score) } : result;
    }

    private static byte[]? Read(ZipArchive zip, string name) => ArtifactEntries.Read(zip, name);
}
