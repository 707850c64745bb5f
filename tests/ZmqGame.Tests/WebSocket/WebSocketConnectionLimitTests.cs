using System.Net.WebSockets;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.WebSocket.WebSocketFrontendTests;

namespace ZmqGame.Tests.WebSocket;

/// <summary>The per-IP connection limits hold on the WebSocket frontend as on TCP: over them an upgrade is refused (429) and counted.</summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketConnectionLimitTests
{
    [Test]
    public async Task MaxConnectionsPerIp_RefusesTheNextUpgrade_CountsIt_AndAdmitsOneAgainWhenAConnectionEnds()
    {
        await using var broker = await StartBrokerAsync(o => o.Limits.MaxConnectionsPerIp = 2);
        using var worker = await broker.RawWorkerAsync("echo");
        var first = await ZwsTestClient.ConnectAsync(broker.WebSocket, protocol: "ZWS2.0");
        await using var second = await ZwsTestClient.ConnectAsync(broker.WebSocket, protocol: "ZWS2.0");

        Assert.That(await TryConnectAsync(broker.WebSocket), Is.False, "a third connection from 127.0.0.1");
        Assert.That(await broker.Server.InvokeAsync(() => broker.Stats.ConnectionsRefusedIpCap), Is.EqualTo(1));
        await MdpRoundTripAsync(second, worker, "echo", "still served");

        await first.DisposeAsync();
        await Eventually.True(() => TryConnectAsync(broker.WebSocket), "a connection admitted once the first has ended");
    }

    private static async Task<bool> TryConnectAsync(string url)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("ZWS2.0");
        try
        {
            await socket.ConnectAsync(new Uri(url), CancellationToken.None);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None);
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
    }
}
