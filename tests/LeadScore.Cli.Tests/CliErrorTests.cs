using LeadScore.TestKit;

namespace LeadScore.Cli.Tests;

/// <summary>Bad input gives one clear line on stderr and a non-zero exit, never a stack trace.</summary>
public sealed class CliErrorTests
{
    internal static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await CliApp.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Unknown_command_is_a_usage_error()
    {
        var (code, _, err) = await RunAsync("frobnicate");
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain("frobnicate");
        err.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var (code, output, _) = await RunAsync("--help");
        code.ShouldBe(0);
        output.ShouldContain("--workspace");
        output.ShouldContain("--database");
    }
}

/// <summary>Workspace and database problems are one clear line each.</summary>
public sealed class CliWorkspaceErrorTests
{
    [Fact]
    public async Task Missing_import_file_names_the_file()
    {
        var ws = TestPaths.NewTempDir();
        var (code, _, err) = await CliErrorTests.RunAsync("import", "leads", "/nonexistent/leads.csv", "--workspace", ws);
        code.ShouldNotBe(0);
        err.ShouldContain("/nonexistent/leads.csv");
        err.ShouldNotContain("   at ");
        err.Trim().Split('\n').Length.ShouldBe(1);
    }

    [Fact]
    public async Task Unwritable_workspace_is_reported_as_such()
    {
        var file = Path.Combine(TestPaths.NewTempDir(), "not-a-folder");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        var (code, _, err) = await CliErrorTests.RunAsync("models", "list", "--workspace", Path.Combine(file, "ws"));
        code.ShouldNotBe(0);
        err.ShouldContain("workspace");
        err.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task Unreachable_database_is_one_line()
    {
        var (code, _, err) = await CliErrorTests.RunAsync("models", "list", "--database", "Host=127.0.0.1;Port=1;Username=x;Timeout=2");
        code.ShouldNotBe(0);
        err.ShouldContain("cannot open PostgreSQL 127.0.0.1:1");
        err.Trim().Split('\n').Length.ShouldBe(1);
    }

    [Fact]
    public async Task Malformed_connection_string_is_one_line()
    {
        var (code, _, err) = await CliErrorTests.RunAsync("models", "list", "--database", "Host=;Port=notanumber");
        code.ShouldNotBe(0);
        err.ShouldContain("PostgreSQL");
        err.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var command in new[] { "quickstart", "generate", "import", "quarantine", "train", "models", "serve", "apikey" })
        {
            var (code, output, _) = await CliErrorTests.RunAsync(command, "--help");
            code.ShouldBe(0, command);
            output.ShouldContain("Usage:", Case.Insensitive, command);
        }
    }
}
