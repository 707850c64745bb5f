using System.Globalization;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Cluster;

/// <summary>
/// One broker's control endpoint, spoken raw (as the trigger does): a push to users or to everyone, and one counter of
/// the broker's stats. Each call waits for its answer, so one channel has one command in flight; not thread-safe.
/// </summary>
internal sealed class ControlChannel : IDisposable
{
    private static readonly byte[] HeaderFrame = Control.Header.ToArray();
    private static readonly byte[] StatsFrame = "stats"u8.ToArray();
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);
    private readonly DealerSocket _socket;

    public ControlChannel(string endpoint)
    {
        Endpoint = endpoint;
        _socket = new DealerSocket();
        _socket.Options.Linger = TimeSpan.Zero;
        _socket.Connect(endpoint);
    }

    /// <summary>The control endpoint this channel talks to.</summary>
    public string Endpoint { get; }

    /// <summary>Pushes <paramref name="payload"/> as command <c>args.Command</c> to the targets in <paramref name="args"/>; returns the broker's count of sessions reached.</summary>
    /// <exception cref="TimeoutException">The broker did not answer within 10 s.</exception>
    /// <exception cref="InvalidOperationException">The broker refused the push (its answer names why).</exception>
    public int Push(ActionArgs args, byte[] payload) => PushRaw(args.Serialize(), payload);

    /// <summary>As <see cref="Push"/> with the arguments already serialized (<see cref="ActionArgs.Serialize"/>).</summary>
    public int PushRaw(byte[] args, byte[] payload)
    {
        _socket.SendMoreFrameEmpty().SendMoreFrame(HeaderFrame).SendMoreFrame(SessionActions.Push).SendMoreFrame(args).SendFrame(payload);
        var result = ActionResult.Parse(Answer()[3]);
        return result.Error is { } error ? throw new InvalidOperationException($"push refused by {Endpoint}: {error}") : result.Sessions;
    }

    /// <summary>One counter of the broker's stats answer (e.g. <c>sessions</c>).</summary>
    /// <exception cref="TimeoutException">The broker did not answer within 10 s.</exception>
    public long Stat(string key)
    {
        _socket.SendMoreFrameEmpty().SendMoreFrame(HeaderFrame).SendFrame(StatsFrame);
        var map = MessagePackSerializer.Deserialize<Dictionary<string, object>>(Answer()[3], Payload.Options);
        return map.TryGetValue(key, out var value) ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"{Endpoint}: no '{key}' in the stats answer");
    }

    public void Dispose() => _socket.Dispose();

    private List<byte[]> Answer()
    {
        var frames = new List<byte[]>();
        if (!_socket.TryReceiveMultipartBytes(AnswerTimeout, ref frames) || frames.Count < 4)
        {
            throw new TimeoutException($"no answer from the control endpoint {Endpoint} within {AnswerTimeout.TotalSeconds:F0} s");
        }

        return frames;
    }
}
