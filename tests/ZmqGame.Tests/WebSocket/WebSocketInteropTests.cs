using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.WebSocket.WebSocketFrontendTests;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// The WebSocket frontend against a ZWS 2.0 peer that is not ZmqGame's: jszmq, the JavaScript ZeroMQ over WebSocket
/// (Debian's libzmq is built without the draft ws transport), run by Node from tests/ZmqGame.Tests/WebSocket/jszmq
/// (installed by <c>npm ci</c> there, which .ci/run does).
/// </summary>
[TestFixture]
[Category("Interop")]
[NonParallelizable]
public sealed class WebSocketInteropTests
{
    private static readonly string PeerFolder = Path.Combine(
        typeof(WebSocketInteropTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!,
        "tests", "ZmqGame.Tests", "WebSocket", "jszmq");

    [Test]
    public async Task JszmqDealer_SendsAStockMdpRequestOverZws_AndGetsTheWorkersReply()
    {
        Assert.That(Directory.Exists(Path.Combine(PeerFolder, "node_modules", "jszmq")), Is.True,
            $"jszmq is not installed: run `npm ci` in {PeerFolder} (.ci/run does)");
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");

        using var node = Process.Start(new ProcessStartInfo("node", ["mdp-client.js", broker.WebSocket, "echo", "from jszmq"])
        {
            WorkingDirectory = PeerFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Assert.That(S(request[5]), Is.EqualTo("from jszmq"));
        Assert.That(request[3][..3], Is.EqualTo(new byte[] { 0, (byte)'W', (byte)'S' }), "jszmq asks for no identity: a generated one");
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], B("to jszmq"));

        using var timeout = new CancellationTokenSource(Wait);
        await node.WaitForExitAsync(timeout.Token);
        Assert.That(node.ExitCode, Is.Zero, await errors);
        var reply = JsonSerializer.Deserialize<string[]>((await output).Trim());
        Assert.That(reply, Is.EqualTo(new[] { "", "MDPC01", "echo", "to jszmq" }));
    }
}
