using System.Security.Cryptography;
using System.Text;

namespace LeadScore.Server.Webhooks;

/// <summary>
/// The signature a receiver checks: <c>X-LeadScore-Signature: sha256=HEX</c>, the HMAC-SHA256 of the
/// raw request body with the webhook's secret as key.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-LeadScore-Signature";
    public const string EventHeader = "X-LeadScore-Event";
    public const string DeliveryHeader = "X-LeadScore-Delivery";

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Constant-time check of a received header against the body.</summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, body)), Encoding.ASCII.GetBytes(header));

    public static string NewSecret() => Application.Webhooks.WebhookSecrets.New();
}
