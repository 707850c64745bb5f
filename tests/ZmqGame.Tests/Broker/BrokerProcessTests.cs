using NetMQ.Sockets;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker;

/// <summary>The broker executable, started as a process.</summary>
[TestFixture]
public sealed class BrokerProcessTests
{
    internal const string ListeningLine = @"Broker listening: frontend (\S+), backend (\S+), control (\S+)";

    [Test]
    public async Task BrokerExecutable_PositionalEndpoints_ServesStockMdpPeers_AndExitsZeroOnSigterm()
    {
        using var broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");
        var endpoints = await broker.WaitForLineAsync(ListeningLine);
        var frontend = endpoints.Groups[1].Value.TrimEnd(',');
        var backend = endpoints.Groups[2].Value.TrimEnd(',');

        using var worker = new DealerSocket(backend);
        Send(worker, [], B("MDPW01"), [0x01], B("echo"));
        await broker.WaitForLineAsync("ready for service echo");
        using var client = new RequestSocket(frontend);
        Send(client, B("MDPC01"), B("echo"), B("ping"));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], request[5]);
        Assert.That(Receive(client).Select(S), Is.EqualTo(new[] { "MDPC01", "echo", "ping" }));

        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
    }

    /// <summary>
    /// Out of file descriptors, the broker says so once, stops accepting for a tick instead of spinning on a listener
    /// that stays readable, and accepts again when descriptors are free.
    /// </summary>
    [Test]
    [Category(Categories.OwnTransport)]
    public async Task BrokerExecutable_OutOfFileDescriptors_SaysSo_ThenAcceptsAgainWhenSomeAreFree()
    {
        const int limit = 400;
        using var broker = ProcessUnderTest.StartWithFileLimit("ZmqGame.Broker", limit, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");
        var endpoints = await broker.WaitForLineAsync(ListeningLine);
        var frontend = endpoints.Groups[1].Value.TrimEnd(',');
        var backend = endpoints.Groups[2].Value.TrimEnd(',');
        var port = int.Parse(frontend[(frontend.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        // More connections than the broker has descriptors left: the rest wait in the listen backlog.
        var open = Directory.GetFiles($"/proc/{broker.Id}/fd").Length;
        var hogs = new List<System.Net.Sockets.TcpClient>();
        try
        {
            for (var i = 0; i < limit - open + 20; i++)
            {
                var hog = new System.Net.Sockets.TcpClient();
                hogs.Add(hog);
                await hog.ConnectAsync(System.Net.IPAddress.Loopback, port);
            }

            await broker.WaitForLineAsync("cannot accept on the frontend endpoint");
        }
        finally
        {
            foreach (var hog in hogs)
            {
                hog.Dispose();
            }
        }

        // Descriptors free again: new peers are accepted and served.
        using var worker = new DealerSocket(backend);
        Send(worker, [], B("MDPW01"), [0x01], B("echo"));
        await broker.WaitForLineAsync("ready for service echo");
        using var client = new RequestSocket(frontend);
        Send(client, B("MDPC01"), B("echo"), B("again"));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], request[5]);
        Assert.That(Receive(client).Select(S), Is.EqualTo(new[] { "MDPC01", "echo", "again" }));
        Assert.That(broker.Lines.Count(l => l.Contains("cannot accept", StringComparison.Ordinal)), Is.EqualTo(1), "said once, not every tick");

        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
    }

    [Test]
    public async Task BrokerExecutable_PortInUse_ExitsWithClearError()
    {
        using var first = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");
        var endpoints = await first.WaitForLineAsync(ListeningLine);
        var taken = endpoints.Groups[1].Value.TrimEnd(',');

        using var second = ProcessUnderTest.Start("ZmqGame.Broker", taken, "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");

        Assert.That(await second.WaitForExitAsync(), Is.Not.Zero);
        Assert.That(second.Output, Does.Contain("error: cannot bind the frontend endpoint").And.Contain("address already in use"));
    }
}
