namespace LeadScore.Engine.Modeling;

/// <summary>
/// Serialises LightGBM training inside the process. The native library sizes per-thread buffers from
/// OpenMP's thread count, which is process-global; two trainings at once (say one with 1 thread, one with
/// the default) can index past those buffers and kill the process with "[LightGBM] [Warning] bad_alloc"
/// (dotnet/machinelearning#6961, #4918). No managed exception reaches the caller, so the only safe course
/// is one native training at a time. FastTree, FastForest and L-BFGS are managed and need no gate, and a
/// trained LightGBM model scores through managed trees (or LeadScore's compiled scorer), so only Fit waits.
/// </summary>
public static class LightGbmNative
{
    private static readonly Lock Gate = new();

    /// <summary>Runs <paramref name="fit"/> (a LightGBM Fit) while no other LightGBM training runs.</summary>
    public static T Exclusive<T>(Func<T> fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        lock (Gate)
            return fit();
    }
}
