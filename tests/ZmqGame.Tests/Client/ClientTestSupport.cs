using MessagePack;
using NetMQ;
using ZmqGame.Client;
using ZmqGame.Client.Cli;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Client;

internal static class ClientTestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Fast heartbeats so liveness and reconnect tests take well under a second.</summary>
    public static ZmqGameClientOptions FastOptions() => new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(50),
        Liveness = 3,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelayMin = TimeSpan.FromMilliseconds(20),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(200),
    };

    public static Task<ZmqGameClient> ConnectAsync(FakeBroker broker, ZmqGameClientOptions? options = null) =>
        ZmqGameClient.ConnectAsync(broker.Endpoint, options ?? new ZmqGameClientOptions(), CancellationToken.None);

    /// <summary>The <c>client</c> CLI (<c>CliApp.RunAsync</c>) in this process: its exit code, its stdout and its stderr, trimmed.</summary>
    public static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr).WaitAsync(Patience);
        return (code, stdout.ToString().Trim(), stderr.ToString().Trim());
    }

    /// <summary>A ZGC01 request as the fake broker saw it.</summary>
    public static (byte[] Identity, string Service, RequestHeader Header, byte[] Payload) ParseRequest(NetMQMessage message)
    {
        Assert.That(message.FrameCount, Is.EqualTo(7), "[identity][\"\"][ZGC01][0x01][service][header][payload]");
        Assert.That(RequestHeader.TryRead(message[5].ToByteArray(), out var header), Is.True, "request header");
        return (message[0].ToByteArray(), message[4].ConvertToString(), header, message[6].ToByteArray());
    }

    public static byte[] Pack<T>(T value) => MessagePackSerializer.Serialize(value, Payload.Options);

    /// <summary>An endpoint on which nothing listens: bind a random port, then release it.</summary>
    public static string DeadEndpoint()
    {
        using var probe = new NetMQ.Sockets.RouterSocket();
        probe.Options.Linger = TimeSpan.Zero;
        var port = probe.BindRandomPort("tcp://127.0.0.1");
        probe.Unbind($"tcp://127.0.0.1:{port}");
        return $"tcp://127.0.0.1:{port}";
    }

    public static async Task<T> Within<T>(this Task<T> task) => await task.WaitAsync(Patience);

    public static async Task Within(this Task task) => await task.WaitAsync(Patience);
}
