namespace LeadScore.Engine.Monitoring;

/// <summary>Realized performance (outcomes known) and NannyML's CBPE estimate (outcomes pending).</summary>
public static class Performance
{
    /// <summary>AUC, PR-AUC, ECE and lift at 10% as the model card computes them (Evaluator), and calibration per grade.</summary>
    public static RealizedPerformance Realized(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, IReadOnlyList<string?>? grades = null) => throw new NotImplementedException();

    /// <summary>CBPE: the expected confusion matrix at <paramref name="threshold"/> and the expected ROC AUC from calibrated probabilities.</summary>
    public static EstimatedPerformance Estimated(IReadOnlyList<double> probabilities, double threshold) => throw new NotImplementedException();

    /// <summary>NannyML's estimated ROC AUC from calibrated probabilities alone.</summary>
    public static double EstimatedAuc(IReadOnlyList<double> probabilities) => throw new NotImplementedException();
}
