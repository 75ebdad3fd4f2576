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
        rows[4].Error.ShouldBe("unterminated quoted field");
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
