using System.Net;
using System.Net.Sockets;

namespace LeadScore.Application.Webhooks;

/// <summary>
/// Which URLs a webhook may be sent to. A webhook makes the server send requests on an admin's behalf, so without a policy
/// it is a tool to reach what only the server can reach (cloud metadata, admin ports on loopback). Checked when a webhook
/// is registered and again at every connection the dispatcher opens, on the address the name resolves to then, so a
/// name that later resolves somewhere forbidden (DNS rebinding) is caught.
/// <list type="bullet">
/// <item>Always refused: link-local (169.254.0.0/16 with cloud metadata, fe80::/10), "this network" (0.0.0.0/8, ::),
/// multicast, broadcast and reserved ranges; URLs with userinfo, control characters or spaces, schemes other than
/// http(s), and hosts that are neither a DNS name nor a canonical dotted-quad or IPv6 literal (0x7f000001, 2130706433).</item>
/// <item>Refused unless <see cref="AllowPrivateNetworks"/>: loopback (127.0.0.0/8, ::1) and private ranges (10/8,
/// 172.16/12, 192.168/16, 100.64/10, fc00::/7), since self-hosted CRMs often live there.</item>
/// </list>
/// </summary>
public sealed class WebhookUrlPolicy(bool allowPrivateNetworks)
{
    public const int MaxUrlLength = 2000;

    /// <summary>How long registration waits for DNS before taking the URL on the syntax check alone (the dispatcher checks again).</summary>
    private static readonly TimeSpan RegistrationLookupTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The policy when nothing was configured: public addresses only.</summary>
    public static WebhookUrlPolicy Default { get; } = new(false);

    public bool AllowPrivateNetworks { get; } = allowPrivateNetworks;

    /// <summary>Why <paramref name="url"/> is refused on its text alone, or null (then <paramref name="uri"/> is set).</summary>
    public string? CheckSyntax(string url, out Uri? uri)
    {
        uri = null;
        if (url.Length is 0 or > MaxUrlLength) return $"must be an absolute http or https URL of at most {MaxUrlLength} characters";
        foreach (var c in url)
            if (char.IsControl(c) || char.IsWhiteSpace(c)) return "must not contain control characters or spaces";
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) return "must be an absolute http or https URL";
        var scheme = url[..schemeEnd];
        if (!scheme.Equals("http", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
            return "must be an absolute http or https URL";
        // The authority as written, before Uri normalises it: Uri turns 0x7f000001 into 127.0.0.1, which would hide what was sent.
        var rest = url[(schemeEnd + 3)..];
        var end = rest.IndexOfAny(['/', '?', '#', '\\']);
        var authority = end < 0 ? rest : rest[..end];
        if (authority.Contains('@')) return "must not contain a user name or password (user:pass@)";
        string host;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0) return "has a malformed IPv6 address";
            host = authority[1..close];
            if (host.Contains('%') || !IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                return "has a malformed IPv6 address";
            if (!ValidPort(authority[(close + 1)..])) return "has an invalid port";
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            if (colon >= 0 && !ValidPort(authority[colon..])) return "has an invalid port";
            if (HostProblem(host) is { } why) return why;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0)
        {
            uri = null;
            return "must be an absolute http or https URL";
        }
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal) && CheckAddress(literal) is { } refused)
        {
            uri = null;
            return refused;
        }
        return null;
    }

    /// <summary>Why the policy refuses to connect to <paramref name="address"/>, or null when it may.</summary>
    public string? CheckAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return Classify(address) switch
        {
            AddressClass.Public => null,
            AddressClass.Private when AllowPrivateNetworks => null,
            AddressClass.Private => "loopback and private network addresses are not allowed (see Webhooks:AllowPrivateNetworks)",
            AddressClass.LinkLocal => "link-local and cloud metadata addresses are never allowed",
            _ => "unspecified, multicast, broadcast and reserved addresses are never allowed",
        };
    }

    /// <summary>
    /// The full check at registration: the text, then every address the host resolves to now. A name that does not
    /// resolve (yet) is accepted: the dispatcher checks the address at each connection.
    /// </summary>
    public async Task<string?> CheckAsync(string url, CancellationToken ct = default)
    {
        if (CheckSyntax(url, out var uri) is { } why) return why;
        var host = uri!.IdnHost;
        if (IPAddress.TryParse(host.Trim('[', ']'), out _)) return null;
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, ct).WaitAsync(RegistrationLookupTimeout, ct);
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or ArgumentException)
        {
            return null;
        }
        foreach (var a in addresses)
            if (CheckAddress(a) is { } refused) return "the host resolves to an address that is not allowed: " + refused;
        return null;
    }

    /// <summary>
    /// Resolves <paramref name="host"/> and returns the addresses the policy allows, in resolver order; throws
    /// <see cref="WebhookUrlRefusedException"/> when it resolves only to forbidden ones. For the dispatcher's connect step.
    /// </summary>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        // Every address must pass, not just one: a name answering both a public and a metadata address must not be usable.
        foreach (var a in addresses)
            if (CheckAddress(a) is { } refused) throw new WebhookUrlRefusedException(refused);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        return addresses;
    }

    private enum AddressClass { Public, Private, LinkLocal, Never }

    private static AddressClass Classify(IPAddress a)
    {
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            a.TryWriteBytes(b, out _);
            return b[0] switch
            {
                0 => AddressClass.Never,
                127 or 10 => AddressClass.Private,
                169 when b[1] == 254 => AddressClass.LinkLocal,
                172 when b[1] is >= 16 and <= 31 => AddressClass.Private,
                192 when b[1] == 168 => AddressClass.Private,
                100 when b[1] is >= 64 and <= 127 => AddressClass.Private,
                >= 224 => AddressClass.Never, // multicast 224/4, reserved 240/4, broadcast
                _ => AddressClass.Public,
            };
        }
        if (a.AddressFamily != AddressFamily.InterNetworkV6) return AddressClass.Never;
        if (a.Equals(IPAddress.IPv6None) || a.Equals(IPAddress.IPv6Any)) return AddressClass.Never;
        if (a.Equals(IPAddress.IPv6Loopback)) return AddressClass.Private;
        if (a.IsIPv6LinkLocal) return AddressClass.LinkLocal;
        if (a.IsIPv6Multicast) return AddressClass.Never;
        Span<byte> v6 = stackalloc byte[16];
        a.TryWriteBytes(v6, out _);
        if ((v6[0] & 0xFE) == 0xFC || a.IsIPv6SiteLocal) return AddressClass.Private; // fc00::/7 unique local, fec0::/10 old site-local
        // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) embed an IPv4 address: judge that one.
        var embedsV4 = v6[..12].IndexOfAnyExcept((byte)0) < 0
            || (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xFF && v6[3] == 0x9B && v6[4..12].IndexOfAnyExcept((byte)0) < 0);
        return embedsV4 ? Classify(new IPAddress(v6[12..])) : AddressClass.Public;
    }

    private static bool ValidPort(string colonAndPort) =>
        colonAndPort.Length == 0 || (colonAndPort[0] == ':' && colonAndPort.Length is > 1 and <= 6 && colonAndPort.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0
            && int.Parse(colonAndPort.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 65535);

    /// <summary>A DNS name (ASCII letters, digits, hyphens, dots) or a canonical dotted quad; anything else is refused.</summary>
    private static string? HostProblem(string host)
    {
        const string odd = "must name its host by a DNS name or a canonical IP address (not 0x7f000001, 2130706433 or 017700000001)";
        if (host.Length is 0 or > 253) return "must name a host";
        var trimmed = host.EndsWith('.') ? host[..^1] : host;
        var labels = trimmed.Split('.');
        foreach (var label in labels)
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return odd;
            foreach (var c in label)
                if (!char.IsAsciiLetterOrDigit(c) && c != '-') return char.IsAscii(c) ? odd : "must write an international host name in its xn-- (punycode) form";
        }
        var numeric = labels.All(l => l.All(char.IsAsciiDigit));
        if (numeric)
            return labels.Length == 4 && IPAddress.TryParse(trimmed, out var ip) && ip.ToString() == trimmed ? null : odd;
        // A top-level label is never all digits or hex (0x7f000001, 1.0x7f): such hosts are numbers some resolvers accept.
        var last = labels[^1];
        if (last.All(char.IsAsciiDigit) || (last.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && last.Skip(2).All(char.IsAsciiHexDigit)))
            return odd;
        return null;
    }
}

/// <summary>A webhook connection the <see cref="WebhookUrlPolicy"/> refused; its message is safe to show (no addresses).</summary>
public sealed class WebhookUrlRefusedException(string reason) : Exception(reason);
