using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>
/// The supervisor's admin endpoint (<c>--admin</c>), for <c>trigger workers reload|status --supervisor …</c>.
/// A ROUTER speaking the control protocol: <c>[""]["ZGT01"]["reload"]</c> answers when the reload has ended with
/// <c>{"outcome": "Completed"|"Failed"|"Ignored"}</c>; <c>[""]["ZGT01"]["status"]</c> answers at once with
/// <c>{"processes": [{slot, state, pid, ready, started, recent_crashes}, …]}</c>. One thread owns the socket.
/// </summary>
internal sealed class SupervisorAdmin : IDisposable
{
    private readonly WorkerSupervisor _supervisor;
    private readonly RouterSocket _socket = new();
    private readonly NetMQQueue<(byte[] Peer, byte[] Command, byte[] Result)> _replies = new();
    private readonly NetMQPoller _poller;

    public SupervisorAdmin(WorkerSupervisor supervisor, string endpoint)
    {
        _supervisor = supervisor;
        _socket.Options.Linger = TimeSpan.Zero;
        _socket.Options.MaxMsgSize = 64 * 1024;
        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal) && (endpoint.EndsWith(":0", StringComparison.Ordinal) || endpoint.EndsWith(":*", StringComparison.Ordinal)))
        {
            var address = endpoint[..endpoint.LastIndexOf(':')];
            Endpoint = address + ":" + _socket.BindRandomPort(address);
        }
        else
        {
            _socket.Bind(endpoint);
            Endpoint = endpoint;
        }
        _socket.ReceiveReady += (_, _) => Receive();
        _replies.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var reply, TimeSpan.Zero))
            {
                var answer = new List<byte[]>(5) { reply.Peer };
                Control.WriteAnswer(new FrameListWriter(answer), reply.Command, reply.Result);
                _socket.TrySendMultipartBytes(TimeSpan.Zero, answer);
            }
        };
        _poller = [_socket, _replies];
        _poller.RunAsync("zmqgame-supervisor-admin");
    }

    public string Endpoint { get; }

    public void Dispose()
    {
        _poller.Stop();
        _poller.Dispose();
        _replies.Dispose();
        _socket.Dispose();
    }

    private void Receive()
    {
        var frames = new List<byte[]>();
        for (var i = 0; i < 64 && _socket.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames); i++)
        {
            if (!Control.TryReadCommand(new ListFrames(frames, start: 1), out var request) || request.ArgumentCount != 0)
            {
                continue; // not the control protocol: nothing to answer
            }

            var peer = frames[0];
            var command = frames[1 + Control.CommandIndex];
            switch (System.Text.Encoding.UTF8.GetString(command))
            {
                case "status":
                    _replies.Enqueue((peer, command, Serialize(Status())));
                    break;
                case "reload":
                    _ = ReloadAsync(peer, command);
                    break;
                default:
                    _replies.Enqueue((peer, command, Serialize(new Dictionary<string, object> { ["error"] = "unknown command" })));
                    break;
            }
        }
    }

    private async Task ReloadAsync(byte[] peer, byte[] command)
    {
        var outcome = await _supervisor.ReloadAsync().ConfigureAwait(false);
        _replies.Enqueue((peer, command, Serialize(new Dictionary<string, object> { ["outcome"] = outcome.ToString() })));
    }

    private Dictionary<string, object> Status() => new()
    {
        ["processes"] = _supervisor.Snapshot().Select(c => (object)new Dictionary<string, object>
        {
            ["slot"] = c.Slot,
            ["state"] = c.State.ToString(),
            ["pid"] = c.Pid,
            ["ready"] = c.Ready,
            ["started"] = c.StartedAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
            ["recent_crashes"] = c.RecentCrashes,
        }).ToArray(),
    };

    private static byte[] Serialize(object value) => MessagePackSerializer.Serialize(value, MessagePackSerializerOptions.Standard);
}
