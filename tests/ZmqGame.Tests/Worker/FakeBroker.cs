using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>
/// One message a worker slot sent: its identity, the MDP command byte and the frames after it; or, for a ZGW01
/// session action, <see cref="Action"/> (Command 0) and the frames after it ([arguments][payload…]).
/// </summary>
internal sealed record WorkerMessage(byte[] Identity, byte Command, List<byte[]> Rest, string? Action = null)
{
    public string Id => Convert.ToHexString(Identity);

    public bool IsAction => Action is not null;

    public override string ToString() => Action is not null
        ? $"{Id} ZGW01 {Action} ({Rest.Count} frames)"
        : $"{Id} {Mdp.CommandName(Command)} ({Rest.Count} frames)";
}

/// <summary>
/// A broker made of one raw ROUTER socket on a random loopback port: the test sees exactly the frames each
/// worker slot sends and decides what to send back. Used only from the test thread.
/// </summary>
internal sealed class FakeBroker : IDisposable
{
    private readonly RouterSocket _router = new();

    public FakeBroker()
    {
        _router.Options.Linger = TimeSpan.Zero;
        var port = _router.BindRandomPort("tcp://127.0.0.1");
        Endpoint = $"tcp://127.0.0.1:{port}";
    }

    public string Endpoint { get; }

    /// <summary>Identities of the slots whose HEARTBEAT said "draining", in arrival order (seen by any receive).</summary>
    public List<byte[]> DrainingNotices { get; } = [];

    /// <summary>The next message of any kind (heartbeats and session actions included), or null after <paramref name="timeout"/>.</summary>
    public WorkerMessage? TryReceive(TimeSpan timeout)
    {
        var frames = new List<byte[]>();
        if (!_router.TryReceiveMultipartBytes(WholeMilliseconds(timeout), ref frames))
        {
            return null;
        }

        Assert.That(frames, Has.Count.GreaterThanOrEqualTo(4), "a worker message has identity, empty, header, command or action");
        Assert.That(frames[1], Is.Empty, "empty delimiter frame");
        if (S(frames[2]) == "ZGW01")
        {
            Assert.That(frames, Has.Count.GreaterThanOrEqualTo(5), "ZGW01 [action][arguments][payload…]");
            return new WorkerMessage(frames[0], 0, frames.Skip(4).ToList(), S(frames[3]));
        }

        Assert.That(S(frames[2]), Is.EqualTo("MDPW01"));
        Assert.That(frames[3], Has.Length.EqualTo(1));
        if (frames[3][0] == Mdp.Heartbeat && frames.Count == 5 && frames[4].AsSpan().SequenceEqual(Mdp.DrainingFlag))
        {
            DrainingNotices.Add(frames[0]);
        }

        return new WorkerMessage(frames[0], frames[3][0], frames.Skip(4).ToList());
    }

    /// <summary>The next message that is not a HEARTBEAT; fails the test after <paramref name="timeout"/> (default 10 s).</summary>
    public WorkerMessage Receive(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.That(left, Is.GreaterThan(TimeSpan.Zero), "no message from the worker within the timeout");
            var message = TryReceive(left);
            if (message is not null && message.Command != Mdp.Heartbeat)
            {
                return message;
            }
        }
    }

    /// <summary>The next non-heartbeat message, which must be <paramref name="command"/>.</summary>
    public WorkerMessage Expect(byte command, TimeSpan? timeout = null)
    {
        var message = Receive(timeout);
        Assert.That(message.IsAction, Is.False, $"unexpected {message}");
        Assert.That(Mdp.CommandName(message.Command), Is.EqualTo(Mdp.CommandName(command)), $"unexpected {message}");
        return message;
    }

    /// <summary>The next non-heartbeat message, which must be the ZGW01 session action <paramref name="action"/>.</summary>
    public (ActionArgs Args, List<byte[]> Payload, WorkerMessage Message) ExpectAction(string action, TimeSpan? timeout = null)
    {
        var message = Receive(timeout);
        Assert.That(message.Action, Is.EqualTo(action), $"unexpected {message}");
        Assert.That(ActionArgs.TryParse(message.Rest[0], out var args, out var error), Is.True, error);
        return (args, message.Rest.Skip(1).ToList(), message);
    }

    /// <summary>Every non-heartbeat message within <paramref name="window"/> (to prove that nothing else comes).</summary>
    public List<WorkerMessage> Collect(TimeSpan window)
    {
        var list = new List<WorkerMessage>();
        var deadline = DateTime.UtcNow + window;
        for (var left = window; left > TimeSpan.Zero; left = deadline - DateTime.UtcNow)
        {
            var message = TryReceive(left);
            if (message is not null && message.Command != Mdp.Heartbeat)
            {
                list.Add(message);
            }
        }

        return list;
    }

    /// <summary>
    /// NetMQ 4.0.4.5 spins forever in a receive whose timeout is above zero but below one millisecond (it rounds to
    /// 0 ms and never counts down), so deadline loops round up to whole milliseconds.
    /// </summary>
    private static TimeSpan WholeMilliseconds(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Ceiling(timeout.TotalMilliseconds));

    public void Send(byte[] identity, byte command, params byte[][] rest) =>
        Raw.Send(_router, [identity, [], B("MDPW01"), [command], .. rest]);

    /// <summary>REQUEST [client][""][body…] to the slot with <paramref name="identity"/>.</summary>
    public void SendRequest(byte[] identity, string client, params byte[][] body) =>
        Send(identity, Mdp.Request, [B(client), [], .. body]);

    /// <summary>
    /// A ZmqGame request body as the broker sends it to a ZmqGame worker: [request header][session frame][MessagePack
    /// payload]; no session (id 0) unless <paramref name="session"/> says otherwise.
    /// </summary>
    public static byte[][] ZgBody<T>(ulong id, int command, T payload, SessionContext session = default) =>
        [new RequestHeader(id, command, 0).ToArray(), session.ToArray(), Payload.Serialize(payload)];

    /// <summary>The session frame of a request that came without a session.</summary>
    public static byte[] NoSession => new SessionContext(0, 0, null).ToArray();

    /// <summary>EVENT [event id][""][event header][session frame][payload] to the slot with <paramref name="identity"/>.</summary>
    public void SendEvent(byte[] identity, string eventId, EventHeader header, SessionContext session, byte[] payload) =>
        SendRequest(identity, eventId, header.ToArray(), session.ToArray(), payload);

    public void Dispose() => _router.Dispose();
}

/// <summary>Reads a REPLY a slot sent: [client][""][body…].</summary>
internal static class WorkerReply
{
    public static string Client(WorkerMessage reply) => S(reply.Rest[0]);

    public static List<byte[]> Body(WorkerMessage reply)
    {
        Assert.That(reply.Rest[1], Is.Empty, "empty frame after the client address");
        return reply.Rest.Skip(2).ToList();
    }

    /// <summary>The reply header and payload frame of a ZmqGame reply.</summary>
    public static (ReplyHeader Header, byte[] Payload) Zg(WorkerMessage reply)
    {
        var body = Body(reply);
        Assert.That(body, Has.Count.EqualTo(2), "reply header and one payload frame");
        Assert.That(ReplyHeader.TryRead(body[0], out var header), Is.True, "valid reply header");
        return (header, body[1]);
    }
}
