using MessagePack;

namespace ZmqGame.Worker.Host;

/// <summary>Command ids (routes) of the sample <c>game</c> service.</summary>
public static class GameCommands
{
    /// <summary><see cref="PingRequest"/> → <see cref="PongReply"/>: echoes the sequence number with the server time.</summary>
    public const int Ping = 1;

    /// <summary><see cref="AddRequest"/> → <see cref="AddReply"/>: A + B.</summary>
    public const int Add = 2;

    /// <summary><see cref="FailRequest"/> → always throws: the client gets <c>handler failed</c>.</summary>
    public const int Fail = 3;

    /// <summary><see cref="SleepRequest"/> → <see cref="SleepReply"/>: waits, honouring cancellation (tests kill workers mid-request).</summary>
    public const int Sleep = 4;

    /// <summary>
    /// <c>byte[]</c> → the same <c>byte[]</c> (MessagePack bin): the typed echo route that the load generator
    /// (<c>client load</c>, <c>ZmqGame.Bench load</c>) drives through the whole stack.
    /// </summary>
    public const int Echo = 5;
}

/// <summary>Request of <see cref="GameCommands.Ping"/>.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record PingRequest(long Seq);

/// <summary>Reply of <see cref="GameCommands.Ping"/>: the request's sequence number and the server's clock (Unix ms).</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record PongReply(long Seq, long ServerTimeMs);

/// <summary>Request of <see cref="GameCommands.Add"/>.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record AddRequest(long A, long B);

/// <summary>Reply of <see cref="GameCommands.Add"/>.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record AddReply(long Sum);

/// <summary>Request of <see cref="GameCommands.Fail"/>: the message of the exception the handler throws.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record FailRequest(string? Message);

/// <summary>Request of <see cref="GameCommands.Sleep"/>.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record SleepRequest(int Ms);

/// <summary>Reply of <see cref="GameCommands.Sleep"/>: how long the handler slept.</summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed record SleepReply(int Ms);
