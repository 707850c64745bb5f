using MessagePack;
using MessagePack.Resolvers;

namespace ZmqGame.Protocol;

/// <summary>MessagePack settings shared by the client and worker libraries.</summary>
internal static class Payload
{
    /// <summary>
    /// Standard resolver (attributes, contractless fallback for anonymous/records is off), hardened
    /// for data from the network: depth limits and hash-collision resistant collections.
    /// </summary>
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(StandardResolverAllowPrivate.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData);

    public static byte[] Serialize<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);

    /// <summary>Text of a frame that carries an error message (UTF-8).</summary>
    public static string ErrorText(ReadOnlySpan<byte> frame) =>
        frame.IsEmpty ? string.Empty : System.Text.Encoding.UTF8.GetString(frame);
}
