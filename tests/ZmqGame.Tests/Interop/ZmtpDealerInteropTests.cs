using ZmqGame.Tests.Support;
using ZmqGame.Tests.Transport;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Interop;

/// <summary>
/// ZmqGame's own DEALER (<see cref="ZmqGame.Transport.ZmtpDealer"/>, what workers and .NET clients connect with)
/// against a libzmq ROUTER: the handshake in the order ZMTP 3.1 requires, multipart messages and a large frame both
/// ways, libzmq's PING heartbeats, and the ROUTER going away.
/// </summary>
[TestFixture]
[Category(LibzmqPeer.Category)]
[Category(Categories.OwnTransport)]
public sealed class ZmtpDealerInteropTests
{
    [Test]
    public async Task Handshake_MessageSentInTheTurnOfConnect_LibzmqRouterAcceptsAndAnswers()
    {
        var (peer, endpoint) = await LibzmqPeer.BindAsync("router");
        using var _ = peer;
        using var dealer = new DealerOnLoop();

        // Written before the libzmq ROUTER's READY can have arrived: it must wait behind the handshake.
        await dealer.ConnectAsync(endpoint, firstMessage: [B("hello")]);

        var reply = await dealer.ReceiveAsync();
        Assert.That(reply.Select(S), Is.EqualTo(new[] { "hello", "from-libzmq" }));
        Assert.That(await peer.WaitLineAsync("GOT "), Is.EqualTo("GOT [5]"));
        peer.Drain();
        Assert.That(peer.Seen, Has.None.Contains("HANDSHAKE_FAILED"), "libzmq accepted the handshake");
        Assert.That(dealer.ClosedCount, Is.Zero);
    }

    [Test]
    public async Task Multipart_WithA300KbFrame_ArrivesIntactBothWays()
    {
        var (peer, endpoint) = await LibzmqPeer.BindAsync("router");
        using var _ = peer;
        using var dealer = new DealerOnLoop();
        var large = Pattern(300 * 1024, seed: 3);
        await dealer.ConnectAsync(endpoint);

        await dealer.SendAsync(B("first"), [], large, B("last"));

        Assert.That(await peer.WaitLineAsync("GOT "), Is.EqualTo($"GOT [5, 0, {large.Length}, 4]"), "libzmq read the four frames");
        var reply = await dealer.ReceiveAsync();
        Assert.That(reply, Has.Count.EqualTo(5));
        Assert.Multiple(() =>
        {
            Assert.That(S(reply[0]), Is.EqualTo("first"));
            Assert.That(reply[1], Is.Empty);
            Assert.That(reply[2], Is.EqualTo(large), "the 300 KB frame came back intact");
            Assert.That(S(reply[3]), Is.EqualTo("last"));
            Assert.That(S(reply[4]), Is.EqualTo("from-libzmq"));
        });
    }

    [Test]
    public async Task LibzmqRouterWithHeartbeats_PingsAreAnswered_ConnectionStaysUp()
    {
        // libzmq PINGs every 50 ms and drops the connection when nothing answers within 250 ms.
        var (peer, endpoint) = await LibzmqPeer.BindAsync("router", "hb");
        using var _ = peer;
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(endpoint);

        // The peer idles for 1.5 s (30 PINGs) before it answers.
        await dealer.SendAsync(B("idle"));
        await peer.WaitLineAsync("IDLE-DONE");
        var reply = await dealer.ReceiveAsync();

        Assert.That(reply.Select(S), Is.EqualTo(new[] { "idle-done" }));
        await dealer.SendAsync(B("still there"));
        Assert.That((await dealer.ReceiveAsync()).Select(S), Is.EqualTo(new[] { "still there", "from-libzmq" }));
        peer.Drain();
        Assert.That(peer.Seen, Has.None.StartsWith("EVENT DISCONNECTED"), "libzmq never timed the connection out");
        Assert.That(dealer.ClosedCount, Is.Zero);
    }

    [Test]
    public async Task LibzmqRouterGoesAway_OnClosedSaysConnectionClosed()
    {
        var (peer, endpoint) = await LibzmqPeer.BindAsync("router");
        using var _ = peer;
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(endpoint);
        await dealer.SendAsync(B("are you there"));
        Assert.That((await dealer.ReceiveAsync()).Select(S), Is.EqualTo(new[] { "are you there", "from-libzmq" }));

        peer.Kill();

        Assert.That(await dealer.WaitClosedAsync(), Does.StartWith("connection closed"));
        Assert.That(dealer.ClosedCount, Is.EqualTo(1));
        Assert.That(dealer.Errors, Is.Empty);
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
