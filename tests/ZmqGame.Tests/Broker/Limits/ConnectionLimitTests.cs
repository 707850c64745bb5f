using System.Net.Sockets;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker.Limits;

/// <summary>
/// Per-IP connection limits on the frontend: a connection over the cap or the rate is closed at accept, before the
/// broker's ZMTP greeting, and counted. The own transport only: NetMQ does not give the broker a peer's address.
/// </summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class ConnectionLimitTests
{
    private readonly ManualTimeProvider _time = new();

    [Test]
    public async Task MaxConnectionsPerIp_RefusesTheNextAtAccept_UntilOneCloses()
    {
        using var broker = new BrokerFixture(o => o.Limits.MaxConnectionsPerIp = 2, _time);
        using var first = await ConnectAsync(broker);
        using var second = await ConnectAsync(broker);
        Assert.That(await IsGreetedAsync(first), Is.True);
        Assert.That(await IsGreetedAsync(second), Is.True);

        using (var third = await ConnectAsync(broker))
        {
            Assert.That(await IsGreetedAsync(third), Is.False, "the third connection from 127.0.0.1 is closed at accept");
        }

        Assert.That(broker.Stats.ConnectionsRefusedIpCap, Is.EqualTo(1));

        first.Dispose();
        TcpClient? again = null;
        await Eventually.True(async () =>
        {
            again?.Dispose();
            again = await ConnectAsync(broker);
            return await IsGreetedAsync(again);
        }, "a connection is accepted again once one of the two has closed");
        again!.Dispose();
        Assert.That(broker.Stats.ConnectionsRefusedIpRate, Is.Zero);
    }

    [Test]
    public async Task ConnectionsPerSecondPerIp_RefusesTheSecondsExcess_AndRefillsWithTime()
    {
        using var broker = new BrokerFixture(o => o.Limits.ConnectionsPerSecondPerIp = 3, _time);
        var accepted = new List<TcpClient>();
        for (var i = 0; i < 3; i++)
        {
            accepted.Add(await ConnectAsync(broker));
            Assert.That(await IsGreetedAsync(accepted[^1]), Is.True, $"connection {i + 1} of 3 in one second");
        }

        using (var fourth = await ConnectAsync(broker))
        {
            Assert.That(await IsGreetedAsync(fourth), Is.False, "the fourth within the same second is closed at accept");
        }

        Assert.That(broker.Stats.ConnectionsRefusedIpRate, Is.EqualTo(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        using var later = await ConnectAsync(broker);
        Assert.That(await IsGreetedAsync(later), Is.True, "a second later the address may connect again");

        await using var trigger = await TriggerClient.ConnectAsync(broker.Control);
        var stats = await trigger.StatsAsync();
        Assert.That(stats.Counters[ZmqGame.Protocol.StatsReport.ConnectionsRefusedIpRateKey], Is.EqualTo(1));
        foreach (var client in accepted)
        {
            client.Dispose();
        }
    }

    [Test]
    public async Task LimitsOff_ManyConnectionsFromOneIp_AreAllAccepted()
    {
        using var broker = new BrokerFixture(time: _time);
        var clients = new List<TcpClient>();
        for (var i = 0; i < 20; i++)
        {
            clients.Add(await ConnectAsync(broker));
        }

        foreach (var client in clients)
        {
            Assert.That(await IsGreetedAsync(client), Is.True);
            client.Dispose();
        }

        Assert.That(broker.Stats.ConnectionsRefusedIpCap + broker.Stats.ConnectionsRefusedIpRate, Is.Zero);
    }

    private static async Task<TcpClient> ConnectAsync(BrokerFixture broker)
    {
        var port = int.Parse(broker.Frontend[(broker.Frontend.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        return client;
    }

    /// <summary>True when the broker sends its ZMTP greeting (kept); false when it closes the connection without a byte (refused).</summary>
    private static async Task<bool> IsGreetedAsync(TcpClient client)
    {
        var buffer = new byte[64];
        using var cts = new CancellationTokenSource(Wait);
        try
        {
            return await client.GetStream().ReadAsync(buffer, cts.Token) > 0;
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return false;
        }
    }
}
