using System.Text;
using System.Threading.Channels;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Trigger;

/// <summary>One control request the fake endpoint received: <c>[""]["ZGT01"][command][arguments…]</c>.</summary>
internal sealed record ControlRequest(byte[] Peer, string Command, IReadOnlyList<byte[]> Arguments)
{
    public ActionArgs Args
    {
        get
        {
            Assert.That(ActionArgs.TryParse(Arguments[0], out var args, out var error), Is.True, error);
            return args;
        }
    }
}

/// <summary>
/// A broker's control endpoint, faked with a raw ROUTER on a random loopback port: records each request and answers
/// with what <see cref="Respond"/> returns (null: no answer). Optionally a CURVE server.
/// </summary>
internal sealed class FakeControlEndpoint : IDisposable
{
    private readonly RouterSocket _router = new();
    private readonly NetMQQueue<(byte[] Peer, string Command, byte[] Result)> _answers = new();
    private readonly NetMQPoller _poller;
    private readonly Channel<ControlRequest> _requests = Channel.CreateUnbounded<ControlRequest>();

    public FakeControlEndpoint(NetMQCertificate? serverKeys = null)
    {
        _router.Options.Linger = TimeSpan.Zero;
        if (serverKeys is not null)
        {
            _router.Options.CurveServer = true;
            _router.Options.CurveCertificate = serverKeys;
        }

        Endpoint = "tcp://127.0.0.1:" + _router.BindRandomPort("tcp://127.0.0.1");
        _router.ReceiveReady += (_, _) => Receive();
        _answers.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var answer, TimeSpan.Zero))
            {
                Send(answer.Peer, answer.Command, answer.Result);
            }
        };
        _poller = [_router, _answers];
        _poller.RunAsync("fake-control-endpoint");
    }

    public string Endpoint { get; }

    /// <summary>The answer to a request (called on the endpoint's thread); null leaves it unanswered. Default: <c>{"sessions": 1, "dropped": 0}</c>.</summary>
    public Func<ControlRequest, byte[]?> Respond { get; set; } = _ => Result(1, 0);

    public static byte[] Result(int sessions, int dropped) =>
        MessagePackSerializer.Serialize(new Dictionary<string, object> { ["sessions"] = sessions, ["dropped"] = dropped });

    public static byte[] Error(string text) =>
        MessagePackSerializer.Serialize(new Dictionary<string, object> { ["error"] = text, ["sessions"] = 0, ["dropped"] = 0 });

    public static byte[] Ok() => MessagePackSerializer.Serialize(new Dictionary<string, object> { ["ok"] = true });

    /// <summary>The next request received, within a few seconds.</summary>
    public async Task<ControlRequest> NextRequestAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _requests.Reader.ReadAsync(cts.Token);
    }

    /// <summary>True when no request is waiting to be read.</summary>
    public bool NoMoreRequests => !_requests.Reader.TryPeek(out _);

    /// <summary>Answers a request later (e.g. after the trigger gave up on it).</summary>
    public void AnswerLate(ControlRequest request, byte[] result) => _answers.Enqueue((request.Peer, request.Command, result));

    public void Dispose()
    {
        _poller.Stop();
        _poller.Dispose();
        _answers.Dispose();
        _router.Dispose();
    }

    private void Receive()
    {
        var frames = new List<byte[]>();
        while (_router.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames))
        {
            if (frames.Count < 4 || frames[1].Length != 0 || !frames[2].AsSpan().SequenceEqual(Control.Header))
            {
                continue;
            }

            var request = new ControlRequest(frames[0], Encoding.UTF8.GetString(frames[3]), frames.Skip(4).ToArray());
            _requests.Writer.TryWrite(request);
            if (Respond(request) is { } result)
            {
                Send(request.Peer, request.Command, result);
            }
        }
    }

    private void Send(byte[] peer, string command, byte[] result) =>
        _router.TrySendMultipartBytes(TimeSpan.Zero, peer, [], Control.Header.ToArray(), Encoding.UTF8.GetBytes(command), result);
}
