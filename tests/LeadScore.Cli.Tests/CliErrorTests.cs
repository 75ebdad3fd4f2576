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
