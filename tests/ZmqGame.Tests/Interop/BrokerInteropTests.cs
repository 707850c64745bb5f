using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;

namespace ZmqGame.Tests.Interop;

/// <summary>
/// libzmq DEALER and REQ clients (stock Majordomo, MDPC01) through ZmqGame's broker to a ZmqGame worker: the broker's
/// ROUTER (its own transport, or NetMQ) takes libzmq's handshake, multipart messages, a large frame and PING heartbeats.
/// </summary>
[TestFixture]
[Category(LibzmqPeer.Category)]
public sealed class BrokerInteropTests
{
    private BrokerFixture _broker = null!;
    private WorkerApp _worker = null!;

    [SetUp]
    public async Task SetUp()
    {
        _broker = new BrokerFixture();
        _worker = await InProcessWorker.StartAsync(_broker, 1, SampleServices.Echo, app => SampleServices.Map(app, SampleServices.Default));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _worker.DisposeAsync();
        _broker.Dispose();
    }

    [TestCase("dealer")]
    [TestCase("req")]
    public async Task LibzmqClient_StockMdpRequest_EchoedThroughTheBroker(string socketType)
    {
        using var peer = LibzmqPeer.Start("client", socketType, _broker.Frontend, SampleServices.Echo, "hello", "world");

        var reply = await peer.WaitReplyAsync();

        Assert.That(reply.Header, Is.EqualTo("MDPC01"));
        Assert.That(reply.Service, Is.EqualTo(SampleServices.Echo));
        Assert.That(reply.Frames, Is.EqualTo(new[] { "hello", "world" }));
    }

    [TestCase("dealer")]
    [TestCase("req")]
    public async Task LibzmqClient_MultipartWithA300KbFrame_EchoedIntact(string socketType)
    {
        using var peer = LibzmqPeer.Start("client", socketType, _broker.Frontend, SampleServices.Echo, "a", "", "big:307200", "z");

        var reply = await peer.WaitReplyAsync();

        Assert.That(reply.Sizes, Is.EqualTo(new[] { 1, 0, 307200, 1 }));
        Assert.That(reply.EchoedRequest, Is.True, "every byte came back");
    }

    [Test]
    public async Task LibzmqDealerWithHeartbeats_PingsAreAnswered_ConnectionStaysUp()
    {
        // libzmq PINGs every 50 ms, drops the connection when nothing answers within 250 ms, idles 1.5 s between requests.
        using var peer = LibzmqPeer.Start("client", "dealer", _broker.Frontend, "hb", SampleServices.Echo, "ping");

        Assert.That((await peer.WaitReplyAsync()).Frames, Is.EqualTo(new[] { "ping" }));
        Assert.That((await peer.WaitReplyAsync()).Frames, Is.EqualTo(new[] { "ping" }), "the second request, after the idle time");
        peer.Drain();
        Assert.That(peer.Seen, Has.None.StartsWith("EVENT DISCONNECTED"), "libzmq never timed the connection out");
    }
}
