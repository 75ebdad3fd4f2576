using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>Stored attribute maps read into <see cref="AttributeMap"/>, with one <see cref="StringPool"/> a stream.</summary>
public sealed class AttributeJsonTests
{
    [Fact]
    public void A_stored_map_reads_back_as_the_serializer_read_it()
    {
        string[] texts =
        [
            """{"employees":"120","industry":"Software","revenue_band":null,"technologies":"Salesforce;HubSpot"}""",
            """{}""",
            """{"b":"2","a":"1"}""",
            """{"quote":"say \"hi\"\n","unicode":"Zürich – 東京 🚀","empty":""}""",
            """{"dup":"first","dup":"last"}""",
        ];
        foreach (var json in texts)
        {
            var expected = JsonSerializer.Deserialize<Dictionary<string, string?>>(json)!;
            var map = AttributeJson.Parse(json, new StringPool());
            map.Count.ShouldBe(expected.Count, json);
            foreach (var (k, v) in expected)
            {
                map.TryGetValue(k, out var got).ShouldBeTrue(json);
                got.ShouldBe(v, json);
                map[k].ShouldBe(v);
                map.ContainsKey(k).ShouldBeTrue();
            }
            // In the ordinal order of the names, as ToJson writes them
            map.Keys.ShouldBe(expected.Keys.Order(StringComparer.Ordinal).ToList());
            map.Select(p => p.Value).ShouldBe(map.Keys.Select(k => expected[k]).ToList());
            map.Values.ShouldBe(map.Keys.Select(k => expected[k]).ToList());
        }
        AttributeJson.Parse("""{"dup":"first","dup":"last"}""")["dup"].ShouldBe("last");
        AttributeJson.Parse(null).Count.ShouldBe(0);
        AttributeJson.Parse("").Count.ShouldBe(0);
    }

    [Fact]
    public void A_missing_name_is_not_found_and_a_bad_text_fails_as_the_serializer_fails()
    {
        var map = AttributeJson.Parse("""{"a":"1","c":"3","e":"5"}""");
        foreach (var missing in new[] { "", "b", "d", "f", "A", "aa" })
        {
            map.ContainsKey(missing).ShouldBeFalse(missing);
            map.TryGetValue(missing, out _).ShouldBeFalse(missing);
            Should.Throw<KeyNotFoundException>(() => map[missing]);
        }
        // Not a flat object of strings: the serializer decides, as before (a number is not a string value)
        Should.Throw<JsonException>(() => AttributeJson.Parse("""{"a":1}"""));
        Should.Throw<JsonException>(() => AttributeJson.Parse("""{"a":"1"} trailing"""));
    }

    [Fact]
    public void Odd_text_reads_as_the_serializer_reads_it_or_fails_as_it_fails()
    {
        string[] texts =
        [
            "{\"a\":\"\\ud800\"}",                      // an escaped lone surrogate (value)
            "{\"\\udc00\":\"v\"}",                      // an escaped lone surrogate (name)
            "{\"a\":\"x\ud800y\"}",                      // a lone surrogate in the text itself
            "{\"a\":\"\\ud83d\\ude80\"}",             // an escaped pair: one character
            "{\"\":\"\"}",                                // empty name and value
            "{\"a\":\"" + new string('z', 10_000_000) + "\"}", // a 10 MB value
            "{\"a\":\"1e999\",\"b\":\"-99999999999999999999999999\"}", // huge numbers as text
            "{\"a\":{\"b\":\"c\"}}", "{\"a\":[]}", "{\"a\":true}", "[]", "{\"a\":\"1\",}", "nul", "{\"a\":\"1\"", "{\"a\" \"1\"}",
        ];
        foreach (var json in texts)
        {
            var label = json.Length > 40 ? json[..40] : json;
            Dictionary<string, string?>? expected = null;
            Exception? expectedError = null;
            try { expected = JsonSerializer.Deserialize<Dictionary<string, string?>>(json); }
            catch (Exception ex) { expectedError = ex; }
            if (expectedError is not null)
            {
                var error = Should.Throw<Exception>(() => AttributeJson.Parse(json, new StringPool()), label);
                error.GetType().ShouldBe(expectedError.GetType(), label);
                continue;
            }
            var map = AttributeJson.Parse(json, new StringPool());
            map.OrderBy(p => p.Key, StringComparer.Ordinal).ShouldBe(expected!.OrderBy(p => p.Key, StringComparer.Ordinal), label);
        }
    }

    [Fact]
    public void One_pool_holds_each_repeated_name_and_short_value_once()
    {
        var pool = new StringPool();
        var a = AttributeJson.Parse("""{"industry":"Software","note":"x"}""", pool);
        var b = AttributeJson.Parse("""{"industry":"Software","note":"y"}""", pool);
        ReferenceEquals(a.Keys.First(), b.Keys.First()).ShouldBeTrue();
        ReferenceEquals(a["industry"], b["industry"]).ShouldBeTrue();
        var longValue = new string('v', StringPool.MaxLength + 1);
        var c = AttributeJson.Parse($$"""{"industry":"{{longValue}}"}""", pool);
        var d = AttributeJson.Parse($$"""{"industry":"{{longValue}}"}""", pool);
        c["industry"].ShouldBe(longValue);
        ReferenceEquals(c["industry"], d["industry"]).ShouldBeFalse(); // long values are not pooled
        ReferenceEquals(pool.Get(new string("Software".AsSpan())), a["industry"]).ShouldBeTrue();
    }

    [Fact]
    public void A_map_built_from_pairs_keeps_the_last_value_of_a_repeated_name()
    {
        var map = AttributeMap.From([new("b", "1"), new("a", null), new("b", "2")]);
        map.Count.ShouldBe(2);
        map.Keys.ShouldBe(["a", "b"]);
        map["b"].ShouldBe("2");
        map["a"].ShouldBeNull();
        AttributeMap.From([]).ShouldBeSameAs(AttributeMap.Empty);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Streamed_enrichment_shares_its_names_values_and_domains(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await store.UpsertEnrichmentAsync([
            new Enrichment { Domain = "acme.com", AsOf = t0, Attributes = new Dictionary<string, string?> { ["industry"] = "Software", ["employees"] = "120" } },
            new Enrichment { Domain = "acme.com", AsOf = t0.AddDays(30), Attributes = new Dictionary<string, string?> { ["industry"] = "Software", ["employees"] = "150" } },
            new Enrichment { Domain = "globex.com", AsOf = t0, Attributes = new Dictionary<string, string?> { ["industry"] = "Software", ["employees"] = null } },
        ]);
        var rows = new List<Enrichment>();
        await foreach (var e in store.StreamEnrichmentAsync()) rows.Add(e);
        rows.Select(e => (e.Domain, e.AsOf, e.Attributes["employees"])).ShouldBe([("acme.com", t0, "120"), ("acme.com", t0.AddDays(30), "150"), ("globex.com", t0, (string?)null)]);
        ReferenceEquals(rows[0].Domain, rows[1].Domain).ShouldBeTrue();
        ReferenceEquals(rows[0].Attributes["industry"], rows[2].Attributes["industry"]).ShouldBeTrue();
        ReferenceEquals(rows[0].Attributes.Keys.First(), rows[2].Attributes.Keys.First()).ShouldBeTrue();
        // A re-import of what is stored changes nothing (the hash of the text read back is the hash written)
        (await store.UpsertEnrichmentAsync(rows)).ShouldBe(new UpsertCounts(0, 0, 3));
    }
}
