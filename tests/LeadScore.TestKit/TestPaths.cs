using System.Collections.Concurrent;

namespace LeadScore.TestKit;

/// <summary>Where the repository and the shared datasets are, found from the test's working folder.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared/data beside the repository (CI puts it there).</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));

    public static string XEducation => Path.Combine(SharedData, "x-education-leads", "Leads.csv");
    public static string BankMarketing => Path.Combine(SharedData, "bank-marketing", "bank-additional-full.csv");

    private static readonly ConcurrentBag<string> Created = CleanedAtExit();

    /// <summary>
    /// A fresh empty folder under the system temp folder, deleted when the test process exits (a run of the suite writes
    /// gigabytes of workspaces; left behind they fill a developer's disk). <c>LEADSCORE_KEEP_TEST_DIRS=1</c> keeps them for a look.
    /// </summary>
    public static string NewTempDir(string prefix = "leadscore-test")
    {
        var d = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        Created.Add(d);
        return d;
    }

    private static ConcurrentBag<string> CleanedAtExit()
    {
        var bag = new ConcurrentBag<string>();
        if (Environment.GetEnvironmentVariable("LEADSCORE_KEEP_TEST_DIRS") != "1")
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                foreach (var d in bag)
                    try { Directory.Delete(d, recursive: true); }
                    catch (IOException) { } // best effort: a child process may still hold a file for a moment
                    catch (UnauthorizedAccessException) { }
            };
        return bag;
    }

    private static string FindRepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "LeadScore.slnx"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("LeadScore.slnx not found above " + AppContext.BaseDirectory);
    }
}
