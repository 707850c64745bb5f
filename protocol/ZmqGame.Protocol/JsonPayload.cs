#if NET
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using MessagePack;

namespace ZmqGame.Protocol;

/// <summary>
/// JSON text typed by a person (the client and trigger command lines) to a MessagePack payload. The text must be one
/// whole JSON value: MessagePack's own converter, which does the conversion, accepts a truncated document such as
/// <c>{</c> without complaint, so the text is parsed strictly first.
/// </summary>
internal static class JsonPayload
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>The payload, or false and a one-line reason (<c>invalid JSON: …</c>).</summary>
    public static bool TryConvert(string json, [NotNullWhen(true)] out byte[]? payload, [NotNullWhen(false)] out string? error)
    {
        try
        {
            using (JsonDocument.Parse(json))
            {
            }

            payload = MessagePackSerializer.ConvertFromJson(json, Options);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or MessagePackSerializationException or FormatException or OverflowException)
        {
            payload = null;
            error = "invalid JSON: " + string.Join(' ', ex.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
            return false;
        }
    }
}
#endif
