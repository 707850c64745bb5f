using MessagePack;

namespace ZmqGame.Client;

/// <summary>A message the server pushed to this client (ZGC01 PUSH): a command id and its payload.</summary>
public sealed class ServerPush
{
    private readonly MessagePackSerializerOptions serializer;

    internal ServerPush(int command, ReadOnlyMemory<byte> payload, MessagePackSerializerOptions serializer)
    {
        Command = command;
        Payload = payload;
        this.serializer = serializer;
    }

    /// <summary>The push's command id, chosen by the worker or trigger that sent it.</summary>
    public int Command { get; }

    /// <summary>The payload frame as received (MessagePack when sent by the ZmqGame libraries); empty when the push had none.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Reads the payload as MessagePack into <typeparamref name="T"/> (with <see cref="ZmqGameClientOptions.SerializerOptions"/>).</summary>
    /// <exception cref="MessagePackSerializationException">The payload is not a <typeparamref name="T"/>.</exception>
    public T Read<T>() => MessagePackSerializer.Deserialize<T>(Payload, serializer);

    /// <inheritdoc/>
    public override string ToString() => $"push {Command} ({Payload.Length} bytes)";
}
