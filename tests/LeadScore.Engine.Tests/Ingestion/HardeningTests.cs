using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Ingestion;

namespace LeadScore.Engine.Tests.Ingestion;

/// <summary>Issue 18: no bad value or file takes anything else down with it (the ingestion items).</summary>
public sealed class HardeningTests
{
    private static readonly string[] ExtremeDates = ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+14:00"];

    // --- Item 2: dates with extreme offsets ---------------------------------------------------------------

    [Fact]
    public void Import_rejects_dates_beyond_the_calendar_with_the_column_named()
    {
        // Given: a good row, then the two extreme offsets in the time column and one in a date attribute.
        var csv = "lead_id,created_at,signed_on\n" +
            "X1,2025-01-01,2025-02-01\n" +
            $"X2,{ExtremeDates[0]},2025-02-01\n" +
            $"X3,{ExtremeDates[1]},2025-02-01\n" +
            $"X4,2025-01-01,{ExtremeDates[0]}\n" +
            "X5,2025-01-02,2025-02-02\n";
        var mapping = new ImportMapping { Columns = new Dictionary<string, ColumnMapping> { ["signed_on"] = new() { Kind = ColumnKind.DateTime } } };

        // When
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("d.csv", csv), mapping);

        // Then: the good rows land, each bad one is rejected naming its column and why.
        t.Leads.Select(l => l.Id).ShouldBe(["X1", "X5"]);
        t.Rejected.Select(r => (r.Line, r.Column)).ShouldBe([(3L, "created_at"), (4L, "created_at"), (5L, "signed_on")]);
        t.Rejected.ShouldAllBe(r => r.Reason.Contains("outside the supported date range"));
    }

    [Fact]
    public void Type_inference_over_extreme_dates_neither_throws_nor_refuses_the_file()
    {
        var csv = "lead_id,created_at,renewal\n" + string.Concat(Enumerable.Range(1, 60).Select(i =>
            $"L{i},2025-01-01,{(i == 7 ? ExtremeDates[1] : "2025-03-0" + (1 + i % 9))}\n"));
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("d.csv", csv));
        t.Plan.Schema.Single(s => s.Name == "renewal").Kind.ShouldBe(ColumnKind.DateTime);
        t.Leads.Count.ShouldBe(59);
        t.Rejected.Single().ShouldSatisfyAllConditions(r => r.Line.ShouldBe(8), r => r.Column.ShouldBe("renewal"));
    }

    [Theory]
    [InlineData("9999-12-31T23:59:59-01:00")]
    [InlineData("0001-01-01T00:00:00+14:00")]
    [InlineData("9999-12-31T23:59:59.9999999-00:01")]
    public void Every_date_parser_refuses_extreme_offsets_without_throwing(string raw)
    {
        ValueRules.TryIso(raw, out _).ShouldBeFalse();
        ValueRules.Default.TryDate(raw, out _, out var why).ShouldBeFalse();
        why.ShouldNotBeNull().ShouldContain("outside the supported date range");
        // A mapping format goes through the framework's parser, which throws for such values unless guarded.
        new ValueRules(new ImportMapping { DateFormats = ["yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz"] }).TryDate(raw, out _).ShouldBeFalse();
        SchemaInference.TryParseDate(raw, out _).ShouldBeFalse();
        // Serve time: a date attribute with such a value is missing, not an exception.
        var computer = new FeatureComputer(new FeatureDefinitions { Attributes = [new AttributeFeature { Column = "signed_on", Kind = AttributeKind.Date }] });
        var lead = new Lead { Id = "L1", CreatedAt = IngestTestKit.Now, Attributes = new Dictionary<string, string?> { ["signed_on"] = raw } };
        double.IsNaN(computer.Compute(lead, [], [], IngestTestKit.Now)[0].Number).ShouldBeTrue();
    }

    [Fact]
    public void Flat_tables_report_an_extreme_date_as_a_bad_value_on_its_line()
    {
        var path = IngestTestKit.Write("flat.csv", $"id,when,x,y\n1,2025-01-01,3,1\n2,{ExtremeDates[0]},4,0\n");
        var ex = Should.Throw<LeadScoreException>(() => FlatTableLoader.Load(path, new FlatTableOptions { Target = "y", IdColumn = "id", TimeColumn = "when" }));
        ex.Message.ShouldContain(":3:2:");
        ex.Message.ShouldContain("is not a date");
    }

    // --- Item 3: lone surrogates and invalid UTF-8 in JSON lines ----------------------------------------------

    [Fact]
    public void Json_lines_with_lone_surrogates_or_invalid_bytes_reject_only_their_line()
    {
        // Given: good, a lone high surrogate value, a lone low surrogate in a key, raw bytes FF FE, good.
        var bytes = new List<byte>();
        void Line(string s) => bytes.AddRange(Encoding.UTF8.GetBytes(s + "\n"));
        Line("{\"lead_id\":\"J1\",\"created_at\":\"2025-01-01\"}");
        Line("{\"lead_id\":\"J2\",\"created_at\":\"2025-01-01\",\"company\":\"\\ud800\"}");
        Line("{\"lead_id\":\"J3\",\"created_at\":\"2025-01-01\",\"\\udc00k\":\"v\"}");
        bytes.AddRange(Encoding.UTF8.GetBytes("{\"lead_id\":\"J4\",\"created_at\":\"2025-01-01\",\"company\":\""));
        bytes.AddRange([0xFF, 0xFE]);
        Line("\"}");
        Line("{\"lead_id\":\"J5\",\"created_at\":\"2025-01-02\"}");
        var path = IngestTestKit.WriteBytes("leads.jsonl", [.. bytes]);

        // When
        var t = IngestTestKit.Run(ImportKind.Leads, path);

        // Then
        t.Read.ShouldBe(5);
        t.Leads.Select(l => l.Id).ShouldBe(["J1", "J5"]);
        t.Rejected.Select(r => r.Line).ShouldBe([2L, 3, 4]);
        t.Rejected[0].Reason.ShouldContain("company");
        t.Rejected[0].Reason.ShouldContain("not valid text");
        t.Rejected[1].Reason.ShouldContain("name is not valid text");
        t.Rejected[2].ShouldSatisfyAllConditions(r => r.Reason.ShouldBe("invalid UTF-8"), r => r.Column.ShouldBe("company"));
    }

    [Fact]
    public void A_json_lines_file_starting_with_bytes_FF_FE_is_read_as_utf8_not_as_utf16()
    {
        var bytes = new byte[] { 0xFF, 0xFE }.Concat(Encoding.UTF8.GetBytes(
            "{\"lead_id\":\"J1\",\"created_at\":\"2025-01-01\"}\n{\"lead_id\":\"J2\",\"created_at\":\"2025-01-01\"}\n")).ToArray();
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.WriteBytes("leads.jsonl", bytes));
        t.Leads.Select(l => l.Id).ShouldBe(["J2"]);
        t.Rejected.Single().ShouldSatisfyAllConditions(r => r.Line.ShouldBe(1), r => r.Reason.ShouldStartWith("invalid JSON"));
    }

    [Fact]
    public void A_utf16_export_with_its_byte_order_mark_is_still_read()
    {
        var path = IngestTestKit.Write("leads.csv", "lead_id,created_at,company\nU1,2025-01-01,Zürich AG\n", new UnicodeEncoding(false, true));
        var t = IngestTestKit.Run(ImportKind.Leads, path);
        t.Leads.Single().Get("company").ShouldBe("Zürich AG");
    }

    [Fact]
    public void An_api_item_with_a_lone_surrogate_becomes_a_rejected_row_not_an_exception()
    {
        using var doc = JsonDocument.Parse("[{\"lead_id\":\"A1\",\"created_at\":\"2025-01-01\",\"\\ud800\":\"x\"},{\"lead_id\":\"A2\",\"created_at\":\"2025-01-01\",\"company\":\"\\udc00\"},7]");
        var items = doc.RootElement.EnumerateArray().ToList();
        var rows = items.Select((e, i) => SourceReader.FromJsonItem(i, e)).ToList();
        rows.Select(r => r.Error is not null).ShouldBe([true, true, true]);
        // The plain dictionary form never throws either; its placeholder gets the row rejected by conversion.
        var values = SourceReader.FromJsonObject(items[1]);
        var converted = new RowConverter(ImportKind.Leads, ImportMapping.Default, [], IngestTestKit.Now).Convert(new SourceRow(1, values, "raw"));
        converted.Errors.Single().ShouldBe(new RowError("company", "invalid UTF-8"));
    }

    // --- Item 6: duplicate column names ------------------------------------------------------------------------

    [Fact]
    public void Forty_thousand_duplicate_column_names_get_unique_stable_names()
    {
        var header = string.Join(",", Enumerable.Repeat("a", 40_000));
        var path = IngestTestKit.Write("wide.csv", header + "\n");
        var first = SourceReader.Open(path).Columns;
        first.Count.ShouldBe(40_000);
        new HashSet<string>(first).Count.ShouldBe(40_000);
        first[0].ShouldBe("a");
        first[1].ShouldBe("a_2");
        first[^1].ShouldBe("a_40000");
        SourceReader.Open(path).Columns.ShouldBe(first);
    }

    [Fact]
    public void Duplicate_names_skip_suffixes_that_real_columns_already_hold()
    {
        SourceReader.UniqueNames(["a", "a", "a_2", "", "a", "column_4"]).ShouldBe(["a", "a_2", "a_2_2", "column_4", "a_3", "column_4_2"]);
    }

    // --- Item 9: an unterminated quote -------------------------------------------------------------------------

    [Fact]
    public void An_unterminated_quote_is_bounded_reported_at_its_line_and_reading_resumes()
    {
        // Given: a stray quote on line 3, then 40 lines of 100 characters: past a 1,000-character field bound.
        var sb = new StringBuilder("id,note\n1,fine\n2,\"stray\n");
        for (var i = 0; i < 40; i++) sb.Append(new string('x', 100)).Append('\n');
        sb.Append("3,after\n4,also after\n");
        using var reader = new DelimitedReader(new StringReader(sb.ToString()), ',', maxFieldChars: 1000, maxRecordChars: 4000);

        // When
        var records = reader.ReadAll().ToList();

        // Then: one broken record naming line 3, its preview bounded, the good rows after it kept.
        records[0].Fields.ShouldBe(["id", "note"]);
        records[1].Fields.ShouldBe(["1", "fine"]);
        var broken = records[2];
        broken.Line.ShouldBe(3);
        broken.Error.ShouldNotBeNull().ShouldContain("quote opened at line 3");
        broken.Raw.Length.ShouldBeLessThanOrEqualTo(DelimitedReader.OversizedRawPreviewChars + 1);
        var after = records.Skip(3).Where(r => r.Error is null).ToList();
        after.Select(r => r.Fields[0]).ShouldContain("3");
        after.Select(r => r.Fields[0]).ShouldContain("4");
        after.Single(r => r.Fields[0] == "4").Line.ShouldBe(records.Max(r => r.Line));
    }

    [Fact]
    public void A_stray_quote_in_a_large_file_keeps_the_good_rows_after_the_default_bound()
    {
        // Given: 1.5 MB of lines after a stray quote, past the 1 MiB field bound.
        var sb = new StringBuilder("lead_id,created_at,note\nL1,2025-01-01,ok\nL2,2025-01-01,\"stray\n");
        var filler = new string('y', 1000);
        for (var i = 0; i < 1500; i++) sb.Append("F").Append(i).Append(",2025-01-01,").Append(filler).Append('\n');
        var path = IngestTestKit.Write("big.csv", sb.ToString());

        var t = IngestTestKit.Run(ImportKind.Leads, path);

        t.Leads.Select(l => l.Id).ShouldContain("L1");
        t.Leads.Select(l => l.Id).ShouldContain("F1499");
        var broken = t.Rejected.First();
        broken.Line.ShouldBe(3);
        broken.Reason.ShouldContain("quote opened at line 3");
        broken.Raw.Length.ShouldBeLessThan(10_000);
        (t.Accepted + t.Rejected.Count).ShouldBe(t.Read);
    }

    [Fact]
    public void An_endless_json_line_is_rejected_and_the_next_line_is_kept()
    {
        var huge = "{\"lead_id\":\"J1\",\"created_at\":\"2025-01-01\",\"note\":\"" + new string('z', SourceReader.MaxJsonLineChars) + "\"}";
        var path = IngestTestKit.Write("leads.jsonl", "{\"lead_id\":\"J0\",\"created_at\":\"2025-01-01\"}\n" + huge + "\r\n{\"lead_id\":\"J2\",\"created_at\":\"2025-01-01\"}\n");
        var t = IngestTestKit.Run(ImportKind.Leads, path);
        t.Leads.Select(l => l.Id).ShouldBe(["J0", "J2"]);
        t.Rejected.Single().ShouldSatisfyAllConditions(r => r.Line.ShouldBe(2), r => r.Reason.ShouldContain("line longer than"));
    }

    [Fact]
    public void A_crlf_split_across_the_read_buffer_ends_one_line_not_two()
    {
        // Given: the CR of the first line's end is the last character of the 64 Ki read buffer, its LF the first of the next.
        var first = new string('a', (1 << 16) - 1);
        var lines = new BoundedLineReader(new StringReader(first + "\r\nsecond\r\n\nfourth"), 1 << 20);
        var read = new List<string>();
        while (lines.ReadLine(out var tooLong) is { } l) { tooLong.ShouldBeFalse(); read.Add(l); }
        read.ShouldBe([first, "second", "", "fourth"]);
    }

    // --- Item 13: a column's type does not depend on where a bad value sits --------------------------------------

    [Theory]
    [InlineData(11)]
    [InlineData(500)]
    [InlineData(1101)]
    public void A_numeric_column_stays_numeric_wherever_a_bad_value_sits(int badLine)
    {
        var sb = new StringBuilder("lead_id,created_at,seats\n");
        for (var line = 2; line <= 1200; line++) sb.Append("L").Append(line).Append(",2025-01-01,").Append(line == badLine ? "seven" : (line % 17).ToString()).Append('\n');
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("leads.csv", sb.ToString()));
        t.Plan.Schema.Single(s => s.Name == "seats").Kind.ShouldBe(ColumnKind.Numeric);
        t.Rejected.Single().ShouldSatisfyAllConditions(
            r => r.Line.ShouldBe(badLine), r => r.Column.ShouldBe("seats"), r => r.Reason.ShouldBe("wrong type: 'seven' is not a number"));
    }

    [Fact]
    public void A_column_of_mostly_text_is_not_made_numeric_by_the_tolerance()
    {
        var values = Enumerable.Range(0, 100).Select(i => i < 90 ? (i % 10).ToString() : "n" + (i % 3)).ToList();
        SchemaInference.InferColumn("score", values, ValueRules.Default).Kind.ShouldBe(ColumnKind.Categorical);
    }

    [Fact]
    public void A_stored_schema_keeps_a_columns_type_across_imports()
    {
        // Given: the stored schema says seats is categorical and plan is numeric; this file's values suggest otherwise.
        var path = IngestTestKit.Write("leads.csv", "lead_id,created_at,seats,plan\nL1,2025-01-01,3,gold\nL2,2025-01-01,4,silver\n");
        var known = new Dictionary<string, ColumnSchema>
        {
            ["seats"] = new() { Name = "seats", Kind = ColumnKind.Categorical },
            ["plan"] = new() { Name = "plan", Kind = ColumnKind.Numeric },
            ["created_at"] = new() { Name = "created_at", Kind = ColumnKind.Categorical },
        };

        // When
        var plan = ImportPipeline.Plan(ImportKind.Leads, path, null, IngestTestKit.Now, known);

        // Then: stored kinds win; a role column is still read by its role; values that do not fit are rejected per row.
        plan.Schema.Single(s => s.Name == "seats").Kind.ShouldBe(ColumnKind.Categorical);
        plan.Schema.Single(s => s.Name == "plan").Kind.ShouldBe(ColumnKind.Numeric);
        plan.Schema.Single(s => s.Name == "created_at").Kind.ShouldBe(ColumnKind.DateTime);
        var batch = ImportPipeline.Read(plan, path, IngestTestKit.Now).Single();
        batch.Rejected.Select(r => r.Column).ShouldBe(["plan", "plan"]);
        // Without it, the same file infers seats as numeric.
        ImportPipeline.Plan(ImportKind.Leads, path, null, IngestTestKit.Now).Schema.Single(s => s.Name == "seats").Kind.ShouldBe(ColumnKind.Numeric);
    }

    // --- Item 1: numbers must be finite and bounded -------------------------------------------------------------

    [Theory]
    [InlineData("1e308")]
    [InlineData("-1e16")]
    [InlineData("Infinity")]
    [InlineData("1000000000000001")]
    public void Import_refuses_an_activity_value_beyond_the_bound_with_the_column_named(string value)
    {
        var csv = $"event_id,lead_id,type,timestamp,url,value\nP-0,L1,page_view,2025-01-01T10:00:00Z,/a,30\nP-1,L2,page_view,2025-01-01T10:00:00Z,/pricing,{value}\n";
        var t = IngestTestKit.Run(ImportKind.Activities, IngestTestKit.Write("p.csv", csv));
        t.Activities.Select(a => a.EventId).ShouldBe(["P-0"]);
        t.Rejected.Single().ShouldSatisfyAllConditions(r => r.Column.ShouldBe("value"), r => r.Reason.ShouldStartWith("out of range"));
    }

    [Fact]
    public void Import_refuses_huge_numeric_lead_attributes_and_enrichment_numbers()
    {
        var leads = "lead_id,created_at,seats\n" + string.Concat(Enumerable.Range(1, 60).Select(i => $"L{i},2025-01-01,{(i == 5 ? "1e308" : i.ToString())}\n"));
        var t = IngestTestKit.Run(ImportKind.Leads, IngestTestKit.Write("l.csv", leads));
        t.Rejected.Single().ShouldSatisfyAllConditions(r => r.Line.ShouldBe(6), r => r.Column.ShouldBe("seats"), r => r.Reason.ShouldStartWith("out of range"));

        // Enrichment: employees is read as a number by features even when the column infers as text.
        var enr = "domain,as_of,employees\nacme.com,2025-01-01,50-200\nglobex.com,2025-01-01,99999999999999999999\ninitech.com,2025-01-01,Infinity\n";
        var e = IngestTestKit.Run(ImportKind.Enrichment, IngestTestKit.Write("e.csv", enr));
        e.Enrichment.Select(x => x.Domain).ShouldBe(["acme.com"]);
        e.Rejected.Select(r => r.Column).ShouldBe(["employees", "employees"]);
    }

    [Fact]
    public void Items_converted_without_a_schema_still_refuse_huge_numbers_but_keep_long_digit_ids_and_words()
    {
        var converter = new RowConverter(ImportKind.Leads, ImportMapping.Default, [], IngestTestKit.Now);
        SourceRow Row(string k, string v) => new(1, new Dictionary<string, string?> { ["lead_id"] = "A1", ["created_at"] = "2025-01-01", [k] = v }, "raw");
        converter.Convert(Row("seats", "1e308")).Errors.Single().Column.ShouldBe("seats");
        new RowConverter(ImportKind.Leads, ImportMapping.Default, [], IngestTestKit.Now).Convert(Row("account_no", "123456789012345678901234")).Ok.ShouldBeTrue();
        new RowConverter(ImportKind.Leads, ImportMapping.Default, [], IngestTestKit.Now).Convert(Row("company", "Infinity")).Ok.ShouldBeTrue();
    }

    // --- Item 11: quarantine retry must not alter data ------------------------------------------------------------

    [Fact]
    public void A_nul_shown_as_its_symbol_in_quarantine_is_still_rejected_on_retry()
    {
        // Given: the row as quarantine keeps it (NUL stored as U+2400), retried through conversion.
        var retried = new SourceRow(3, new Dictionary<string, string?> { ["lead_id"] = "Q1", ["created_at"] = "2025-01-01", ["company"] = "Ac\u2400me" }, "Q1,2025-01-01,Ac\u2400me");
        var batch = ImportPipeline.Convert(ImportKind.Leads, ImportMapping.Default, [], [retried], IngestTestKit.Now).Single();
        batch.Leads.ShouldBeEmpty();
        batch.Rejected.Single().ShouldSatisfyAllConditions(r => r.Column.ShouldBe("company"), r => r.Reason.ShouldBe("invalid character NUL"));
    }
}
