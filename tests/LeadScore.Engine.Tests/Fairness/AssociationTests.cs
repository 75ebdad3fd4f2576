using LeadScore.Engine.Fairness;

namespace LeadScore.Engine.Tests.Fairness;

/// <summary>Expected values computed once with scipy 1.10 (scipy.stats.contingency.association, chi2_contingency) and numpy.</summary>
public sealed class AssociationTests
{
    private const int N = 40;
    private static readonly string[] A = Enumerable.Range(0, N).Select(i => "a" + i % 3).ToArray();
    private static readonly string[] B = Enumerable.Range(0, N).Select(i => "b" + (i * i + i / 3) % 4).ToArray();

    [Fact]
    public void Uncorrected_cramers_v_equals_scipy_association()
    {
        // association(crosstab(a, b)[1], method="cramer")
        Association.CramersV(A, B, biasCorrected: false).ShouldBe(0.7076295958836192, 1e-12);
        Association.CramersV(B, A, biasCorrected: false).ShouldBe(0.7076295958836192, 1e-12);
    }

    [Fact]
    public void Bias_corrected_cramers_v_equals_bergsmas_formula_on_scipys_chi_squared()
    {
        // phi2 = chi2_contingency(t, correction=False)[0] / n; phi2c = max(0, phi2 - (r-1)(k-1)/(n-1)); rc, kc likewise.
        Association.CramersV(A, B).ShouldBe(0.6683753224989473, 1e-12);
        var b2 = Enumerable.Range(0, N).Select(i => i % 5 != 0 ? A[i] : "a" + i / 5 % 3).ToArray();
        Association.CramersV(A, b2, biasCorrected: false).ShouldBe(0.8309489698388166, 1e-12);
        Association.CramersV(A, b2).ShouldBe(0.8208198180753031, 1e-12);
    }

    [Fact]
    public void Correlation_ratio_equals_numpys_between_over_total_sum_of_squares_and_its_epsilon_squared_correction()
    {
        var v = Enumerable.Range(0, N).Select(i => i * 7 % 11 + i % 3 * 2.5).ToArray();
        Association.CorrelationRatio(A, v, biasCorrected: false).ShouldBe(0.4869347834594021, 1e-12);
        // sqrt((SSB - (k-1) * SSW / (n-k)) / SST), numpy.
        Association.CorrelationRatio(A, v).ShouldBe(0.44256970287370245, 1e-12);
    }

    [Fact]
    public void A_single_category_or_constant_values_mean_no_association()
    {
        var same = Enumerable.Repeat("x", N).ToArray();
        Association.CramersV(A, same).ShouldBe(0);
        Association.CorrelationRatio(A, Enumerable.Repeat(3.0, N).ToArray()).ShouldBe(0);
        // Missing numbers are left out, not read as zero.
        Association.CorrelationRatio(["a", "a", "b", "b", "b"], [1, 1, 5, 5, double.NaN], biasCorrected: false).ShouldBe(1, 1e-12);
    }
}
