namespace LeadScore.Engine.Monitoring;

/// <summary>
/// Multivariate drift as NannyML's domain classifier does it: a boosted-tree classifier learns to tell reference rows
/// (0) from current rows (1); its stratified cross-validated AUC is the drift measure (0.5 = indistinguishable), drifted
/// above <see cref="DriftOptions.MultivariateAucThreshold"/>. Seeded; the features used most by the trees are reported.
/// </summary>
public static class DomainClassifier
{
    public static MultivariateDrift Run(DriftSample reference, DriftSample current, DriftOptions? options = null) => throw new NotImplementedException();
}
