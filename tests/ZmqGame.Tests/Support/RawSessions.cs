using System.Buffers.Binary;
using MessagePack;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Support;

/// <summary>A ZGC01 client with a session, speaking raw frames from docs/protocol.md.</summary>
internal sealed class RawSessionClient : IDisposable
{
    public RawSessionClient(string frontend, int receiveHighWatermark = 1000, byte[]? curveServerKey = null)
    {
        Socket = new DealerSocket();
        Socket.Options.ReceiveHighWatermark = receiveHighWatermark;
        if (curveServerKey is not null)
        {
            Socket.Options.CurveServerKey = curveServerKey;
            Socket.Options.CurveCertificate = new NetMQ.NetMQCertificate();
        }

        Socket.Connect(frontend);
    }

    /// <summary>A new connection to <paramref name="frontend"/> whose HELLO (naming <paramref name="service"/>) has been welcomed with a new session.</summary>
    public static RawSessionClient Welcomed(string frontend, string service = "")
    {
        var client = new RawSessionClient(frontend);
        try
        {
            client.Hello(service);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private readonly List<List<byte[]>> _stash = [];

    public DealerSocket Socket { get; }

    public Welcome Welcome { get; private set; } = new();

    /// <summary>The first message (stashed earlier or new) that matches; messages that don't are kept for later calls.</summary>
    public List<byte[]> Next(Func<List<byte[]>, bool> match)
    {
        var stashed = _stash.FindIndex(f => match(f));
        if (stashed >= 0)
        {
            var found = _stash[stashed];
            _stash.RemoveAt(stashed);
            return found;
        }

        return ReceiveUntil(Socket, f =>
        {
            if (match(f))
            {
                return true;
            }

            _stash.Add(f);
            return false;
        });
    }

    /// <summary>Sends a ZmqGame request and waits for its reply (other messages are kept).</summary>
    public (byte Status, byte[] Payload) Call(string service, ulong id, int command, byte[] payload)
    {
        Send(Socket, [], B("ZGC01"), [ZgClient.Request], B(service), RawZg.RequestHeader(id, command, 0), payload);
        var reply = Next(f => f.Count >= 4 && S(f[1]) == "ZGC01" && f[2][0] == ZgClient.Reply && f[3].Length == 13
            && BinaryPrimitives.ReadUInt64BigEndian(f[3].AsSpan(4)) == id);
        return (reply[3][12], reply.Count > 4 ? reply[4] : []);
    }

    public byte[] Ticket { get; private set; } = [];

    public ulong Id => Welcome.Session;

    /// <summary>HELLO, then waits for WELCOME (or fails on CLOSED).</summary>
    public Welcome Hello(string service = "", byte[]? ticket = null)
    {
        Send(Socket, [], B("ZGC01"), [ZgClient.Hello], B(service), ticket ?? []);
        var frames = Next(f => IsCommand(f, ZgClient.Hello) || IsCommand(f, ZgClient.Close));
        Assert.That(frames[2][0], Is.EqualTo(ZgClient.Hello), () => "expected WELCOME, got CLOSED: " + S(frames[4]));
        return Take(frames);
    }

    /// <summary>The next WELCOME (after a binding or group change).</summary>
    public Welcome NextWelcome() => Take(Next(f => IsCommand(f, ZgClient.Hello)));

    public (SessionCloseReason Reason, string Text) NextClosed()
    {
        var frames = Next(f => IsCommand(f, ZgClient.Close));
        return ((SessionCloseReason)frames[3][0], S(frames[4]));
    }

    public (int Command, byte[] Payload) NextPush()
    {
        var frames = Next(f => IsCommand(f, ZgClient.Push));
        Assert.That(PushHeader.TryRead(frames[3], out var header), Is.True);
        return (header.Command, frames.Count > 4 ? frames[4] : []);
    }

    /// <summary>The next message of any kind except WELCOME refreshes: asserts nothing else was queued before a heartbeat answer.</summary>
    public byte NextCommandAfterHeartbeat()
    {
        Heartbeat();
        var frames = Next(f => f.Count >= 3 && S(f[1]) == "ZGC01" && f[2][0] != ZgClient.Hello);
        return frames[2][0];
    }

    public void Heartbeat(ulong? sessionId = null)
    {
        var id = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(id, sessionId ?? Id);
        Send(Socket, [], B("ZGC01"), [ZgClient.Heartbeat], id);
    }

    public void Close() => Send(Socket, [], B("ZGC01"), [ZgClient.Close]);

    public void Dispose() => Socket.Dispose();

    private Welcome Take(List<byte[]> frames)
    {
        Assert.That(Welcome.TryParse(frames[3], out var welcome), Is.True, "WELCOME map");
        Welcome = welcome;
        Ticket = frames[4];
        return welcome;
    }

    private static bool IsCommand(List<byte[]> f, byte command) => f.Count >= 3 && S(f[1]) == "ZGC01" && f[2].Length == 1 && f[2][0] == command;
}

/// <summary>A ZmqGame worker (READY with worker info) speaking raw frames: takes events and requests, sends session actions.</summary>
internal sealed class RawZgWorker : IDisposable
{
    private RawZgWorker(DealerSocket socket) => Socket = socket;

    public DealerSocket Socket { get; }

    /// <summary>A ready worker; with <paramref name="waitIdle"/> false, for a service whose queue may hand it work at once.</summary>
    public static async Task<RawZgWorker> StartAsync(BrokerFixture broker, string service, bool waitIdle = true)
    {
        var idle = await broker.Server.InvokeAsync(() => broker.Server.Dispatcher.IdleWorkersOf(B(service)));
        var socket = new DealerSocket(broker.Backend);
        Send(socket, [], B("MDPW01"), [0x01], B(service), new WorkerInfo("test", []).Serialize());
        if (waitIdle)
        {
            await broker.WaitForIdleWorkers(service, idle + 1);
        }

        return new RawZgWorker(socket);
    }

    /// <summary>Waits for the next event, answers it, returns its header and session frame.</summary>
    public (EventHeader Header, SessionContext Session, byte[] Payload) NextEvent(TimeSpan? timeout = null)
    {
        var frames = ReceiveUntil(Socket, f => IsWorkerCommand(f, 0x02), timeout);
        Assert.That(EventHeader.TryRead(frames[5], out var header), Is.True, "expected an event, got a request");
        Assert.That(SessionContext.TryRead(frames[6], out var session), Is.True, "session frame");
        Send(Socket, [], B("MDPW01"), [0x03], frames[3], []);
        return (header, session, frames[7]);
    }

    /// <summary>Takes the next ZmqGame request; returns its address, header and session frame (not answered yet).</summary>
    public (byte[] Client, RequestHeader Header, SessionContext Session) NextRequest()
    {
        var frames = ReceiveUntil(Socket, f => IsWorkerCommand(f, 0x02));
        Assert.That(RequestHeader.TryRead(frames[5], out var header), Is.True, "expected a request");
        Assert.That(SessionContext.TryRead(frames[6], out var session), Is.True, "session frame");
        return (frames[3], header, session);
    }

    public void Reply(byte[] client, ulong requestId, byte[] payload) =>
        Send(Socket, [], B("MDPW01"), [0x03], client, [], RawZg.ReplyHeader(requestId, 0), payload);

    public void Act(string action, ActionArgs args, params byte[][] payload) =>
        Send(Socket, [[], B("ZGW01"), B(action), args.Serialize(), .. payload]);

    public void Dispose() => Socket.Dispose();
}

/// <summary>Control commands by hand.</summary>
internal static class RawControl
{
    public static List<byte[]> Ask(DealerSocket admin, string command, params byte[][] arguments)
    {
        Send(admin, [[], B("ZGT01"), B(command), .. arguments]);
        return ReceiveUntil(admin, f => f.Count == 4 && S(f[1]) == "ZGT01" && S(f[2]) == command);
    }

    public static ActionResult Act(DealerSocket admin, string action, ActionArgs args, params byte[][] payload) =>
        ActionResult.Parse(Ask(admin, action, [args.Serialize(), .. payload])[3]);

    public static Dictionary<string, object> Stats(DealerSocket admin) =>
        MessagePackSerializer.Deserialize<Dictionary<string, object>>(Ask(admin, "stats")[3], Payload.Options);
}
