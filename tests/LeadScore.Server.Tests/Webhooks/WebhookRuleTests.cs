using LeadScore.Application.Webhooks;
using LeadScore.Server.Webhooks;
using LeadScore.Storage;

namespace LeadScore.Server.Tests.Webhooks;

public sealed class WebhookRuleTests
{
    private static Webhook Hook(WebhookRule rule, int? threshold = null) =>
        new() { Id = "wh", Url = "http://x", Rule = rule, Threshold = threshold, Secret = "s", CreatedAt = TestData.T0 };

    [Theory]
    [InlineData(null, null, 80, "A", false)] // a first score is not a change of grade
    [InlineData(50, "B", 52, "B", false)]
    [InlineData(50, "B", 70, "A", true)]
    [InlineData(70, "A", 40, "C", true)]
    public void Grade_changed_fires_only_when_the_grade_differs(int? beforeScore, string? beforeGrade, int score, string grade, bool fires)
    {
        var change = TestData.Change("L", beforeScore is { } b ? (b, beforeGrade!) : null, (score, grade));
        WebhookRules.Fires(Hook(WebhookRule.GradeChanged), change, out _).ShouldBe(fires);
    }

    [Theory]
    [InlineData(null, 80, true, "up")]
    [InlineData(null, 40, false, null)]
    [InlineData(60, 75, true, "up")]
    [InlineData(75, 60, true, "down")]
    [InlineData(75, 90, false, null)]
    [InlineData(69, 70, true, "up")]
    public void Score_crossed_fires_on_crossing_the_threshold_either_way(int? before, int after, bool fires, string? direction)
    {
        var change = TestData.Change("L", before is { } b ? (b, "B") : null, (after, "B"));
        WebhookRules.Fires(Hook(WebhookRule.ScoreCrossed, 70), change, out var d).ShouldBe(fires);
        d.ShouldBe(direction);
    }

    [Theory]
    [InlineData(null, "A", true)]
    [InlineData("B", "A", true)]
    [InlineData("A", "A", false)]
    [InlineData("A", "B", false)]
    public void Became_a_fires_when_a_lead_enters_grade_a(string? before, string after, bool fires)
    {
        var change = TestData.Change("L", before is { } b ? (50, b) : null, (80, after));
        WebhookRules.Fires(Hook(WebhookRule.BecameA), change, out _).ShouldBe(fires);
    }

    [Fact]
    public void Signatures_verify_only_the_exact_body_with_the_right_secret()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var sig = WebhookSignature.Sign("secret-1", body);

        sig.ShouldStartWith("sha256=");
        sig.Length.ShouldBe(7 + 64);
        WebhookSignature.Verify("secret-1", body, sig).ShouldBeTrue();
        WebhookSignature.Verify("secret-2", body, sig).ShouldBeFalse();
        WebhookSignature.Verify("secret-1", "{\"a\":2}"u8, sig).ShouldBeFalse();
        WebhookSignature.Verify("secret-1", body, null).ShouldBeFalse();
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
        WebhookSignature.Sign("Jefe", "what do ya want for nothing?"u8).ShouldBe("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
