using System.Net.WebSockets;
using ZmqGame.Broker;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.WebSocket.WebSocketFrontendTests;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// Bad input on the WebSocket frontend: what breaks ZWS 2.0 closes that connection only, with a close status saying
/// why, and is counted once (<c>bad_input.ConnectionDropped</c>); a message over <c>MaxMessageSize</c> is handled as on
/// TCP (a ZmqGame request is answered <c>too large</c>, counted as <c>FrontendTooLarge</c>, the connection stays).
/// Another client on the same broker is served throughout.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketBadInputTests
{
    private static IEnumerable<TestCaseData> Violations()
    {
        yield return new TestCaseData("text", new byte[] { 0x00, (byte)'h', (byte)'i' }, WebSocketMessageType.Text, WebSocketCloseStatus.InvalidMessageType).SetName("TextMessage_ClosesOnlyThatConnection_AndIsCounted");
        yield return new TestCaseData("flags", new byte[] { 0x04, (byte)'x' }, WebSocketMessageType.Binary, WebSocketCloseStatus.ProtocolError).SetName("UnknownFlagBits_CloseOnlyThatConnection_AndAreCounted");
        yield return new TestCaseData("empty", Array.Empty<byte>(), WebSocketMessageType.Binary, WebSocketCloseStatus.ProtocolError).SetName("EmptyMessageWithoutFlags_ClosesOnlyThatConnection_AndIsCounted");
        yield return new TestCaseData("more-command", new byte[] { 0x03, 4, (byte)'P', (byte)'I', (byte)'N', (byte)'G' }, WebSocketMessageType.Binary, WebSocketCloseStatus.ProtocolError).SetName("CommandWithMore_ClosesOnlyThatConnection_AndIsCounted");
    }

    [TestCaseSource(nameof(Violations))]
    public async Task Violation_ClosesOnlyThatConnection_AndIsCountedOnce(string what, byte[] message, WebSocketMessageType type, WebSocketCloseStatus expected)
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        await using var good = await ZwsTestClient.ConnectAsync(broker.WebSocket);
        await using var bad = await ZwsTestClient.ConnectAsync(broker.WebSocket);
        await MdpRoundTripAsync(bad, worker, "echo", "before");

        await bad.SendRawAsync(message, type);

        Assert.That(await bad.ClosedAsync(), Is.EqualTo(expected), what);
        await Eventually.True(async () => await DroppedAsync(broker) == 1, "one connection counted as dropped");
        await MdpRoundTripAsync(good, worker, "echo", "still served");
        Assert.That(await DroppedAsync(broker), Is.EqualTo(1));
    }

    [Test]
    public async Task MessageBeforeReady_ClosesTheConnection_AndIsCounted()
    {
        await using var broker = await StartBrokerAsync();
        await using var bad = await ZwsTestClient.ConnectAsync(broker.WebSocket, handshake: false);

        await bad.SendAsync([], B("MDPC01"), B("echo"), B("too soon"));

        Assert.That(await bad.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.ProtocolError));
        await Eventually.True(async () => await DroppedAsync(broker) == 1, "one connection counted as dropped");
    }

    [Test]
    public async Task NoHandshakeWithinTheHandshakeTimeout_ClosesTheConnection_AndIsCounted()
    {
        await using var broker = await StartBrokerAsync(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using var silent = await ZwsTestClient.ConnectAsync(broker.WebSocket, handshake: false);

        Assert.That(await silent.ClosedAsync(), Is.Not.EqualTo(WebSocketCloseStatus.NormalClosure));
        await Eventually.True(async () => await DroppedAsync(broker) == 1, "one connection counted as dropped");
    }

    [Test]
    public async Task UpgradeWithoutAZwsSubprotocol_IsRefused_AndCounted()
    {
        await using var broker = await StartBrokerAsync();
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("chat");

        Assert.ThrowsAsync<WebSocketException>(async () => await socket.ConnectAsync(new Uri(broker.WebSocket), CancellationToken.None));
        await Eventually.True(async () => await DroppedAsync(broker) == 1, "the refused upgrade counted");
    }

    [Test]
    public async Task RequestOverMaxMessageSize_IsAnsweredTooLarge_AndTheConnectionStays()
    {
        await using var broker = await StartBrokerAsync(o => o.MaxMessageSize = 4096);
        using var worker = await broker.RawWorkerAsync("echo");
        await using var client = await ZwsTestClient.ConnectAsync(broker.WebSocket);

        await client.SendAsync([], B("ZGC01"), [ZgClient.Request], B("echo"), RawZg.RequestHeader(5, 1, 0), new byte[100_000]);

        var reply = await client.ReceiveUntilAsync(f => IsZg(f, ZgClient.Reply));
        Assert.That(reply[3][12], Is.EqualTo((byte)Status.TooLarge));
        Assert.That(S(reply[4]), Does.Contain("4096"));
        Assert.That(await broker.Server.InvokeAsync(() => broker.Stats.BadInputCount(BadInput.FrontendTooLarge)), Is.EqualTo(1));
        await MdpRoundTripAsync(client, worker, "echo", "after");
        Assert.That(await DroppedAsync(broker), Is.Zero);
    }

    private static Task<long> DroppedAsync(BrokerFixture broker) =>
        broker.Server.InvokeAsync(() => broker.Stats.BadInputCount(BadInput.ConnectionDropped));
}
