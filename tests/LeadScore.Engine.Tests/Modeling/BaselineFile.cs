using System.Globalization;
using System.Text.Json;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Modeling;

/// <summary>
/// Baseline files under Modeling/Baselines: one JSON object of strings. Numbers are compared within
/// <see cref="Tolerance"/> (absolute), everything else exactly, as ML.NET compares its baseline outputs: the files
/// hold six decimals, and a last-digit change from floating-point summation order is not a different model.
/// </summary>
internal static class BaselineFile
{
    public const double Tolerance = 1e-6;

    /// <summary>A metric as the baseline comparison reads it: full precision, invariant culture.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static void ShouldMatch(IReadOnlyDictionary<string, string> actual, string fileName)
    {
        var path = Path.Combine(TestPaths.RepoRoot, "tests", "LeadScore.Engine.Tests", "Modeling", "Baselines", fileName);
        // What to write into the file when a change of the numbers is intended (six decimals, like the files).
        var suggested = JsonSerializer.Serialize(actual.ToDictionary(kv => kv.Key, kv => TryNumber(kv.Value, out var d) && kv.Value.Contains('.') ? d.ToString("F6", CultureInfo.InvariantCulture) : kv.Value));
        File.Exists(path).ShouldBeTrue($"baseline missing; expected content: {suggested}");
        var expected = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))!;
        actual.Keys.Order(StringComparer.Ordinal).ShouldBe(expected.Keys.Order(StringComparer.Ordinal), $"actual: {suggested}");
        foreach (var (key, want) in expected)
        {
            var got = actual[key];
            if (TryNumber(want, out var e) && TryNumber(got, out var a))
                a.ShouldBe(e, Tolerance, $"{key} in {fileName}; actual: {suggested}");
            else
                got.ShouldBe(want, $"{key} in {fileName}; actual: {suggested}");
        }
    }

    private static bool TryNumber(string s, out double d) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d);
}
