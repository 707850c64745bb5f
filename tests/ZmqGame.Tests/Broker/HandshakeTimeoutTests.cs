using System.Net.Sockets;
using NetMQ.Sockets;
using ZmqGame.Broker;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker;

/// <summary>A TCP connection that never finishes the ZeroMQ handshake is closed after HandshakeTimeout; peers that did are not.</summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class HandshakeTimeoutTests
{
    [Test]
    public async Task SilentConnection_IsClosedAfterHandshakeTimeout_WhileHandshakenPeersKeepWorking()
    {
        using var broker = new BrokerFixture(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var worker = await broker.RawWorkerAsync("echo");
        using var client = new DealerSocket(broker.Frontend);
        await RoundTripAsync(client, worker, "before");

        var port = int.Parse(broker.Frontend[(broker.Frontend.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        using var silent = new TcpClient();
        await silent.ConnectAsync("127.0.0.1", port);
        var stream = silent.GetStream();

        // The broker greets first (64-byte greeting and READY), then closes: read to the end.
        var buffer = new byte[256];
        var total = 0;
        using var cts = new CancellationTokenSource(Wait);
        int n;
        while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
        {
            total += n;
        }

        Assert.That(total, Is.GreaterThanOrEqualTo(64), "the broker's greeting came before the close");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));

        // The handshaken client and worker outlived the timeout and still talk.
        await RoundTripAsync(client, worker, "after");
        Assert.That(broker.Stats.ClientDisconnects, Is.Zero);
    }

    private static async Task RoundTripAsync(DealerSocket client, DealerSocket worker, string text)
    {
        Send(client, [], B("MDPC01"), B("echo"), B(text));
        var request = await Task.Run(() => ReceiveUntil(worker, f => f.Count >= 6 && f[2][0] == 0x02));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], request[5]);
        var reply = await Task.Run(() => Receive(client));
        Assert.That(S(reply[^1]), Is.EqualTo(text));
    }
}
