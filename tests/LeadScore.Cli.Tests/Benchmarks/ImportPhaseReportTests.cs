using LeadScore.Benchmarks.Ingestion;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.Benchmarks;

/// <summary>The import-phases report runs on a small file on both backends, so it cannot rot either.</summary>
public sealed class ImportPhaseReportTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Import_phases_report_times_parse_writes_and_the_whole_import(string backend)
    {
        var file = ActivityFileGenerator.Write(Path.Combine(TestPaths.NewTempDir("phases"), "activities.csv"), 2_000);
        using var output = new StringWriter();
        var before = backend == "postgresql" ? await PhaseDatabasesAsync() : 0;

        await ImportPhaseReport.RunAsync(output, file, backend == "postgresql" ? TestStores.PostgresAdminConnectionString : null);
        // and it leaves no database behind
        if (backend == "postgresql") (await PhaseDatabasesAsync()).ShouldBe(before);

        var text = output.ToString();
        text.ShouldContain("parse+validate  2,000 rows");
        text.ShouldContain($"store writes    {backend}");
        text.ShouldContain("(2,000 inserted)");
    }

    private static async Task<long> PhaseDatabasesAsync()
    {
        await using var c = new Npgsql.NpgsqlConnection(TestStores.PostgresAdminConnectionString);
        await c.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM pg_database WHERE datname LIKE '{ImportPhaseReport.DatabasePrefix}%'", c);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
