using MessagePack;

namespace ZmqGame.Trigger;

/// <summary>
/// JSON text to a MessagePack payload, the way the client CLI converts its request JSON
/// (<c>client/ZmqGame.Client.Cli</c>): MessagePack's own JSON converter with the standard options.
/// </summary>
internal static class JsonPayload
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <exception cref="UsageException">The text is not JSON.</exception>
    public static byte[] ToMessagePack(string json)
    {
        try
        {
            return MessagePackSerializer.ConvertFromJson(json, Options);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new UsageException($"invalid JSON: {ex.Message}");
        }
    }
}
