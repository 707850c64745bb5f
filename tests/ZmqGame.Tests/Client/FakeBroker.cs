using System.Buffers.Binary;
using System.Threading.Channels;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Client;

/// <summary>
/// A broker frontend reduced to a ROUTER socket on a random port: answers ZGC01 heartbeats, HELLO (WELCOME, or CLOSED
/// `expired` for a refused resume) and CLOSE (CLOSED `client closed`) unless told not to, records each of them, hands
/// every other message to the test (identity frame first), and sends what the test gives it.
/// Its tickets are the session id (8 bytes, big-endian), so a restarted fake "signed" them too and resumes them.
/// </summary>
internal sealed class FakeBroker : IDisposable
{
    private readonly RouterSocket router = new();
    private readonly NetMQQueue<NetMQMessage> outgoing = new();
    private readonly NetMQPoller poller;
    private readonly Channel<NetMQMessage> received = Channel.CreateUnbounded<NetMQMessage>();
    private readonly Channel<HeartbeatSeen> heartbeats = Channel.CreateUnbounded<HeartbeatSeen>();
    private readonly Channel<ulong> sessionRequests = Channel.CreateUnbounded<ulong>();
    private readonly Channel<HelloSeen> hellos = Channel.CreateUnbounded<HelloSeen>();
    private readonly Channel<byte[]> closes = Channel.CreateUnbounded<byte[]>();
    private long nextSession = Random.Shared.Next(1, 1_000_000) * 1000L;
    private volatile bool answerHeartbeats = true;
    private volatile bool answerHellos = true;
    private volatile bool answerCloses = true;
    private volatile bool refuseResume;
    private volatile Func<NetMQMessage, NetMQMessage?>? responder;

    /// <param name="endpoint">Null: a random port on 127.0.0.1. Given: rebind a previous fake's endpoint (a restart).</param>
    /// <param name="curve">When given, the ROUTER is a CURVE server with this key pair.</param>
    public FakeBroker(string? endpoint = null, NetMQCertificate? curve = null)
    {
        router.Options.Linger = TimeSpan.Zero;
        if (curve is not null)
        {
            router.Options.CurveServer = true;
            router.Options.CurveCertificate = curve;
        }

        if (endpoint is null)
        {
            var port = router.BindRandomPort("tcp://127.0.0.1");
            Endpoint = $"tcp://127.0.0.1:{port}";
        }
        else
        {
            router.Bind(endpoint);
            Endpoint = endpoint;
        }

        router.ReceiveReady += OnReceive;
        outgoing.ReceiveReady += (_, _) =>
        {
            while (outgoing.TryDequeue(out var message, TimeSpan.Zero))
            {
                router.SendMultipartMessage(message);
            }
        };
        poller = new NetMQPoller { router, outgoing };
        poller.RunAsync("FakeBroker", true);
    }

    public string Endpoint { get; }

    /// <summary>False: heartbeats are still recorded but not answered (a silent broker).</summary>
    public bool AnswerHeartbeats
    {
        get => answerHeartbeats;
        set => answerHeartbeats = value;
    }

    /// <summary>False: HELLO is recorded but not answered.</summary>
    public bool AnswerHellos
    {
        get => answerHellos;
        set => answerHellos = value;
    }

    /// <summary>False: CLOSE is recorded but not answered.</summary>
    public bool AnswerCloses
    {
        get => answerCloses;
        set => answerCloses = value;
    }

    /// <summary>True: HELLO with a ticket is answered CLOSED `expired` ("session expired"), as for a resume that came too late.</summary>
    public bool RefuseResume
    {
        get => refuseResume;
        set => refuseResume = value;
    }

    /// <summary>User, flags and groups put in the WELCOMEs the fake sends on its own.</summary>
    public Func<HelloSeen, Welcome>? WelcomeFor { get; set; }

    /// <summary>Every HELLO, in arrival order.</summary>
    public ChannelReader<HelloSeen> Hellos => hellos.Reader;

    /// <summary>Identity of the sender of each CLOSE, in arrival order.</summary>
    public ChannelReader<byte[]> Closes => closes.Reader;

    /// <summary>When set, called on the broker thread for each message other than HEARTBEAT, HELLO and CLOSE; a non-null result is sent.</summary>
    public Func<NetMQMessage, NetMQMessage?>? Responder
    {
        get => responder;
        set => responder = value;
    }

    /// <summary>The session id each SESSION REQUEST named, in arrival order (the request itself is read as a REQUEST).</summary>
    public ChannelReader<ulong> SessionRequests => sessionRequests.Reader;

    /// <summary>Each heartbeat (sender and session frame), in arrival order.</summary>
    public ChannelReader<HeartbeatSeen> Heartbeats => heartbeats.Reader;

    public async Task<NetMQMessage> ReceiveAsync(TimeSpan? timeout = null) =>
        await received.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>The identity of the sender of the next heartbeat.</summary>
    public async Task<byte[]> NextHeartbeatAsync(TimeSpan? timeout = null) => (await NextHeartbeatSeenAsync(timeout)).Identity;

    public async Task<HeartbeatSeen> NextHeartbeatSeenAsync(TimeSpan? timeout = null) =>
        await heartbeats.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    public async Task<HelloSeen> NextHelloAsync(TimeSpan? timeout = null) =>
        await hellos.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    public async Task<byte[]> NextCloseAsync(TimeSpan? timeout = null) =>
        await closes.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>The ticket the fake gives for <paramref name="sessionId"/>.</summary>
    public static byte[] TicketFor(ulong sessionId)
    {
        var ticket = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(ticket, sessionId);
        return ticket;
    }

    /// <summary>[identity][""]["ZGC01"][0x03][welcome][ticket].</summary>
    public static NetMQMessage WelcomeMessage(byte[] identity, Welcome welcome, byte[]? ticket = null) =>
        Zgc(identity, ZgClient.Hello, welcome.Serialize(), ticket ?? TicketFor(welcome.Session));

    /// <summary>[identity][""]["ZGC01"][0x05][push header][payload].</summary>
    public static NetMQMessage PushMessage(byte[] identity, int command, byte[] payload) =>
        Zgc(identity, ZgClient.Push, new PushHeader(command).ToArray(), payload);

    /// <summary>[identity][""]["ZGC01"][0x06][reason][text].</summary>
    public static NetMQMessage ClosedMessage(byte[] identity, SessionCloseReason reason, string text) =>
        Zgc(identity, ZgClient.Close, [(byte)reason], System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>[identity][""]["ZGC01"][0x07].</summary>
    public static NetMQMessage NoSessionMessage(byte[] identity) => Zgc(identity, ZgClient.NoSession);

    /// <summary>[identity][""]["ZGC01"][command][body…].</summary>
    public static NetMQMessage Zgc(byte[] identity, byte command, params byte[][] body)
    {
        var message = new NetMQMessage();
        message.Append(identity);
        message.AppendEmptyFrame();
        message.Append(ZgClient.Header.ToArray());
        message.Append(new[] { command });
        foreach (var frame in body)
        {
            message.Append(frame);
        }

        return message;
    }

    public void Send(NetMQMessage message) => outgoing.Enqueue(message);

    public void Send(byte[] identity, params byte[][] frames)
    {
        var message = new NetMQMessage();
        message.Append(identity);
        foreach (var frame in frames)
        {
            message.Append(frame);
        }

        Send(message);
    }

    /// <summary>[identity][""]["ZGC01"][0x02][reply header][payload].</summary>
    public static NetMQMessage Reply(byte[] identity, ulong requestId, Status status, byte[] payload)
    {
        var message = new NetMQMessage();
        message.Append(identity);
        message.AppendEmptyFrame();
        message.Append(ZgClient.Header.ToArray());
        message.Append(new[] { ZgClient.Reply });
        message.Append(new ReplyHeader(requestId, status).ToArray());
        message.Append(payload);
        return message;
    }

    /// <summary>A responder that answers every ZGC01 request Ok with its own payload.</summary>
    public static NetMQMessage? Echo(NetMQMessage request)
    {
        if (request.FrameCount < 7 || !RequestHeader.TryRead(request[5].ToByteArray(), out var header))
        {
            return null;
        }

        return Reply(request[0].ToByteArray(), header.RequestId, Status.Ok, request[6].ToByteArray());
    }

    public void Dispose()
    {
        poller.Dispose();
        router.Dispose();
        outgoing.Dispose();
    }

    private NetMQMessage AnswerHello(HelloSeen hello)
    {
        if (hello.Ticket.Length > 0 && refuseResume)
        {
            return ClosedMessage(hello.Identity, SessionCloseReason.Expired, "session expired");
        }

        var resumed = hello.Ticket.Length == 8;
        var welcome = WelcomeFor?.Invoke(hello) ?? new Welcome { TimeoutMs = 10_000, Groups = [] };
        welcome.Resumed = resumed;
        welcome.Session = resumed ? BinaryPrimitives.ReadUInt64BigEndian(hello.Ticket) : (ulong)Interlocked.Increment(ref nextSession);
        return WelcomeMessage(hello.Identity, welcome);
    }

    private void OnReceive(object? sender, NetMQSocketEventArgs e)
    {
        NetMQMessage? message = null;
        while (router.TryReceiveMultipartMessage(TimeSpan.Zero, ref message))
        {
            var command = message.FrameCount >= 4 && message[2].ConvertToString() == "ZGC01" && message[3].MessageSize == 1 ? message[3].Buffer[0] : (byte)0;
            var identity = message[0].ToByteArray();
            if (command == ZgClient.Heartbeat && message.FrameCount is 4 or 5)
            {
                heartbeats.Writer.TryWrite(new HeartbeatSeen(identity, message.FrameCount == 5 ? message[4].ToByteArray() : null));
                if (answerHeartbeats)
                {
                    router.SendMultipartMessage(Zgc(identity, ZgClient.Heartbeat));
                }
            }
            else if (command == ZgClient.Hello && message.FrameCount == 6)
            {
                var hello = new HelloSeen(identity, message[4].ConvertToString(), message[5].ToByteArray());
                hellos.Writer.TryWrite(hello);
                if (answerHellos)
                {
                    router.SendMultipartMessage(AnswerHello(hello));
                }
            }
            else if (command == ZgClient.Close && message.FrameCount == 4)
            {
                closes.Writer.TryWrite(identity);
                if (answerCloses)
                {
                    router.SendMultipartMessage(ClosedMessage(identity, SessionCloseReason.ClientClosed, "client closed"));
                }
            }
            else
            {
                if (command == ZgClient.SessionRequest && message.FrameCount >= 5 && message[4].MessageSize == 8)
                {
                    // Tests read every request in the REQUEST shape; the session it named is kept aside.
                    sessionRequests.Writer.TryWrite(BinaryPrimitives.ReadUInt64BigEndian(message[4].Buffer));
                    var plain = new NetMQMessage();
                    for (var i = 0; i < message.FrameCount; i++)
                    {
                        if (i == 3)
                        {
                            plain.Append(new[] { ZgClient.Request });
                        }
                        else if (i != 4)
                        {
                            plain.Append(message[i]);
                        }
                    }

                    message = plain;
                }

                var answer = responder?.Invoke(message);
                if (answer is not null)
                {
                    router.SendMultipartMessage(answer);
                }
                else
                {
                    received.Writer.TryWrite(message);
                }
            }

            message = null;
        }
    }
}

/// <summary>A HEARTBEAT the fake broker received; <see cref="SessionFrame"/> is null when it carried none.</summary>
internal sealed record HeartbeatSeen(byte[] Identity, byte[]? SessionFrame)
{
    public ulong? SessionId => SessionFrame is { Length: 8 } frame ? BinaryPrimitives.ReadUInt64BigEndian(frame) : null;
}

/// <summary>A HELLO the fake broker received: [session service][ticket].</summary>
internal sealed record HelloSeen(byte[] Identity, string Service, byte[] Ticket);
