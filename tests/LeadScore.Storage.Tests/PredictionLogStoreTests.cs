using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>The prediction log and monitoring alerts contracts, on SQLite and PostgreSQL.</summary>
public sealed class PredictionLogStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Backends => TestStores.Backends;

    private static LoggedPrediction At(int hours, string version = "v1", string slot = PredictionSlots.Champion, string? lead = "L1", byte[]? features = null) => new()
    {
        PredictedAt = T0.AddHours(hours), LeadId = lead, ModelVersion = version, Slot = slot, Probability = hours / 1000.0, Grade = "B",
        HorizonDays = 30, Source = PredictionSources.Api, Features = features,
    };

    [Theory, MemberData(nameof(Backends))]
    public async Task Predictions_stream_back_in_time_order_within_a_window_of_one_model_and_slot(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        byte[] blob = [1, 2, 3, 4, 0, 0, 192, 127];
        await store.AppendPredictionsAsync([At(5, features: blob), At(1, lead: null), At(3, "v2"), At(2, slot: PredictionSlots.Shadow), At(30)]);
        await store.AppendPredictionsAsync([At(4) with { HorizonDays = null, Source = PredictionSources.Rescore }]);

        var window = new List<LoggedPrediction>();
        await foreach (var p in store.StreamPredictionsAsync(T0, T0.AddHours(24), "v1", PredictionSlots.Champion)) window.Add(p);

        window.Select(p => p.PredictedAt).ShouldBe([T0.AddHours(1), T0.AddHours(4), T0.AddHours(5)]);
        window[0].LeadId.ShouldBeNull();
        window[1].HorizonDays.ShouldBeNull();
        window[1].Source.ShouldBe(PredictionSources.Rescore);
        window[2].ShouldBe(At(5, features: blob) with { Features = window[2].Features });
        window[2].Features.ShouldBe(blob);
        var all = 0;
        await foreach (var _ in store.StreamPredictionsAsync(T0, T0.AddDays(2))) all++;
        all.ShouldBe(6);
        (await store.GetPredictionSpanAsync("v1", PredictionSlots.Champion)).ShouldBe((T0.AddHours(1), T0.AddHours(30)));
        (await store.GetPredictionSpanAsync("v9")).ShouldBeNull();
        (await store.CountPredictionsAsync()).ShouldBe(6);
        (await store.CountPredictionsAsync("v2")).ShouldBe(1);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task The_cursor_reads_the_rows_the_stream_reads_and_copies_feature_bytes_only_when_asked(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        byte[] blob = [1, 2, 3, 4, 0, 0, 192, 127];
        await store.AppendPredictionsAsync([At(5, features: blob), At(1, lead: null), At(3, "v2"), At(2, slot: PredictionSlots.Shadow), At(30), At(7) with { Grade = "A" }]);
        await store.AppendPredictionsAsync([At(4, features: [9, 8, 7, 6]) with { HorizonDays = null }, At(5, lead: "L2") with { Grade = "A" }]);

        var expected = new List<LoggedPrediction>();
        await foreach (var p in store.StreamPredictionsAsync(T0, T0.AddHours(24), "v1", PredictionSlots.Champion)) expected.Add(p);
        var read = new List<LoggedPrediction>();
        await using (var cursor = await store.OpenPredictionCursorAsync(T0, T0.AddHours(24), "v1", PredictionSlots.Champion))
            while (await cursor.ReadAsync())
            {
                byte[]? features = null;
                if (cursor.FeatureBytes > 0) cursor.CopyFeatures(features = new byte[cursor.FeatureBytes]);
                read.Add(new LoggedPrediction
                {
                    PredictedAt = cursor.PredictedAt, LeadId = cursor.LeadId, ModelVersion = "v1", Slot = PredictionSlots.Champion, Probability = cursor.Probability,
                    Grade = cursor.Grade, HorizonDays = cursor.HorizonDays, Source = PredictionSources.Api, Features = features,
                });
            }

        // Oldest first, ties (the two rows at 5 h) by insertion; only the model and slot asked for, within [from, to).
        read.Select(p => (p.PredictedAt, p.LeadId)).ShouldBe([(T0.AddHours(1), null), (T0.AddHours(4), "L1"), (T0.AddHours(5), "L1"), (T0.AddHours(5), "L2"), (T0.AddHours(7), "L1")]);
        read.Count.ShouldBe(expected.Count);
        for (var i = 0; i < read.Count; i++)
        {
            read[i].ShouldBe(expected[i] with { Features = read[i].Features });
            (read[i].Features ?? []).ShouldBe(expected[i].Features ?? []);
        }
        read[1].HorizonDays.ShouldBeNull();
        read[1].Features.ShouldBe(new byte[] { 9, 8, 7, 6 });
        read[2].Features.ShouldBe(blob);
        read[0].Features.ShouldBeNull();
        read.Select(p => p.Grade).ShouldBe(["B", "B", "B", "A", "A"]);
        ReferenceEquals(read[3].Grade, read[4].Grade).ShouldBeTrue(); // a grade is one shared string

        await using var none = await store.OpenPredictionCursorAsync(T0, T0.AddHours(24), "v9", PredictionSlots.Champion);
        (await none.ReadAsync()).ShouldBeFalse();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_feature_rows_weight_is_stored_and_read_back_and_a_row_without_one_weighs_one(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        byte[] blob = [1, 2, 3, 4];
        await store.AppendPredictionsAsync([At(1, features: blob) with { FeatureWeight = 17.5 }, At(2, features: blob), At(3) with { FeatureWeight = 0.25 }]);

        var streamed = new List<LoggedPrediction>();
        await foreach (var p in store.StreamPredictionsAsync(T0, T0.AddHours(24), "v1", PredictionSlots.Champion)) streamed.Add(p);
        streamed.Select(p => p.FeatureWeight).ShouldBe([17.5, null, 0.25]);

        var weights = new List<(double Weight, int Bytes)>();
        await using (var cursor = await store.OpenPredictionCursorAsync(T0, T0.AddHours(24), "v1", PredictionSlots.Champion))
            while (await cursor.ReadAsync()) weights.Add((cursor.FeatureWeight, cursor.FeatureBytes));
        // The weight column sits between the features and the backend's extra columns: the feature length is still read right.
        weights.ShouldBe([(17.5, 4), (1.0, 4), (0.25, 0)]);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Retention_deletes_only_predictions_older_than_the_cutoff(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.AppendPredictionsAsync([At(1), At(2), At(3), At(48)]);

        (await store.DeletePredictionsOlderThanAsync(T0.AddHours(3))).ShouldBe(2);

        (await store.CountPredictionsAsync()).ShouldBe(2);
        (await store.GetPredictionSpanAsync()).ShouldBe((T0.AddHours(3), T0.AddHours(48)));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task An_alert_is_stored_once_per_kind_model_slot_and_window(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        MonitoringAlert Alert(string kind, int week, string version = "v1") => new()
        {
            Kind = kind, ModelVersion = version, Slot = PredictionSlots.Champion, WindowStart = T0.AddDays(7 * week), WindowEnd = T0.AddDays(7 * week + 7),
            RaisedAt = T0.AddDays(7 * week + 8), Message = $"{kind} in week {week}", DetailsJson = "{\"features\":[]}",
        };

        (await store.TryAddAlertAsync(Alert("drift_detected", 1))).ShouldBeTrue();
        (await store.TryAddAlertAsync(Alert("drift_detected", 1) with { Message = "again" })).ShouldBeFalse();
        (await store.TryAddAlertAsync(Alert("performance_dropped", 1))).ShouldBeTrue();
        (await store.TryAddAlertAsync(Alert("drift_detected", 2))).ShouldBeTrue();
        (await store.TryAddAlertAsync(Alert("drift_detected", 1, "v2"))).ShouldBeTrue();

        var alerts = await store.ListAlertsAsync();
        alerts.Count.ShouldBe(4);
        alerts[0].WindowStart.ShouldBe(T0.AddDays(14));
        alerts.Single(a => a.Kind == "drift_detected" && a.ModelVersion == "v1" && a.WindowStart == T0.AddDays(7)).Message.ShouldBe("drift_detected in week 1");
        alerts.All(a => a.Id > 0 && a.DetailsJson == "{\"features\":[]}").ShouldBeTrue();
        (await store.ListAlertsAsync(since: T0.AddDays(22))).Select(a => a.WindowStart).ShouldBe([T0.AddDays(14)]);
        (await store.ListAlertsAsync(limit: 1)).Count.ShouldBe(1);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task An_alert_and_its_webhook_deliveries_are_stored_together_and_only_by_the_raise_that_stored_the_alert(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.SaveWebhookAsync(new Webhook { Id = "wh1", Url = "http://127.0.0.1:9/x", Rule = WebhookRule.DriftDetected, Secret = "s", CreatedAt = T0 });
        var alert = new MonitoringAlert
        {
            Kind = "drift_detected", ModelVersion = "v1", Slot = PredictionSlots.Champion, WindowStart = T0, WindowEnd = T0.AddDays(7),
            RaisedAt = T0.AddDays(8), Message = "m", DetailsJson = "{}",
        };
        NewDelivery[] deliveries = [new("wh1", "drift_detected", "", "{\"n\":1}")];

        (await store.TryAddAlertAsync(alert, deliveries)).ShouldBeTrue();
        (await store.TryAddAlertAsync(alert with { Message = "second instance" }, [new("wh1", "drift_detected", "", "{\"n\":2}")])).ShouldBeFalse();

        var queued = await store.ListDeliveriesAsync("wh1", 10);
        queued.Select(d => d.Payload).ShouldBe(["{\"n\":1}"], "the raise that lost the race queues nothing");
        queued[0].Status.ShouldBe(DeliveryStatus.Pending);

        // A delivery the database refuses (unknown webhook) rolls the alert back with it: never an alert without its deliveries.
        var other = alert with { WindowStart = T0.AddDays(7), WindowEnd = T0.AddDays(14) };
        await Should.ThrowAsync<Exception>(() => store.TryAddAlertAsync(other, [new("wh1", "drift_detected", "", null!)]));
        (await store.ListAlertsAsync()).Count.ShouldBe(1);
    }
}
