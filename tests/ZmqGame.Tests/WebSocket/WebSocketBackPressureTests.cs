using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.WebSocket.WebSocketFrontendTests;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// A WebSocket peer that does not read (a slow browser): what waits for it is bounded by <c>SendHighWatermark</c>, as
/// for a TCP peer; past it, its messages are dropped and counted (<c>unroutable_client</c>), every one accounted for.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketBackPressureTests
{
    [Test]
    public async Task PeerThatDoesNotRead_PastTheHighWatermark_LosesRepliesCounted_AndGetsEveryOtherOne()
    {
        const int requests = 100;
        await using var broker = await StartBrokerAsync(o => o.SendHighWatermark = 4);
        using var worker = await broker.RawWorkerAsync("echo");
        await using var slow = await ZwsTestClient.ConnectAsync(broker.WebSocket);
        await using var other = await ZwsTestClient.ConnectAsync(broker.WebSocket);
        var large = new byte[256 * 1024];

        // 100 replies of 256 KiB (25 MiB) to a peer that reads nothing: far more than the sockets' buffers hold.
        for (var i = 0; i < requests; i++)
        {
            await slow.SendAsync([], B("MDPC01"), B("echo"), B(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        for (var i = 0; i < requests; i++)
        {
            var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
            Send(worker, [], B("MDPW01"), [0x03], request[3], [], large);
        }

        await Support.Eventually.True(async () => await broker.Server.InvokeAsync(() => broker.Stats.Replies) == requests, "every reply reached the broker");
        var dropped = await broker.Server.InvokeAsync(() => broker.Stats.UnroutableClient);
        Assert.That(dropped, Is.GreaterThan(0).And.LessThan(requests), "some replies dropped, the ones that fitted kept");
        await MdpRoundTripAsync(other, worker, "echo", "not held up");

        // The slow peer now reads: exactly the replies that were not dropped, in order, then the next one.
        var received = 0;
        for (; received < requests - dropped; received++)
        {
            var reply = await slow.ReceiveAsync();
            Assert.That(reply[3], Has.Length.EqualTo(large.Length));
        }

        await MdpRoundTripAsync(slow, worker, "echo", "after");
        Assert.That(received + dropped, Is.EqualTo(requests));
    }
}
