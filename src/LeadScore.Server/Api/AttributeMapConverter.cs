using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LeadScore.Server.Api;

/// <summary>
/// Reads an attribute map whose values may be JSON strings, numbers, booleans or null, keeping
/// each value as the text it arrived as (numbers keep their exact digits), which is how the domain
/// stores lead attributes. Objects and arrays are rejected: attributes are flat.
/// </summary>
internal sealed class AttributeMapConverter : JsonConverter<Dictionary<string, string?>>
{
    public override Dictionary<string, string?> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("must be an object of name: value pairs");
        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject) return map;
            var name = reader.GetString()!;
            if (name.Length == 0) throw new JsonException("attribute names must not be empty");
            reader.Read();
            string? value = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
                JsonTokenType.True => "true",
                JsonTokenType.False => "false",
                JsonTokenType.Null => null,
                _ => throw new JsonException($"'{name}' must be a string, number, boolean or null"),
            };
            if (!map.TryAdd(name, value)) throw new JsonException($"'{name}' appears twice");
        }
        throw new JsonException("unterminated object");
    }

    public override void Write(Utf8JsonWriter writer, Dictionary<string, string?> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (k, v) in value)
        {
            if (v is null) writer.WriteNull(k);
            else writer.WriteString(k, v);
        }
        writer.WriteEndObject();
    }
}
