using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;

namespace LeadScore.Engine.Scoring;

public sealed partial class CompiledModel
{
    /// <summary>
    /// Exports a trained ML.NET binary classifier (LightGBM, FastTree, FastForest or a linear model,
    /// calibrated or not) trained on one float-vector column of <paramref name="slotCount"/> slots.
    /// <paramref name="trainingMatrix"/> holds the training rows, row-major: trees need them for node
    /// covers (ML.NET does not keep them), linear models for the slot means explanations start from.
    /// </summary>
    /// <remarks>
    /// LightGBM's per-node NaN defaults are read from a non-public field of ML.NET 5.0.1's internal
    /// tree. ML.NET is pinned; an equality test against ML.NET fails loudly if an upgrade moves it.
    /// </remarks>
    public static CompiledModel FromMlNet(ITransformer model, ReadOnlySpan<float> trainingMatrix, int slotCount)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (slotCount <= 0) throw new ArgumentOutOfRangeException(nameof(slotCount));
        if (trainingMatrix.Length == 0 || trainingMatrix.Length % slotCount != 0)
            throw new ArgumentException($"The training matrix must hold whole rows of {slotCount} slots.", nameof(trainingMatrix));

        var predictor = FindPredictor(model);
        object inner = predictor;
        var calibrator = MlNetCalibratorKind.None;
        double slope = 0, offset = 0;
        var calibratedType = FindGenericBase(predictor.GetType(), typeof(CalibratedModelParametersBase<,>));
        if (calibratedType is not null)
        {
            inner = calibratedType.GetProperty("SubModel", BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly)!.GetValue(predictor)!;
            var cal = calibratedType.GetProperty("Calibrator", BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly)!.GetValue(predictor);
            switch (cal)
            {
                case PlattCalibrator p:
                    calibrator = MlNetCalibratorKind.Platt; slope = p.Slope; offset = p.Offset;
                    break;
                case null:
                    break;
                default:
                    throw new NotSupportedException($"ML.NET calibrator {cal.GetType().Name} is not supported; use Platt or none (LeadScore calibrates on its own).");
            }
        }

        var algorithm = inner.GetType().Name;
        switch (inner)
        {
            case TreeEnsembleModelParametersBasedOnRegressionTree t:
                return FromTrees(t.TrainedTreeEnsemble.Trees, trainingMatrix, slotCount, calibrator, slope, offset, algorithm);
            case TreeEnsembleModelParametersBasedOnQuantileRegressionTree q:
                return FromTrees(q.TrainedTreeEnsemble.Trees, trainingMatrix, slotCount, calibrator, slope, offset, algorithm);
            case LinearModelParameters lin:
            {
                if (lin.Weights.Count > slotCount) throw new ArgumentException($"The model has {lin.Weights.Count} weights but {slotCount} slots were given.", nameof(slotCount));
                var w = new double[slotCount];
                for (var i = 0; i < lin.Weights.Count; i++) w[i] = lin.Weights[i];
                var means = new double[slotCount];
                var rows = trainingMatrix.Length / slotCount;
                for (var r = 0; r < rows; r++)
                {
                    var row = trainingMatrix.Slice(r * slotCount, slotCount);
                    for (var i = 0; i < slotCount; i++) means[i] += row[i];
                }
                for (var i = 0; i < slotCount; i++) means[i] /= rows;
                return new CompiledModel(CompiledModelKind.Linear, slotCount, [], [], [], [], [], [0], [],
                    w, lin.Bias, means, calibrator, slope, offset, algorithm);
            }
            default:
                throw new NotSupportedException($"Cannot compile a {algorithm}: LeadScore compiles tree ensembles and linear binary classifiers.");
        }
    }

    private static object FindPredictor(ITransformer model)
    {
        ITransformer? last = model;
        while (last is TransformerChain<ITransformer> chain) last = chain.LastTransformer;
        if (last is ISingleFeaturePredictionTransformer<object> p) return p.Model;
        // Chains of other element types: take the last transformer through the enumerable.
        if (last is IEnumerable<ITransformer> items && items.LastOrDefault() is { } t) return FindPredictor(t);
        throw new NotSupportedException($"{model.GetType().Name} is not a prediction transformer.");
    }

    private static Type? FindGenericBase(Type? t, Type generic)
    {
        for (; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == generic) return t;
        return null;
    }

    private static CompiledModel FromTrees<TTree>(IReadOnlyList<TTree> trees, ReadOnlySpan<float> training, int slotCount,
        MlNetCalibratorKind calibrator, double slope, double offset, string algorithm) where TTree : RegressionTreeBase
    {
        var nodes = new List<Node>();
        var values = new List<double>();
        var roots = new int[trees.Count];
        var depths = new int[trees.Count];
        var catStarts = new List<int> { 0 };
        var catSlots = new List<int>();
        var queue = new Queue<(int MlNode, int Index, int Depth)>();
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            var defaults = MissingDefaults(tree);
            var root = nodes.Count;
            roots[t] = root;
            nodes.Add(default); values.Add(0);
            // ML.NET: a tree with one leaf has no inner node; its root is leaf 0 (~0).
            queue.Enqueue((tree.NumberOfNodes == 0 ? ~0 : 0, root, 0));
            var depth = 0;
            while (queue.Count > 0)
            {
                var (ml, index, d) = queue.Dequeue();
                depth = Math.Max(depth, d);
                if (ml < 0)
                {
                    nodes[index] = new Node { Feature = 0, Threshold = float.NaN, Children = index - 1, MissingDefault = float.NaN };
                    values[index] = tree.LeafValues[~ml];
                    continue;
                }
                var children = nodes.Count;
                nodes.Add(default); values.Add(0);
                nodes.Add(default); values.Add(0);
                var node = new Node
                {
                    Children = children,
                    Threshold = tree.NumericalSplitThresholds[ml],
                    MissingDefault = defaults is null ? float.NaN : defaults[ml],
                };
                if (tree.CategoricalSplitFlags[ml])
                {
                    node.Feature = -catStarts.Count;
                    catSlots.AddRange(tree.GetCategoricalSplitFeaturesAt(ml));
                    catStarts.Add(catSlots.Count);
                }
                else
                {
                    node.Feature = tree.NumericalSplitFeatureIndexes[ml];
                    if ((uint)node.Feature >= (uint)slotCount) throw new ArgumentException($"A tree splits on slot {node.Feature}; only {slotCount} slots were given.", nameof(slotCount));
                }
                nodes[index] = node;
                queue.Enqueue((tree.LeftChild[ml], children, d + 1));
                queue.Enqueue((tree.RightChild[ml], children + 1, d + 1));
            }
            depths[t] = depth;
        }

        var nodeArray = nodes.ToArray();
        var cover = new double[nodeArray.Length];
        var shell = new CompiledModel(CompiledModelKind.Trees, slotCount, nodeArray, values.ToArray(), cover, roots, depths,
            catStarts.ToArray(), catSlots.ToArray(), [], 0, [], calibrator, slope, offset, algorithm);
        // Covers: route every training row through every tree, counting rows per node.
        var rows = training.Length / slotCount;
        for (var r = 0; r < rows; r++)
        {
            var x = training.Slice(r * slotCount, slotCount);
            for (var t = 0; t < roots.Length; t++)
            {
                var n = roots[t];
                cover[n]++;
                while (!IsLeaf(nodeArray, n)) { n = shell.Next(n, x); cover[n]++; }
            }
        }
        // A leaf no training row reaches (LightGBM bins NaN and zeros its own way) would make
        // TreeSHAP divide 0 by 0: give such leaves a negligible pseudo-cover and re-add the sums.
        if (roots.Any(r => HasEmptyLeaf(nodeArray, cover, r)))
            foreach (var r in roots) FillCover(nodeArray, cover, r);
        // Rebuild so the expectations (base value) are computed from the covers.
        return new CompiledModel(CompiledModelKind.Trees, slotCount, nodeArray, shell.Values, cover, roots, depths,
            shell.CategoricalStarts, shell.CategoricalSlots, [], 0, [], calibrator, slope, offset, algorithm);
    }

    private const double PseudoCover = 1e-6;

    private static bool HasEmptyLeaf(Node[] nodes, double[] cover, int n) =>
        IsLeaf(nodes, n) ? cover[n] <= 0 : HasEmptyLeaf(nodes, cover, nodes[n].Children) || HasEmptyLeaf(nodes, cover, nodes[n].Children + 1);

    private static double FillCover(Node[] nodes, double[] cover, int n)
    {
        if (IsLeaf(nodes, n)) return cover[n] = Math.Max(cover[n], PseudoCover);
        return cover[n] = FillCover(nodes, cover, nodes[n].Children) + FillCover(nodes, cover, nodes[n].Children + 1);
    }

    /// <summary>
    /// LightGBM's per-node replacement for NaN, from the non-public <c>DefaultValueForMissing</c> of
    /// ML.NET's internal tree; null when the trainer kept none (FastTree, FastForest: NaN goes right).
    /// </summary>
    private static float[]? MissingDefaults(RegressionTreeBase tree)
    {
        const BindingFlags Any = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        object? internalTree = null;
        for (var t = tree.GetType(); t is not null && internalTree is null; t = t.BaseType)
            foreach (var f in t.GetFields(Any | BindingFlags.DeclaredOnly))
                if (f.FieldType.Name == "InternalRegressionTree") { internalTree = f.GetValue(tree); break; }
        if (internalTree is null)
            throw new NotSupportedException("ML.NET's internal regression tree was not found: this ML.NET version is not supported (pinned to 5.0.1).");
        var type = internalTree.GetType();
        object? raw = null;
        var found = false;
        for (var t = type; t is not null && !found; t = t.BaseType)
        {
            if (t.GetProperty("DefaultValueForMissing", Any | BindingFlags.DeclaredOnly) is { } p) { raw = p.GetValue(internalTree); found = true; }
            else if (t.GetField("DefaultValueForMissing", Any | BindingFlags.DeclaredOnly) is { } f) { raw = f.GetValue(internalTree); found = true; }
        }
        if (!found)
            throw new NotSupportedException("ML.NET's DefaultValueForMissing was not found: this ML.NET version is not supported (pinned to 5.0.1).");
        return raw switch
        {
            null => null,
            float[] fs => fs,
            double[] ds => Array.ConvertAll(ds, d => (float)d),
            _ => throw new NotSupportedException($"DefaultValueForMissing has unexpected type {raw.GetType().Name}."),
        };
    }
}
