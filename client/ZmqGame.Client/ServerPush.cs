using MessagePack;

namespace ZmqGame.Client;

/// <summary>A message the server pushed to this client (ZGC01 PUSH): a command id and its payload.</summary>
public sealed class ServerPush
{
    internal ServerPush(int command, ReadOnlyMemory<byte> payload)
    {
        Command = command;
        Payload = payload;
    }

    /// <summary>The push's command id, chosen by the worker or trigger that sent it.</summary>
    public int Command { get; }

    /// <summary>The payload frame as received (MessagePack when sent by the ZmqGame libraries); empty when the push had none.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Reads the payload as MessagePack into <typeparamref name="T"/>.</summary>
    /// <exception cref="MessagePackSerializationException">The payload is not a <typeparamref name="T"/>.</exception>
    public T Read<T>() => MessagePackSerializer.Deserialize<T>(Payload, Protocol.Payload.Options);

    /// <inheritdoc/>
    public override string ToString() => $"push {Command} ({Payload.Length} bytes)";
}
