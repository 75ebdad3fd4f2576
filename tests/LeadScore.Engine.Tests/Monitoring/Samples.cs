namespace LeadScore.Engine.Tests.Monitoring;

/// <summary>Deterministic samples, the same integer LCG as scipy_oracle.py, so both sides see identical doubles.</summary>
internal static class Samples
{
    public static double[] Lcg(long seed, int count, long modulo, double scale, double offset = 0.0)
    {
        var x = seed;
        var result = new double[count];
        for (var i = 0; i < count; i++)
        {
            x = (1103515245 * x + 12345) % 2147483648;
            result[i] = x % modulo / scale + offset;
        }
        return result;
    }

    public static double[] Repeat(params (double Value, int Count)[] parts) => parts.SelectMany(p => Enumerable.Repeat(p.Value, p.Count)).ToArray();

    public static double[] Sorted(double[] values) { var copy = (double[])values.Clone(); Array.Sort(copy); return copy; }
}
