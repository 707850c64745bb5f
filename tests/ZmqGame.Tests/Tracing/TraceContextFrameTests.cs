using ZmqGame.Protocol;
using ZmqGame.Tests.Protocol;
using ZmqGame.Worker.Internal;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Tracing;

/// <summary>The trace context frame's codec, and where a worker finds it among a request's body frames.</summary>
[TestFixture]
public sealed class TraceContextFrameTests
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Test]
    public void Create_ThenTryRead_GivesBothBack()
    {
        var frame = TraceContextFrame.Create(TraceParent, "a=1,b=2")!;

        Assert.That(frame[..5], Is.EqualTo(new byte[] { (byte)'Z', (byte)'G', 1, 6, 55 }));
        Assert.That(TraceContextFrame.TryRead(frame, out var parent, out var state), Is.True);
        Assert.That(parent, Is.EqualTo(TraceParent));
        Assert.That(state, Is.EqualTo("a=1,b=2"));
    }

    [Test]
    public void Create_NoTraceState_EndsAfterTheTraceparent()
    {
        var frame = TraceContextFrame.Create(TraceParent, null)!;

        Assert.That(frame, Has.Length.EqualTo(5 + 55));
        Assert.That(TraceContextFrame.TryRead(frame, out _, out var state), Is.True);
        Assert.That(state, Is.Null);
    }

    [Test]
    public void Create_TraceStateOverTheLimit_IsLeftOut()
    {
        var frame = TraceContextFrame.Create(TraceParent, "k=" + new string('v', TraceContextFrame.MaxTraceStateBytes))!;

        Assert.That(frame, Has.Length.EqualTo(5 + 55));
    }

    [Test]
    public void Create_EmptyOrOverlongTraceparent_IsNull()
    {
        Assert.That(TraceContextFrame.Create(string.Empty, null), Is.Null);
        Assert.That(TraceContextFrame.Create(new string('0', 256), null), Is.Null);
    }

    [TestCase(new byte[] { (byte)'Z', (byte)'G', 1, 6 }, TestName = "TryRead_NoLengthByte_Fails")]
    [TestCase(new byte[] { (byte)'Z', (byte)'G', 1, 6, 0, (byte)'x' }, TestName = "TryRead_ZeroLength_Fails")]
    [TestCase(new byte[] { (byte)'Z', (byte)'G', 1, 6, 9, (byte)'0', (byte)'0' }, TestName = "TryRead_LengthPastTheEnd_Fails")]
    [TestCase(new byte[] { (byte)'Z', (byte)'G', 1, 6, 2, (byte)'0', 0xC3 }, TestName = "TryRead_NotAscii_Fails")]
    [TestCase(new byte[] { (byte)'Z', (byte)'G', 1, 3, 2, (byte)'0', (byte)'0' }, TestName = "TryRead_AnotherKind_Fails")]
    public void TryRead_Malformed_Fails(byte[] frame)
    {
        Assert.That(TraceContextFrame.TryRead(frame, out _, out _), Is.False);
    }

    [Test]
    public void WriteRequest_WithTraceContext_PutsItRightAfterTheRequestHeader()
    {
        var writer = new RecordingWriter();
        var trace = TraceContextFrame.Create(TraceParent, null)!;
        var payload = B("p");

        ZgClient.WriteRequest(writer, 9, B("game"), new RequestHeader(11, 7, 500), payload, trace);

        writer.AssertWellFormed();
        Assert.That(ZgClient.TryReadRequest(writer.Read, out var request), Is.True);
        Assert.That(request.BodyCount, Is.EqualTo(3), "request header, trace context, payload: the broker forwards all three");
        Assert.That(writer.Frames[request.BodyStart + 1], Is.SameAs(trace));
        Assert.That(writer.Frames[request.BodyStart + 2], Is.SameAs(payload));
    }

    [Test]
    public void WriteRequest_WithoutTraceContext_IsUnchanged()
    {
        var writer = new RecordingWriter();

        ZgClient.WriteRequest(writer, 9, B("game"), new RequestHeader(11, 7, 500), B("p"));

        Assert.That(ZgClient.TryReadRequest(writer.Read, out var request), Is.True);
        Assert.That(request.BodyCount, Is.EqualTo(2), "request header and payload only");
    }

    [Test]
    public void RequestBody_SessionThenTraceContext_PayloadAfterBoth()
    {
        var trace = TraceContextFrame.Create(TraceParent, null)!;
        byte[][] body = [Header(), new SessionContext(7, 0, "ann").ToArray(), trace, B("payload")];

        Assert.That(RequestBody.TryReadSession(body, out var session, out var payloadStart), Is.True);
        Assert.That(RequestBody.SkipExtensions(body, ref payloadStart), Is.SameAs(trace));
        Assert.That(session.Id, Is.EqualTo(7));
        Assert.That(payloadStart, Is.EqualTo(3));
    }

    [Test]
    public void RequestBody_TraceContextWithoutSession_IsNotTakenForASessionFrame()
    {
        // A stock MDP broker forwards the client's body as it is: no session frame.
        var trace = TraceContextFrame.Create(TraceParent, null)!;
        byte[][] body = [Header(), trace, B("payload")];

        Assert.That(RequestBody.TryReadSession(body, out var session, out var payloadStart), Is.True);
        Assert.That(RequestBody.SkipExtensions(body, ref payloadStart), Is.SameAs(trace));
        Assert.That(session.Id, Is.Zero);
        Assert.That(payloadStart, Is.EqualTo(2));
    }

    [Test]
    public void RequestBody_UnknownExtensionFrame_IsPassedOver()
    {
        byte[][] body = [Header(), new SessionContext(7, 0, null).ToArray(), [(byte)'Z', (byte)'G', 1, 99, 1, 2], B("payload")];

        Assert.That(RequestBody.TryReadSession(body, out _, out var payloadStart), Is.True);
        Assert.That(RequestBody.SkipExtensions(body, ref payloadStart), Is.Null);
        Assert.That(payloadStart, Is.EqualTo(3));
    }

    [Test]
    public void RequestBody_LastFrame_IsAlwaysThePayload()
    {
        var trace = TraceContextFrame.Create(TraceParent, null)!;
        byte[][] body = [Header(), new SessionContext(7, 0, null).ToArray(), trace];

        Assert.That(RequestBody.TryReadSession(body, out _, out var payloadStart), Is.True);
        Assert.That(RequestBody.SkipExtensions(body, ref payloadStart), Is.Null);
        Assert.That(payloadStart, Is.EqualTo(2));
    }

    private static byte[] Header() => new RequestHeader(1, 1, 0).ToArray();
}
