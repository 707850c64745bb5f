using NetMQ.Sockets;
using ZmqGame.Broker;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker;

/// <summary>Start-up failures: a clear bind error, and nothing left half-open.</summary>
[TestFixture]
public sealed class BrokerStartTests
{
    [Test]
    public async Task Start_ControlPortTaken_ThrowsBindError_AndReleasesTheEndpointsAlreadyBound()
    {
        using var taken = new BrokerFixture();
        var name = Guid.NewGuid().ToString("N");

        // Frontend and backend on inproc: NetMQ endpoints on the side poller, bound before the control endpoint fails.
        var options = new BrokerOptions
        {
            Frontend = $"inproc://front-{name}",
            Backend = $"inproc://back-{name}",
            Control = taken.Control,
        };
        using (var failing = new BrokerHost(options))
        {
            var error = Assert.Throws<BrokerBindException>(failing.Start);
            Assert.That(error!.Message, Does.Contain("control").And.Contain("address already in use"));
        }

        // The same inproc names bind again (once NetMQ has finished closing the failed broker's sockets, which it does
        // in the background), and that broker serves.
        using var broker = await BrokerFixture.StartWhenFreeAsync(o =>
        {
            o.Frontend = options.Frontend;
            o.Backend = options.Backend;
        });
        using var worker = await broker.RawWorkerAsync("echo");
        using var client = new RequestSocket(broker.Frontend);
        Send(client, B("MDPC01"), B("echo"), B("hi"));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], request[5]);
        Assert.That(Receive(client).Select(S), Is.EqualTo(new[] { "MDPC01", "echo", "hi" }));
    }
}
