using System.IO.Compression;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Scoring;
using Microsoft.ML;

namespace LeadScore.Engine.Modeling;

/// <summary>
/// A trained model: the ML.NET transformer (reads "Features", writes the raw margin "Score"), the
/// encoder that builds "Features", the calibrator from margin to probability, grade bands and the card.
/// Immutable once built. Serialised as one zip (see <see cref="ToBytes"/>).
/// </summary>
public sealed class TrainedModel
{
    public const string ModelEntry = ArtifactEntries.Model;
    public const string EncoderEntry = ArtifactEntries.Encoder;
    public const string CalibratorEntry = ArtifactEntries.Calibrator;
    public const string GradesEntry = ArtifactEntries.Grades;
    public const string CardEntry = ArtifactEntries.Card;

    private readonly MLContext _ml;

    public TrainedModel(MLContext ml, ITransformer model, FeatureEncoder encoder, ProbabilityCalibrator calibrator, GradeBands grades, ModelCard card, float[]? trainingMatrix = null)
    {
        _ml = ml;
        Model = model;
        Encoder = encoder;
        Calibrator = calibrator;
        Grades = grades;
        Card = card;
        TrainingMatrix = trainingMatrix;
    }

    public ITransformer Model { get; }
    public FeatureEncoder Encoder { get; }
    public ProbabilityCalibrator Calibrator { get; }
    public GradeBands Grades { get; }
    public ModelCard Card { get; }
    /// <summary>
    /// The encoded training rows (row-major, <see cref="FeatureEncoder.SlotCount"/> per row), for node covers in
    /// the compiled scorer. Not serialised: null on a loaded model.
    /// </summary>
    public float[]? TrainingMatrix { get; }
    public int SlotCount => Encoder.SlotCount;

    /// <summary>The same model with another card (e.g. the registry version set).</summary>
    public TrainedModel WithCard(ModelCard card) => new(_ml, Model, Encoder, Calibrator, Grades, card, TrainingMatrix);

    /// <summary>
    /// Encodes a frame for this model, matching features by name (features the frame lacks are missing;
    /// extra columns are ignored), row-major.
    /// </summary>
    public float[] Encode(FeatureFrame frame)
    {
        var map = Encoder.Features.Select(f => frame.IndexOf(f.Name)).ToArray();
        var m = new float[(long)frame.Count * SlotCount];
        var row = new FeatureValue[map.Length];
        for (var r = 0; r < frame.Count; r++)
        {
            for (var j = 0; j < map.Length; j++) row[j] = map[j] >= 0 ? frame[r, map[j]] : FeatureValue.Missing;
            Encoder.Encode(row, m.AsSpan(r * SlotCount, SlotCount));
        }
        return m;
    }

    /// <summary>Raw margins (ML.NET's "Score") for an encoded matrix.</summary>
    public double[] Margins(float[] encoded) => MlNetFitter.Margins(_ml, Model, encoded, SlotCount);

    /// <summary>Calibrated probabilities for every row of a frame.</summary>
    public double[] Predict(FeatureFrame frame) => Array.ConvertAll(Margins(Encode(frame)), Calibrator.Apply);

    /// <summary>Features of the frame this model needs but that are absent (by name); a context feature is not needed (it reads as missing, as when served).</summary>
    public IReadOnlyList<string> MissingFeatures(FeatureFrame frame) =>
        Encoder.Features.Where(f => !f.IsContext && frame.IndexOf(f.Name) < 0).Select(f => f.Name).ToArray();

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>
    /// One zip with entries model.zip (ML.NET), encoder.json, calibrator.json, grades.json and card.json;
    /// <paramref name="extraEntries"/> are added as they are (e.g. compiled.bin from the scoring engine).
    /// </summary>
    public byte[] ToBytes(IReadOnlyDictionary<string, byte[]>? extraEntries = null)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var modelStream = new MemoryStream())
            {
                var schema = MlNetFitter.ToDataView(_ml, new float[SlotCount], SlotCount, null).Schema;
                _ml.Model.Save(Model, schema, modelStream);
                Write(zip, ModelEntry, modelStream.ToArray());
            }
            Write(zip, EncoderEntry, System.Text.Encoding.UTF8.GetBytes(Encoder.ToJson()));
            Write(zip, CalibratorEntry, JsonSerializer.SerializeToUtf8Bytes(Calibrator, Json));
            Write(zip, GradesEntry, JsonSerializer.SerializeToUtf8Bytes(Grades, Json));
            Write(zip, CardEntry, System.Text.Encoding.UTF8.GetBytes(Card.ToJson()));
            if (extraEntries is not null)
                foreach (var (name, bytes) in extraEntries) Write(zip, name, bytes);
        }
        return ms.ToArray();
    }

    /// <summary>Loads a model written by <see cref="ToBytes"/>.</summary>
    public static TrainedModel FromBytes(byte[] bytes, int seed = 1)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        var ml = new MLContext(seed);
        ITransformer model;
        using (var s = new MemoryStream(Read(zip, ModelEntry))) model = ml.Model.Load(s, out _);
        var encoder = FeatureEncoder.FromJson(System.Text.Encoding.UTF8.GetString(Read(zip, EncoderEntry)));
        var calibrator = JsonSerializer.Deserialize<ProbabilityCalibrator>(Read(zip, CalibratorEntry), Json) ?? throw new InvalidDataException("empty calibrator");
        var grades = JsonSerializer.Deserialize<GradeBands>(Read(zip, GradesEntry), Json) ?? throw new InvalidDataException("empty grades");
        var card = ModelCard.FromJson(System.Text.Encoding.UTF8.GetString(Read(zip, CardEntry)));
        return new TrainedModel(ml, model, encoder, calibrator, grades, card);
    }

    /// <summary>Reads one named entry of a serialised model (null when absent), e.g. compiled.bin.</summary>
    public static byte[]? ReadEntry(byte[] bytes, string name)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        return ArtifactEntries.Read(zip, name);
    }

    private static void Write(ZipArchive zip, string name, byte[] bytes)
    {
        var e = zip.CreateEntry(name, CompressionLevel.Optimal);
        // Fixed timestamp: the same model gives the same bytes.
        e.LastWriteTime = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var s = e.Open();
        s.Write(bytes);
    }

    private static byte[] Read(ZipArchive zip, string name) =>
        ArtifactEntries.Read(zip, name) ?? throw new InvalidDataException($"model artifact has no {name}");
}
