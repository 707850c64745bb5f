using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Client;

/// <summary>
/// A minimal Majordomo worker written from RFC 7 for tests: READY, then REQUEST → handler → REPLY, heartbeats every
/// 250 ms. ZGC01 requests (first body frame a request header) go to <c>handler</c>; stock MDP bodies are echoed.
/// </summary>
internal sealed class MdpTestWorker : IDisposable
{
    private readonly string backend;
    private readonly string service;
    private readonly Func<RequestHeader, byte[], (Status Status, byte[] Payload)> handler;
    private readonly Thread thread;
    private volatile bool stopping;

    public MdpTestWorker(string backend, string service, Func<RequestHeader, byte[], (Status Status, byte[] Payload)> handler)
    {
        this.backend = backend;
        this.service = service;
        this.handler = handler;
        thread = new Thread(Run) { IsBackground = true, Name = "MdpTestWorker " + service };
        thread.Start();
    }

    /// <summary>cmd 1 echoes, cmd 2 fails in the handler, anything else has no route.</summary>
    public static (Status, byte[]) Game(RequestHeader header, byte[] payload) => header.Command switch
    {
        1 => (Status.Ok, payload),
        2 => (Status.HandlerFailed, "boom"u8.ToArray()),
        _ => (Status.NoSuchRoute, System.Text.Encoding.UTF8.GetBytes($"no route for cmd {header.Command}")),
    };

    public void Dispose()
    {
        stopping = true;
        thread.Join();
    }

    private void Run()
    {
        using var dealer = new DealerSocket();
        dealer.Options.Linger = TimeSpan.Zero;
        dealer.Connect(backend);
        Send(dealer, Mdp.Ready, System.Text.Encoding.UTF8.GetBytes(service));
        var nextHeartbeat = DateTime.UtcNow.AddMilliseconds(250);
        NetMQMessage? message = null;
        while (!stopping)
        {
            if (DateTime.UtcNow >= nextHeartbeat)
            {
                Send(dealer, Mdp.Heartbeat);
                nextHeartbeat = DateTime.UtcNow.AddMilliseconds(250);
            }

            if (!dealer.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(50), ref message))
            {
                continue;
            }

            if (message.FrameCount >= 6 && message[2].Buffer[0] == Mdp.Request)
            {
                var client = message[3].ToByteArray();
                var body = message.Skip(5).Select(f => f.ToByteArray()).ToList();
                byte[][] reply;
                if (body.Count >= 1 && RequestHeader.TryRead(body[0], out var header))
                {
                    var (status, payload) = handler(header, body.Count >= 2 ? body[1] : []);
                    reply = [new ReplyHeader(header.RequestId, status).ToArray(), payload];
                }
                else
                {
                    reply = [.. body];
                }

                Send(dealer, Mdp.Reply, [client, [], .. reply]);
            }

            message = null;
        }

        Send(dealer, Mdp.Disconnect);
    }

    private static void Send(DealerSocket dealer, byte command, params byte[][] frames)
    {
        var message = new NetMQMessage();
        message.AppendEmptyFrame();
        message.Append(Mdp.WorkerHeader.ToArray());
        message.Append(new[] { command });
        foreach (var frame in frames)
        {
            message.Append(frame);
        }

        dealer.SendMultipartMessage(message);
    }
}
