using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.WebSocket.WebSocketFrontendTests;

namespace ZmqGame.Tests.WebSocket;

/// <summary>The broker executable with <c>--websocket</c>: it says where it listens, serves ZWS clients, and refuses a bad URL.</summary>
[TestFixture]
public sealed class WebSocketProcessTests
{
    [Test]
    public async Task BrokerExecutable_WithWebSocket_ServesAZwsClient_AndExitsZeroOnSigterm()
    {
        using var broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0",
            "--websocket", "ws://127.0.0.1:0");
        var endpoints = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
        var backend = endpoints.Groups[2].Value.TrimEnd(',');
        var url = (await broker.WaitForLineAsync(@"Broker WebSocket frontend listening on (\S+)")).Groups[1].Value;

        using var worker = new NetMQ.Sockets.DealerSocket(backend);
        Send(worker, [], B("MDPW01"), [0x01], B("echo"));
        await broker.WaitForLineAsync("ready for service echo");
        await using (var client = await ZwsTestClient.ConnectAsync(url, protocol: "ZWS2.0"))
        {
            await MdpRoundTripAsync(client, worker, "echo", "process");
        }

        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
    }

    [TestCase("http://127.0.0.1:5580", "is not a ws:// or wss:// URL")]
    [TestCase("ws://example.com:5580", "names a host other than localhost")]
    [TestCase("wss://127.0.0.1:5580", "is wss:// and needs Broker:WebSocketCertificate")]
    public async Task BrokerExecutable_BadWebSocketUrl_IsOneLine_AndExitCode2(string url, string expected)
    {
        using var broker = ProcessUnderTest.Start("ZmqGame.Broker", "--websocket", url);
        Assert.That(await broker.WaitForExitAsync(), Is.EqualTo(2), broker.Output);
        Assert.That(broker.Output, Does.Contain($"error: setting Broker:WebSocket = '{url}' (from the command line) {expected}"));
    }
}
