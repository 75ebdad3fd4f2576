using System.Text;

namespace LeadScore.Engine.Scoring;

public sealed partial class CompiledModel
{
    private const uint Magic = 0x4D43534C; // "LSCM"
    private const int FormatVersion = 1;

    /// <summary>The model as bytes for the registry; <see cref="Deserialize"/> restores it without ML.NET.</summary>
    public byte[] Serialize()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write((int)Kind);
            w.Write(SlotCount);
            w.Write(Algorithm);
            w.Write((int)MlNetCalibrator);
            w.Write(MlNetSlope);
            w.Write(MlNetOffset);
            w.Write(Nodes.Length);
            foreach (var n in Nodes)
            {
                w.Write(n.Feature);
                w.Write(n.Threshold);
                w.Write(n.Children);
                w.Write(n.MissingDefault);
            }
            WriteArray(w, Values);
            WriteArray(w, Cover);
            WriteArray(w, TreeRoots);
            WriteArray(w, TreeDepths);
            WriteArray(w, CategoricalStarts);
            WriteArray(w, CategoricalSlots);
            WriteArray(w, Weights);
            w.Write(Bias);
            WriteArray(w, SlotMeans);
        }
        return ms.ToArray();
    }

    /// <summary>Reads bytes written by <see cref="Serialize"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a compiled model of a known format.</exception>
    public static CompiledModel Deserialize(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (r.ReadUInt32() != Magic) throw new InvalidDataException("Not a LeadScore compiled model.");
            var version = r.ReadInt32();
            if (version != FormatVersion) throw new InvalidDataException($"Compiled model format {version} is not supported (expected {FormatVersion}).");
            var kind = (CompiledModelKind)r.ReadInt32();
            var slots = r.ReadInt32();
            var algorithm = r.ReadString();
            var cal = (MlNetCalibratorKind)r.ReadInt32();
            var slope = r.ReadDouble();
            var offset = r.ReadDouble();
            var nodes = new Node[r.ReadInt32()];
            for (var i = 0; i < nodes.Length; i++)
                nodes[i] = new Node { Feature = r.ReadInt32(), Threshold = r.ReadSingle(), Children = r.ReadInt32(), MissingDefault = r.ReadSingle() };
            var values = ReadDoubles(r);
            var cover = ReadDoubles(r);
            var roots = ReadInts(r);
            var depths = ReadInts(r);
            var catStarts = ReadInts(r);
            var catSlots = ReadInts(r);
            var weights = ReadDoubles(r);
            var bias = r.ReadDouble();
            var means = ReadDoubles(r);
            if (r.BaseStream.Position != bytes.Length) throw new InvalidDataException("Trailing bytes after the compiled model.");
            Validate(kind, slots, nodes, values, cover, roots, catStarts, catSlots, weights, means);
            return new CompiledModel(kind, slots, nodes, values, cover, roots, depths, catStarts, catSlots, weights, bias, means, cal, slope, offset, algorithm);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The compiled model is truncated.", e);
        }
    }

    // A corrupt model must fail at load, not index out of range while scoring.
    private static void Validate(CompiledModelKind kind, int slots, Node[] nodes, double[] values, double[] cover, int[] roots,
        int[] catStarts, int[] catSlots, double[] weights, double[] means)
    {
        if (slots <= 0) throw new InvalidDataException("Slot count must be positive.");
        if (kind == CompiledModelKind.Linear)
        {
            if (weights.Length != slots || means.Length != slots) throw new InvalidDataException("Linear weights do not match the slot count.");
            return;
        }
        if (values.Length != nodes.Length || cover.Length != nodes.Length) throw new InvalidDataException("Node arrays differ in length.");
        if (catStarts.Length == 0 || catStarts[^1] != catSlots.Length) throw new InvalidDataException("Categorical sets are inconsistent.");
        foreach (var root in roots)
            if ((uint)root >= (uint)nodes.Length) throw new InvalidDataException("A tree root is out of range.");
        for (var i = 0; i < nodes.Length; i++)
        {
            var n = nodes[i];
            if (IsLeaf(nodes, i)) continue;
            if (n.Children <= i || n.Children + 1 >= nodes.Length) throw new InvalidDataException($"Node {i} has children out of range.");
            if (n.Feature >= slots || (n.Feature < 0 && -1 - n.Feature >= catStarts.Length - 1)) throw new InvalidDataException($"Node {i} splits on an unknown slot.");
        }
        foreach (var s in catSlots)
            if ((uint)s >= (uint)slots) throw new InvalidDataException("A categorical split names an unknown slot.");
    }

    private static void WriteArray(BinaryWriter w, double[] a)
    {
        w.Write(a.Length);
        foreach (var v in a) w.Write(v);
    }

    private static void WriteArray(BinaryWriter w, int[] a)
    {
        w.Write(a.Length);
        foreach (var v in a) w.Write(v);
    }

    private static double[] ReadDoubles(BinaryReader r)
    {
        var a = new double[r.ReadInt32()];
        for (var i = 0; i < a.Length; i++) a[i] = r.ReadDouble();
        return a;
    }

    private static int[] ReadInts(BinaryReader r)
    {
        var a = new int[r.ReadInt32()];
        for (var i = 0; i < a.Length; i++) a[i] = r.ReadInt32();
        return a;
    }
}
