using System.Buffers;
using System.Text;
using System.Text.Json;
using LeadScore.Core;

namespace LeadScore.Storage;

/// <summary>
/// Reads a stored attribute map (a JSON object of strings and nulls, as <c>SqlLeadStore.ToJson</c> writes it) into an
/// <see cref="AttributeMap"/>, its names and short values taken from a <see cref="StringPool"/> when one is given: a stream
/// of millions of records (enrichment, leads) then holds each distinct name and value once instead of once a record.
/// </summary>
internal static class AttributeJson
{
    private static readonly JsonSerializerOptions Fallback = new();

    // Invalid UTF-16 (a lone surrogate) throws instead of becoming U+FFFD: such text goes to the serializer.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static AttributeMap Parse(string? json, StringPool? pool = null)
    {
        if (string.IsNullOrEmpty(json)) return AttributeMap.Empty;
        var byteCount = Encoding.UTF8.GetMaxByteCount(json.Length);
        var bytes = ArrayPool<byte>.Shared.Rent(byteCount);
        // An unescaped name or value has at most as many UTF-16 chars as the whole text.
        var chars = ArrayPool<char>.Shared.Rent(json.Length);
        try
        {
            AttributeMap? map;
            // Text that is not a flat object of strings and nulls, not JSON at all or not valid UTF-16 reads, or fails, as the
            // serializer reads it.
            try { map = TryRead(bytes.AsSpan(0, StrictUtf8.GetBytes(json, bytes)), chars, pool); }
            catch (Exception ex) when (ex is JsonException or EncoderFallbackException) { map = null; }
            return map ?? Slow(json);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>The map, or null when the text is not a flat object of strings and nulls (then the serializer decides, as before).</summary>
    private static AttributeMap? TryRead(ReadOnlySpan<byte> utf8, char[] chars, StringPool? pool)
    {
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        string[]? keys = null;
        string?[]? values = null;
        var n = 0;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName) return null;
            if (Text(ref reader, chars, pool, always: true) is not { } key) return null;
            if (!reader.Read()) return null;
            string? value;
            if (reader.TokenType == JsonTokenType.Null) value = null;
            else if (reader.TokenType == JsonTokenType.String)
            {
                if (Text(ref reader, chars, pool, always: false) is not { } text) return null;
                value = text;
            }
            else return null;
            keys ??= new string[8];
            values ??= new string?[8];
            if (n == keys.Length)
            {
                Array.Resize(ref keys, n * 2);
                Array.Resize(ref values, n * 2);
            }
            keys[n] = key;
            values[n++] = value;
        }
        if (reader.Read()) return null; // text after the object
        return n == 0 ? AttributeMap.Empty : AttributeMap.FromArrays(keys!, values!, n);
    }

    /// <summary>The token's text, or null when it is not valid UTF-16 once unescaped (an escaped lone surrogate).</summary>
    private static string? Text(ref Utf8JsonReader reader, char[] chars, StringPool? pool, bool always)
    {
        int count;
        try { count = reader.CopyString(chars); }
        catch (InvalidOperationException) { return null; }
        var span = chars.AsSpan(0, count);
        return pool is null ? new string(span) : pool.Get(span, always);
    }

    private static AttributeMap Slow(string json) =>
        AttributeMap.From(JsonSerializer.Deserialize<Dictionary<string, string?>>(json, Fallback) ?? []);
}

/// <summary>
/// One read's pool of strings: each distinct short text is kept once (attribute names always; values up to
/// <see cref="MaxLength"/> chars, until <see cref="MaxEntries"/> are pooled). Not thread-safe: one per stream.
/// </summary>
internal sealed class StringPool
{
    public const int MaxLength = 64;
    public const int MaxEntries = 1 << 18;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private string? _last;

    public StringPool() => _bySpan = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The pooled string equal to <paramref name="text"/>; <paramref name="always"/> pools it whatever its length.</summary>
    public string Get(ReadOnlySpan<char> text, bool always = false)
    {
        if (text.Length == 0) return "";
        if (_bySpan.TryGetValue(text, out var s)) return s;
        s = new string(text);
        if ((always || text.Length <= MaxLength) && _strings.Count < MaxEntries) _strings.Add(s, s);
        return s;
    }

    /// <summary>
    /// <paramref name="text"/>, or the string last given here when they are equal: for a stream ordered by a key (a domain's
    /// records in a row), each key held once without filling the pool with a million distinct keys.
    /// </summary>
    public string SameAsLast(string text)
    {
        if (_last is not null && string.Equals(_last, text, StringComparison.Ordinal)) return _last;
        return _last = text;
    }

    /// <summary>The pooled string equal to <paramref name="text"/> (pooled if short).</summary>
    public string Get(string text)
    {
        if (text.Length == 0) return "";
        if (_strings.TryGetValue(text, out var s)) return s;
        if (text.Length <= MaxLength && _strings.Count < MaxEntries) _strings.Add(text, text);
        return text;
    }
}
