using LeadScore.TestKit;

namespace LeadScore.Cli.Tests;

/// <summary>An error is one short, printable line however hostile the file that caused it.</summary>
public sealed class CliErrorLineTests
{
    [Fact]
    public async Task A_binary_file_gives_one_short_printable_error_line_naming_the_file()
    {
        var dir = TestPaths.NewTempDir();
        var file = Path.Combine(dir, "photo.csv");
        // A PNG's signature and chunk header, then noise with control characters, ESC sequences and line breaks.
        var rng = new Random(7);
        var bytes = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52 }
            .Concat(Enumerable.Range(0, 4000).Select(_ => (byte)rng.Next(256))).ToArray();
        await File.WriteAllBytesAsync(file, bytes, TestContext.Current.CancellationToken);

        var (code, _, err) = await CliErrorTests.RunAsync("import", "leads", file, "--workspace", dir);

        code.ShouldBe(ExitCodes.Failure);
        var line = err.TrimEnd('\n', '\r');
        line.ShouldNotContain("\n");
        line.ShouldStartWith("error: ");
        line.ShouldContain("photo.csv:1");
        line.Length.ShouldBeLessThanOrEqualTo(CliErrors.MaxLineChars + 60);
        line.ShouldAllBe(c => !char.IsControl(c));
    }

    [Fact]
    public void Printable_escapes_control_characters_elides_binary_runs_and_caps_the_length()
    {
        CliErrors.Printable("a\tb\x1b[2Jc").ShouldBe("a\\tb\\x1b[2Jc");
        CliErrors.Printable("x\u0001\u0002\u0003\u0004\u0005\u0006y").ShouldBe("x…[6 unprintable characters]…y");
        CliErrors.Printable("\ud800z").ShouldBe("\\ud800z");
        CliErrors.Printable("😀").ShouldBe("😀");
        var cut = CliErrors.Printable(new string('v', 5000));
        cut.ShouldStartWith(new string('v', CliErrors.MaxLineChars));
        cut.ShouldEndWith("…(+4,600 characters)");
    }

    [Fact]
    public async Task A_number_out_of_range_on_the_command_line_names_the_option_and_the_range_not_a_dotnet_type()
    {
        var (code, _, err) = await CliErrorTests.RunAsync("simulate", "--days", "99999999999999999999");

        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain("--days: '99999999999999999999' is not a whole number from -2,147,483,648 to 2,147,483,647");
        err.ShouldNotContain("System.");
    }

    [Fact]
    public void A_parse_error_quotes_a_huge_value_by_its_start_and_length_so_the_reason_survives()
    {
        var huge = new string('9', 5000);
        var line = CliErrors.ParseError($"Cannot parse argument '{huge}' for option '--max-trials' as expected type 'System.Int32'.");

        line.ShouldBe($"--max-trials: '{new string('9', 40)}…(5,000 characters)' is not a whole number from -2,147,483,648 to 2,147,483,647");
        CliErrors.ParseError("Cannot parse argument 'x' for option '--threshold' as expected type 'System.Double'.").ShouldBe("--threshold: 'x' is not a number (like 0.25)");
        CliErrors.ParseError("Unrecognized command or argument 'frobnicate'.").ShouldBe("Unrecognized command or argument 'frobnicate'.");
    }
}
