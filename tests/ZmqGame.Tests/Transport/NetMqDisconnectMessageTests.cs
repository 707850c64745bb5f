using NetMQ;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;
using static ZmqGame.Tests.Transport.RawZmtp;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// A closing NetMQ ROUTER with a disconnect message (the broker's NetMQ endpoints): what its peers see on the wire.
/// </summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class NetMqDisconnectMessageTests
{
    [Test]
    public async Task RouterClosing_AfterForget_PeerSeesTheCloseAndNoMessage()
    {
        var (bytes, cleared) = await CloseWithAPeerAsync(forget: true);

        Assert.That(NetMqDisconnectMessage.Supported, Is.True, "the pinned NetMQ has the internals the workaround clears");
        Assert.That(cleared, Is.EqualTo(1), "one pipe: the peer's");
        Assert.That(bytes, Is.Empty, "nothing but the close reached the peer");
    }

    /// <summary>Why the workaround exists: NetMQ 4.0.4.5 sends its disconnect message to the peer. If this starts failing, NetMQ fixed it.</summary>
    [Test]
    public async Task RouterClosing_WithoutForget_NetMqSendsItsDisconnectMessageToThePeer()
    {
        var (bytes, _) = await CloseWithAPeerAsync(forget: false);

        Assert.That(bytes, Is.EqualTo(Frame("\0ZG-PEER-GONE"u8)), "one frame: the marker meant for the router's own reader");
    }

    private static async Task<(byte[] Bytes, int Cleared)> CloseWithAPeerAsync(bool forget)
    {
        var router = NetMqRouter.CreateSocket();
        try
        {
            var port = router.BindRandomPort("tcp://127.0.0.1");
            using var peer = await RawZmtpPeer.HandshakeAsync($"tcp://127.0.0.1:{port}");
            await peer.SendAsync(Message("hello"u8.ToArray()));
            var received = new NetMQMessage();
            Assert.That(router.TryReceiveMultipartMessage(Raw.Wait, ref received), Is.True, "the router got the peer's message: the pipe is attached");

            var cleared = forget ? NetMqDisconnectMessage.Forget(router) : 0;
            router.Dispose();
            var bytes = await peer.ReadToCloseAsync();
            Assert.That(bytes, Is.Not.Null, "the peer saw the connection close");
            return (bytes!, cleared);
        }
        finally
        {
            router.Dispose();
        }
    }
}
