namespace LeadScore.TestKit;

/// <summary>Where the repository and the shared datasets are, found from the test's working folder.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared/data beside the repository (CI puts it there).</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));

    public static string XEducation => Path.Combine(SharedData, "x-education-leads", "Leads.csv");
    public static string BankMarketing => Path.Combine(SharedData, "bank-marketing", "bank-additional-full.csv");

    /// <summary>A fresh empty folder under the system temp folder.</summary>
    public static string NewTempDir(string prefix = "leadscore-test")
    {
        var d = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }

    private static string FindRepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "LeadScore.slnx"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("LeadScore.slnx not found above " + AppContext.BaseDirectory);
    }
}
