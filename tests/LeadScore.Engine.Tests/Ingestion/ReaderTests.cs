using System.Text;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Tests.Ingestion;

public sealed class ReaderTests
{
    [Fact]
    public void Csv_reader_handles_bom_crlf_quotes_and_embedded_line_breaks()
    {
        var path = IngestTestKit.Write("a.csv", "id,note,n\r\n1,\"hello, \"\"world\"\"\",3\r\n2,\"two\r\nlines\",4\r\n\r\n3,plain,5\r\n", new UTF8Encoding(true));
        var src = SourceReader.Open(path);
        src.Columns.ShouldBe(["id", "note", "n"]);
        var rows = src.ReadRows().ToList();
        rows.Count.ShouldBe(3);
        rows[0].Values["note"].ShouldBe("hello, \"world\"");
        rows[1].Values["note"].ShouldBe("two\r\nlines");
        rows[1].Line.ShouldBe(3);
        rows[2].Line.ShouldBe(6);
        rows.ShouldAllBe(r => r.Error == null);
    }

    [Theory]
    [InlineData(';')]
    [InlineData('\t')]
    [InlineData('|')]
    public void Csv_reader_sniffs_the_delimiter(char sep)
    {
        var path = IngestTestKit.Write("a.csv", $"a{sep}b{sep}c\n1{sep}2{sep}\"x{sep}y\"\n");
        var src = SourceReader.Open(path);
        src.Delimiter.ShouldBe(sep);
        src.ReadRows().Single().Values["c"].ShouldBe($"x{sep}y");
    }

    [Fact]
    public void Csv_reader_reports_malformed_rows_with_their_line_and_goes_on()
    {
        var path = IngestTestKit.Write("a.csv", "a,b\n1,2\n1,2,3\n\"x\"y,2\n5,6\n\"open,7\n");
        var rows = SourceReader.Open(path).ReadRows().ToList();
        rows.Count.ShouldBe(5);
        rows[1].Error.ShouldBe("expected 2 fields, found 3");
        rows[1].Line.ShouldBe(3);
        rows[2].Error.ShouldBe("text after a closing quote");
        rows[3].Error.ShouldBeNull();
        rows[4].Error.ShouldBe("unterminated quoted field (the quote opened at line 6)");
        rows[4].Line.ShouldBe(6);
    }

    [Fact]
    public void Json_lines_reader_reads_objects_and_rejects_anything_else()
    {
        var path = IngestTestKit.Write("a.jsonl", "{\"id\":\"a\",\"n\":3,\"ok\":true,\"p\":{\"k\":1},\"z\":null}\r\n\n[1,2]\n{broken\n{\"id\":\"b\"}\n");
        var src = SourceReader.Open(path);
        src.Format.ShouldBe("jsonl");
        var rows = src.ReadRows().ToList();
        rows.Count.ShouldBe(4);
        rows[0].Values["n"].ShouldBe("3");
        rows[0].Values["ok"].ShouldBe("true");
        rows[0].Values["p"].ShouldBe("{\"k\":1}");
        rows[0].Values["z"].ShouldBeNull();
        rows[1].Line.ShouldBe(3);
        rows[1].Error!.ShouldStartWith("not a JSON object");
        rows[2].Error!.ShouldStartWith("invalid JSON");
        rows[3].Values["id"].ShouldBe("b");
    }

    [Fact]
    public void Invalid_utf8_bytes_reach_validation_as_replacement_characters()
    {
        var bytes = Encoding.UTF8.GetBytes("lead_id,created_at,company\nL1,2026-01-01,Acme\nL2,2026-01-01,Ac").Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.UTF8.GetBytes("me\n")).ToArray();
        var path = IngestTestKit.WriteBytes("leads.csv", bytes);
        var t = IngestTestKit.Run(ImportKind.Leads, path);
        t.Leads.Select(l => l.Id).ShouldBe(["L1"]);
        t.Rejected.Single().Reason.ShouldBe("invalid UTF-8");
        t.Rejected.Single().Column.ShouldBe("company");
        t.Rejected.Single().Line.ShouldBe(3);
    }
}

public sealed class DateParsingTests
{
    [Theory]
    [InlineData("2026-01-02", "2026-01-02T00:00:00.0000000+00:00")]
    [InlineData("2026-01-02T10:11:12Z", "2026-01-02T10:11:12.0000000+00:00")]
    [InlineData("2026-01-02 10:11:12", "2026-01-02T10:11:12.0000000+00:00")]
    [InlineData("2026-01-02T10:11:12.5Z", "2026-01-02T10:11:12.5000000+00:00")]
    [InlineData("2026-01-02T10:11:12.123456789Z", "2026-01-02T10:11:12.1234567+00:00")]
    [InlineData("2026-01-02T10:11:12+02:00", "2026-01-02T08:11:12.0000000+00:00")]
    [InlineData("2026-01-02T10:11:12-05:30", "2026-01-02T15:41:12.0000000+00:00")]
    public void Iso_dates_parse_to_utc_on_the_fast_path(string raw, string expected)
    {
        ValueRules.TryIso(raw, out var v).ShouldBeTrue();
        v.ToString("O", System.Globalization.CultureInfo.InvariantCulture).ShouldBe(expected);
    }

    [Theory]
    [InlineData("2026-02-30")]
    [InlineData("2026-13-01")]
    [InlineData("2026-01-02T25:00:00Z")]
    [InlineData("2026-01-02T10:11:12Zx")]
    [InlineData("2026-01-02X")]
    [InlineData("2026/01/02")]
    public void Malformed_iso_dates_are_not_taken_by_the_fast_path(string raw) => ValueRules.TryIso(raw, out _).ShouldBeFalse();

    [Fact]
    public void Dates_the_fast_path_refuses_still_reach_the_general_parser_and_bad_ones_fail()
    {
        var rules = new ValueRules(ImportMapping.Default);
        rules.TryDate("2026/01/02", out var v).ShouldBeTrue();
        v.ShouldBe(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
        rules.TryDate("2026-02-30", out _).ShouldBeFalse();
        rules.TryDate("yesterday", out _).ShouldBeFalse();
    }
}

public sealed class PersonalDataTests
{
    [Theory]
    [InlineData("Email", new[] { "x" }, "email column")]
    [InlineData("Phone Number", new[] { "x" }, "phone column")]
    [InlineData("last_name", new[] { "x" }, "person's name column")]
    [InlineData("Street", new[] { "x" }, "street address column")]
    [InlineData("contact_info", new[] { "ann@acme.com", "bob@x.org", "n/a" }, "email addresses in values")]
    [InlineData("reach", new[] { "+44 20 7946 0958", "(555) 123-4567", "+1-202-555-0143" }, "phone numbers in values")]
    [InlineData("where", new[] { "12 Baker Street", "221 Main St", "5 Rue de Rivoli" }, "street addresses in values")]
    public void Personal_columns_are_detected_by_name_and_content(string name, string[] values, string reason) =>
        PersonalData.Reason(name, values).ShouldBe(reason);

    [Theory]
    [InlineData("created_at", new[] { "2026-01-02", "2026-01-03", "2026-02-01T10:00:00Z" })]
    [InlineData("revenue", new[] { "1234567", "7654321", "1000000" })]
    [InlineData("email_domain", new[] { "acme.com", "gmail.com" })]
    [InlineData("company", new[] { "Acme", "Globex" })]
    public void Dates_amounts_and_domains_are_not_personal(string name, string[] values) =>
        PersonalData.Reason(name, values).ShouldBeNull();

    [Fact]
    public void Email_domain_kind_tells_business_from_free_mail()
    {
        PersonalData.EmailDomainKind("ann@Acme.com").ShouldBe("business");
        PersonalData.EmailDomainKind("bob@gmail.com").ShouldBe("free_mail");
        PersonalData.EmailDomainKind("not an email").ShouldBeNull();
    }

    [Fact]
    public void Ambiguous_day_month_dates_are_refused_unless_the_mapping_names_the_format()
    {
        new ValueRules(ImportMapping.Default).TryDate("05.01.2026", out _).ShouldBeFalse();
        new ValueRules(ImportMapping.Default).TryDate("05/01/2026", out _).ShouldBeFalse();
        new ValueRules(new ImportMapping { DateFormats = ["dd.MM.yyyy"] }).TryDate("05.01.2026", out var d).ShouldBeTrue();
        d.ShouldBe(new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void An_inferred_mapping_round_trips_through_its_file()
    {
        var path = IngestTestKit.Write("leads.csv", "lead_id,email,seats,created_at\nL1,a@b.com,3,2026-01-01\nL2,c@d.com,4,2026-01-02\n");
        var plan = ImportPipeline.Plan(ImportKind.Leads, path, null, IngestTestKit.Now);
        var file = Path.Combine(Path.GetDirectoryName(path)!, "m.json");
        plan.ToMapping().Save(file);
        var loaded = ImportMapping.Load(file);
        loaded.Columns["email"].Personal.ShouldBeTrue();
        loaded.Columns["seats"].Kind.ShouldBe(LeadScore.Core.ColumnKind.Numeric);
        loaded.Columns["created_at"].Personal.ShouldBeFalse();
        loaded.DelimiterChar.ShouldBe(',');
    }
}
