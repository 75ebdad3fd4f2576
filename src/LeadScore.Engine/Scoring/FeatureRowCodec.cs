using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// The compact form of a model's feature row, shared by the prediction log and the reference sample kept with the model:
/// one little-endian float32 per feature in the model's feature order. A numeric value is the number (NaN = missing); a
/// category is its code, the index in the model's encoder vocabulary (<see cref="EncodedFeature.Categories"/>), with
/// <see cref="OtherCode"/> for a category the model never saw and NaN for missing. Codes keep a row at 4 bytes a feature
/// whatever the category text, and the vocabulary travels with the model, so a code means the same everywhere.
/// </summary>
public sealed class FeatureRowCodec
{
    /// <summary>The code of a category outside the model's vocabulary (a new lead source, say).</summary>
    public const float OtherCode = -1f;

    /// <summary>The label <see cref="Category"/> gives <see cref="OtherCode"/>.</summary>
    public const string OtherLabel = "(new)";

    private readonly Dictionary<string, int>?[] _codes;
    private readonly string[]?[] _labels;

    public FeatureRowCodec(FeatureEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        Features = encoder.Features;
        _codes = new Dictionary<string, int>?[Features.Count];
        _labels = new string[]?[Features.Count];
        for (var f = 0; f < Features.Count; f++)
        {
            if (encoder.Encodings[f].Categories is not { } cats) continue;
            _labels[f] = [.. cats];
            var map = new Dictionary<string, int>(cats.Count, StringComparer.Ordinal);
            for (var i = 0; i < cats.Count; i++) map.TryAdd(cats[i], i);
            _codes[f] = map;
        }
    }

    public IReadOnlyList<FeatureInfo> Features { get; }

    /// <summary>Bytes of one encoded row.</summary>
    public int RowBytes => Features.Count * sizeof(float);

    /// <summary>Whether feature <paramref name="f"/> holds category codes.</summary>
    public bool IsCategorical(int f) => _codes[f] is not null;

    /// <summary>The vocabulary of a categorical feature, in code order (empty for numeric features).</summary>
    public IReadOnlyList<string> Categories(int f) => _labels[f] ?? [];

    /// <summary>The label of a category code (<see cref="OtherLabel"/> for an unseen one).</summary>
    public string Category(int f, float code) =>
        _labels[f] is { } l && code >= 0 && code < l.Length ? l[(int)code] : OtherLabel;

    /// <summary>The row as stored (length <see cref="RowBytes"/>).</summary>
    public byte[] Encode(ReadOnlySpan<FeatureValue> row)
    {
        var bytes = new byte[RowBytes];
        Encode(row, bytes);
        return bytes;
    }

    public void Encode(ReadOnlySpan<FeatureValue> row, Span<byte> into)
    {
        if (row.Length != Features.Count) throw new ArgumentException($"Expected {Features.Count} features, got {row.Length}.", nameof(row));
        for (var f = 0; f < row.Length; f++)
            BinaryPrimitives.WriteSingleLittleEndian(into.Slice(f * sizeof(float), sizeof(float)), Value(f, row[f]));
    }

    /// <summary>The stored float of one value.</summary>
    public float Value(int f, FeatureValue v)
    {
        if (_codes[f] is { } codes)
            return v.Category is not { } c ? float.NaN : codes.TryGetValue(c, out var code) ? code : OtherCode;
        return (float)v.Number;
    }

    /// <summary>Reads a stored row into <paramref name="values"/> (one float per feature). False when the bytes are not a row of this model.</summary>
    public bool TryDecode(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        if (bytes.Length != RowBytes || values.Length < Features.Count) return false;
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
        else for (var f = 0; f < Features.Count; f++) values[f] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(f * sizeof(float)));
        return true;
    }
}
