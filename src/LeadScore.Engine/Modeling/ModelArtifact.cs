using System.Text.Json;
using LeadScore.Engine.Features;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Modeling;

/// <summary>
/// The one writer of what serving needs besides the trained model: the compiled scorer (with TreeSHAP covers from the
/// training rows) and where the features come from, either the workspace's feature definitions or a flat table's
/// schema with the value rules it was read with. <see cref="TrainedModel.ToBytes"/> zips these with the model;
/// <see cref="ServableModel.Load"/> reads them back without ML.NET.
/// </summary>
public static class ModelArtifact
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The compiled scorer of a freshly trained model (TreeSHAP covers come from its training rows).</summary>
    public static CompiledModel Compile(TrainedModel model)
    {
        var matrix = model.TrainingMatrix ?? throw new InvalidOperationException("a freshly trained model carries its training matrix (TreeSHAP covers need it)");
        return CompiledModel.FromMlNet(model.Model, matrix, model.SlotCount);
    }

    /// <summary>The serving entries of a freshly trained model; exactly one of <paramref name="definitions"/> and <paramref name="flat"/>.</summary>
    public static IReadOnlyDictionary<string, byte[]> ServingEntries(TrainedModel model, FeatureDefinitions? definitions, FlatModelInput? flat) =>
        ServingEntries(Compile(model), definitions, flat);

    /// <summary>
    /// The serving entries, with the model already compiled (e.g. also used for the report); <paramref name="groupGrades"/>
    /// are group-aware grade bands to apply in scoring (fairness mitigation enabled), or null.
    /// </summary>
    public static IReadOnlyDictionary<string, byte[]> ServingEntries(CompiledModel compiled, FeatureDefinitions? definitions, FlatModelInput? flat, GroupGrades? groupGrades = null,
        FeatureLabels? labels = null)
    {
        if ((definitions is null) == (flat is null)) throw new ArgumentException("a model reads its features either from definitions or from a flat table");
        var entries = new Dictionary<string, byte[]> { [ArtifactEntries.Compiled] = compiled.Serialize() };
        if (groupGrades is not null) entries[ArtifactEntries.GroupGrades] = JsonSerializer.SerializeToUtf8Bytes(groupGrades, Json);
        // Presentation travels with the model, so a copy of the artifact words its reasons as the workspace did.
        if (labels is { IsEmpty: false }) entries[ArtifactEntries.Labels] = System.Text.Encoding.UTF8.GetBytes(labels.ToJson());
        if (definitions is not null) entries[ArtifactEntries.FeatureDefinitions] = System.Text.Encoding.UTF8.GetBytes(definitions.ToJson());
        else entries[ArtifactEntries.FlatInput] = JsonSerializer.SerializeToUtf8Bytes(flat, Json);
        return entries;
    }

    /// <summary>
    /// The reference entries monitoring compares live leads with (<see cref="ModelReference"/>): the training rows'
    /// distributions and a seeded sample of them, the held-out scores, grade mix and calibration. Empty when the result
    /// no longer holds its training rows.
    /// </summary>
    /// <remarks>
    /// With <paramref name="createdAt"/> (a lead's creation time by id) each reference row carries its lead age, the time from
    /// the lead's creation to the row's decision time, so monitoring can compare live predictions of leads of the same age.
    /// </remarks>
    public static IReadOnlyDictionary<string, byte[]> ReferenceEntries(TrainingResult result, int seed = TrainingOptions.Defaults.Seed,
        Func<string, DateTimeOffset?>? createdAt = null)
    {
        if (result.Train is not { } train) return new Dictionary<string, byte[]>();
        var m = result.Model;
        double[]? ages = null;
        if (createdAt is not null && train.Times.Count == train.Count)
        {
            ages = new double[train.Count];
            for (var i = 0; i < train.Count; i++)
                ages[i] = createdAt(train.Ids[i]) is { } c ? (train.Times[i] - c).TotalDays : double.NaN;
        }
        return ModelReference.Build(m.Encoder, m.Grades, train, result.TestProbabilities, result.Test.Labels, result.Metrics.Auc, result.Metrics.Ece,
            result.Importance.ToDictionary(i => i.Feature, i => i.AucDrop, StringComparer.Ordinal), seed, ages).ToEntries();
    }
}
