namespace LeadScore.Engine.Reporting;

/// <summary>Writes the monitoring report: index.html and PNG plots in one folder, in the evaluation report's page frame.</summary>
public static class MonitoringReport
{
    /// <summary>Writes index.html and the plots into <paramref name="directory"/>; returns the path of index.html.</summary>
    public static string Write(string directory, MonitoringReportInput input) => throw new NotImplementedException();
}
