using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Security;
using LeadScore.Cli.Commands;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Cli.Tests.UseCases;

/// <summary>
/// A flat model keeps the value rules it was trained with: a table whose booleans are spelled "Ja"/"Nein" and whose
/// placeholder is "Select" is scored the same by <c>score --csv</c> and by <c>POST /score</c> (the API used to read
/// "Ja" with the default words, as missing).
/// </summary>
public sealed class FlatModelParityTests
{
    [Fact]
    public async Task A_flat_model_with_custom_true_false_words_scores_the_same_from_a_csv_and_from_the_api()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = TestPaths.NewTempDir("flat-parity");
        var ws = Path.Combine(dir, "ws");
        var train = Path.Combine(dir, "train.csv");
        var rng = new Random(31);
        var sb = new StringBuilder("id,visits,newsletter,region,won\n");
        string[] regions = ["north", "south", "east", "Select"];
        for (var i = 0; i < 900; i++)
        {
            var visits = rng.Next(0, 15);
            var subscribed = rng.NextDouble() < 0.4;
            var region = regions[rng.Next(regions.Length)];
            var logit = -2.5 + 0.25 * visits + (subscribed ? 1.8 : 0) + (region == "north" ? 0.6 : 0);
            var won = rng.NextDouble() < 1 / (1 + Math.Exp(-logit));
            sb.Append(CultureInfo.InvariantCulture, $"F{i},{visits},{(subscribed ? "Ja" : "Nein")},{region},{(won ? "yes" : "no")}\n");
        }
        await File.WriteAllTextAsync(train, sb.ToString(), ct);
        var mapping = Path.Combine(dir, "mapping.json");
        await File.WriteAllTextAsync(mapping, """
            {"id":"id","target":{"column":"won","positive":["yes"],"negative":["no"]},
             "true_values":["Ja"],"false_values":["Nein"],"missing":["","Select"],
             "columns":{"newsletter":{"kind":"boolean"},"visits":{"kind":"numeric"}}}
            """, ct);
        var (code, _, err) = await CliErrorTests.RunAsync("--workspace", ws, "train", "--csv", train, "--mapping", mapping,
            "--algorithm", "logistic", "--time-budget", "0");
        code.ShouldBe(0, err);

        // score --csv: three leads that differ only in how the CRM spelled their values.
        var input = Path.Combine(dir, "score.csv");
        await File.WriteAllTextAsync(input, "id,visits,newsletter,region,won\nA,6,Ja,north,\nB,6,Nein,Select,\nC,2,Ja,south,\n", ct);
        var output = Path.Combine(dir, "scored.csv");
        (code, _, err) = await CliErrorTests.RunAsync("--workspace", ws, "score", "--csv", input, "--mapping", mapping, "--out", output);
        code.ShouldBe(0, err);
        var offline = (await File.ReadAllLinesAsync(output, ct)).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));

        // POST /score: the same values as a CRM would send them.
        await using var store = await LeadStore.OpenAsync(ws, null, ct);
        await using var app = await ServerHost.StartAsync(store, new WorkspaceSettings(ws, null), "http://127.0.0.1:0", ct);
        var (key, record) = ApiKeys.Create("flat-parity", ApiScopes.All, DateTimeOffset.UtcNow);
        await store.SaveApiKeyAsync(record, ct);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        foreach (var (id, visits, newsletter, region) in new[] { ("A", "6", "Ja", "north"), ("B", "6", "Nein", "Select"), ("C", "2", "Ja", "south") })
        {
            var body = JsonSerializer.Serialize(new { id, attributes = new Dictionary<string, string> { ["visits"] = visits, ["newsletter"] = newsletter, ["region"] = region } });
            var r = await client.PostAsync("/api/v1/score", new StringContent(body, Encoding.UTF8, "application/json"), ct);
            r.StatusCode.ShouldBe(HttpStatusCode.OK, await r.Content.ReadAsStringAsync(ct));
            var online = JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("probability").GetDouble();
            // The CSV writes six decimals.
            Math.Round(online, 6).ShouldBe(offline[id], id);
        }
        // And the words mattered: a subscriber ("Ja") scores above the same lead without ("Nein" and no region).
        offline["A"].ShouldBeGreaterThan(offline["B"]);
    }
}
