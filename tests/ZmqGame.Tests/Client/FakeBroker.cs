using System.Threading.Channels;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Client;

/// <summary>
/// A broker frontend reduced to a ROUTER socket on a random port: answers ZGC01 heartbeats (unless told not to),
/// hands every other message to the test (identity frame first), and sends what the test gives it.
/// </summary>
internal sealed class FakeBroker : IDisposable
{
    private readonly RouterSocket router = new();
    private readonly NetMQQueue<NetMQMessage> outgoing = new();
    private readonly NetMQPoller poller;
    private readonly Channel<NetMQMessage> received = Channel.CreateUnbounded<NetMQMessage>();
    private readonly Channel<byte[]> heartbeats = Channel.CreateUnbounded<byte[]>();
    private volatile bool answerHeartbeats = true;
    private volatile Func<NetMQMessage, NetMQMessage?>? responder;

    /// <param name="endpoint">Null: a random port on 127.0.0.1. Given: rebind a previous fake's endpoint (a restart).</param>
    public FakeBroker(string? endpoint = null)
    {
        router.Options.Linger = TimeSpan.Zero;
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

    /// <summary>When set, called on the broker thread for each non-heartbeat message; a non-null result is sent.</summary>
    public Func<NetMQMessage, NetMQMessage?>? Responder
    {
        get => responder;
        set => responder = value;
    }

    /// <summary>Identity of the sender of each heartbeat, in arrival order.</summary>
    public ChannelReader<byte[]> Heartbeats => heartbeats.Reader;

    public async Task<NetMQMessage> ReceiveAsync(TimeSpan? timeout = null) =>
        await received.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    public async Task<byte[]> NextHeartbeatAsync(TimeSpan? timeout = null) =>
        await heartbeats.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

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

    private void OnReceive(object? sender, NetMQSocketEventArgs e)
    {
        NetMQMessage? message = null;
        while (router.TryReceiveMultipartMessage(TimeSpan.Zero, ref message))
        {
            if (message.FrameCount == 4 && message[2].ConvertToString() == "ZGC01" && message[3].MessageSize == 1 && message[3].Buffer[0] == ZgClient.Heartbeat)
            {
                var identity = message[0].ToByteArray();
                heartbeats.Writer.TryWrite(identity);
                if (answerHeartbeats)
                {
                    Send(identity, [], ZgClient.Header.ToArray(), [ZgClient.Heartbeat]);
                }
            }
            else
            {
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
