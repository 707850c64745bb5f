using System.Buffers.Binary;
using System.Text;
using ZmqGame.Transport;
using static ZmqGame.Tests.Transport.RawZmtp;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// The ZMTP 3.1 codec (<see cref="Zmtp"/>) as pure functions, against bytes written from RFC 23/37 by hand.
/// </summary>
[TestFixture]
public sealed class ZmtpCodecTests
{
    [Test]
    public void CheckGreeting_LibzmqGreeting_IsAccepted()
    {
        // libzmq puts its identity length + 1 in the signature padding (for ZMTP 1.0 peers): it must not matter.
        Assert.Multiple(() =>
        {
            Assert.That(Zmtp.CheckGreeting(Greeting(padding: 1)), Is.Null);
            Assert.That(Zmtp.CheckGreeting(Greeting(minor: 0)), Is.Null, "ZMTP 3.0 (NetMQ 4)");
            Assert.That(Zmtp.CheckGreeting(Greeting().AsSpan(0, Zmtp.SignatureSize)), Is.Null, "signature and major version are enough to go on");
        });
    }

    [Test]
    public void CheckGreeting_BadSignature_IsRejected()
    {
        var noLead = Greeting();
        noLead[0] = 0x00;
        var noTrail = Greeting();
        noTrail[9] = 0x7E;
        var http = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: example\r\n\r\n".PadRight(64));

        Assert.Multiple(() =>
        {
            Assert.That(Zmtp.CheckGreeting(noLead), Does.Contain("signature"));
            Assert.That(Zmtp.CheckGreeting(noTrail), Does.Contain("signature"));
            Assert.That(Zmtp.CheckGreeting(http), Does.Contain("signature"));
        });
    }

    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void CheckGreeting_OlderMajorVersion_IsRejected(byte major) =>
        Assert.That(Zmtp.CheckGreeting(Greeting(major: major)), Does.Contain($"version {major}"));

    [TestCase("CURVE")]
    [TestCase("PLAIN")]
    [TestCase("NULLX")]
    public void CheckGreeting_MechanismOtherThanNull_IsRejected(string mechanism) =>
        Assert.That(Zmtp.CheckGreeting(Greeting(mechanism)), Does.Contain(mechanism));

    [TestCase(0, false)]
    [TestCase(1, true)]
    [TestCase(255, false)]
    [TestCase(255, true)]
    public void WriteHeader_ShortFrame_IsTwoBytesAndReadsBack(int size, bool more)
    {
        var header = new byte[Zmtp.MaxHeaderSize];

        var written = Zmtp.WriteHeader(header, size, more);

        Assert.That(written, Is.EqualTo(2));
        Assert.That(header[0], Is.EqualTo(more ? 0x01 : 0x00));
        Assert.That(header[1], Is.EqualTo(size));
        Assert.That(Zmtp.TryReadHeader(header.AsSpan(0, written), out var flags, out var read, out var headerSize), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(flags, Is.EqualTo(header[0]));
            Assert.That(read, Is.EqualTo(size));
            Assert.That(headerSize, Is.EqualTo(2));
        });
    }

    [TestCase(256, false)]
    [TestCase(300_000, true)]
    [TestCase(int.MaxValue, false)]
    public void WriteHeader_LongFrame_IsNineBytesBigEndianAndReadsBack(int size, bool more)
    {
        var header = new byte[Zmtp.MaxHeaderSize];

        var written = Zmtp.WriteHeader(header, size, more);

        Assert.That(written, Is.EqualTo(9));
        Assert.That(header[0], Is.EqualTo(0x02 | (more ? 0x01 : 0x00)));
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(1)), Is.EqualTo((ulong)size));
        Assert.That(Zmtp.TryReadHeader(header, out var flags, out var read, out var headerSize), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(flags, Is.EqualTo(header[0]));
            Assert.That(read, Is.EqualTo(size));
            Assert.That(headerSize, Is.EqualTo(9));
        });
    }

    [Test]
    public void WriteHeader_Command_SetsCommandFlag()
    {
        var header = new byte[Zmtp.MaxHeaderSize];

        Zmtp.WriteHeader(header, 10, more: false, command: true);

        Assert.That(header[0], Is.EqualTo(0x04));
    }

    [Test]
    public void TryReadHeader_FrameWrittenByHand_ReadsFlagsAndSize()
    {
        var frame = Frame(new byte[1000], more: true);

        Assert.That(Zmtp.TryReadHeader(frame, out var flags, out var size, out var headerSize), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(flags & Zmtp.FlagMore, Is.Not.Zero);
            Assert.That(size, Is.EqualTo(1000));
            Assert.That(headerSize, Is.EqualTo(9));
        });
    }

    [Test]
    public void TryReadHeader_IncompleteHeader_ReportsNotYet()
    {
        var shortFrame = Frame([1, 2, 3]);
        var longFrame = Frame(new byte[400]);

        Assert.Multiple(() =>
        {
            Assert.That(Zmtp.TryReadHeader([], out _, out _, out _), Is.False, "nothing");
            Assert.That(Zmtp.TryReadHeader(shortFrame.AsSpan(0, 1), out _, out _, out _), Is.False, "flags only");
            for (var n = 1; n < 9; n++)
            {
                Assert.That(Zmtp.TryReadHeader(longFrame.AsSpan(0, n), out _, out _, out _), Is.False, $"{n} bytes of a long header");
            }

            // The body need not be there: the header alone is enough.
            Assert.That(Zmtp.TryReadHeader(longFrame.AsSpan(0, 9), out _, out var size, out _), Is.True);
            Assert.That(size, Is.EqualTo(400));
        });
    }

    [TestCase("DEALER")]
    [TestCase("REQ")]
    [TestCase("ROUTER")]
    public void ReadReady_SocketTypeThatTalksToRouter_IsAccepted(string socketType)
    {
        Assert.That(Zmtp.ReadReady(ReadyBody(socketType), out var identity), Is.Null);
        Assert.That(identity.IsEmpty, Is.True, "no Identity property: the router picks one");
    }

    [TestCase("PUB")]
    [TestCase("SUB")]
    [TestCase("PUSH")]
    [TestCase("PAIR")]
    public void ReadReady_SocketTypeThatCannotTalkToRouter_IsRejected(string socketType) =>
        Assert.That(Zmtp.ReadReady(ReadyBody(socketType), out _), Does.Contain(socketType));

    [Test]
    public void ReadReady_WithoutSocketType_IsRejected()
    {
        var onlyIdentity = CommandBody("READY", Properties(("Identity", [1, 2, 3])));

        Assert.Multiple(() =>
        {
            Assert.That(Zmtp.ReadReady(CommandBody("READY", []), out _), Does.Contain("Socket-Type"));
            Assert.That(Zmtp.ReadReady(onlyIdentity, out _), Does.Contain("Socket-Type"));
        });
    }

    [Test]
    public void ReadReady_MalformedProperties_AreRejected()
    {
        var good = ReadyBody("DEALER");
        // Value length larger than what follows.
        var valueTooLong = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(valueTooLong.AsSpan(1 + 5 + 1 + 11), 1000);
        // Value length with the top bit set (would be negative as an int).
        var valueHuge = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(valueHuge.AsSpan(1 + 5 + 1 + 11), 0x8000_0006);
        // Name length running past the end.
        byte[] nameTooLong = [.. CommandBody("READY", []), 40, .. "Socket"u8];
        // A property cut inside its value length.
        var cut = good[..(1 + 5 + 1 + 11 + 2)];

        Assert.Multiple(() =>
        {
            Assert.That(Zmtp.ReadReady(valueTooLong, out _), Does.Contain("malformed"));
            Assert.That(Zmtp.ReadReady(valueHuge, out _), Does.Contain("malformed"));
            Assert.That(Zmtp.ReadReady(nameTooLong, out _), Does.Contain("malformed"));
            Assert.That(Zmtp.ReadReady(cut, out _), Does.Contain("malformed"));
        });
    }

    [Test]
    public void ReadReady_IdentityProperty_IsReturned()
    {
        var body = CommandBody("READY", Properties(("Identity", "worker-7"u8.ToArray()), ("Socket-Type", "DEALER"u8.ToArray()), ("X-Other", [9])));

        Assert.That(Zmtp.ReadReady(body, out var identity), Is.Null);
        Assert.That(Encoding.ASCII.GetString(identity), Is.EqualTo("worker-7"));
    }

    [Test]
    public void Classify_KnownCommands_AreTold()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Zmtp.Classify(ReadyBody("DEALER")), Is.EqualTo(Zmtp.CommandKind.Ready));
            Assert.That(Zmtp.Classify(PingBody(0, [])), Is.EqualTo(Zmtp.CommandKind.Ping));
            Assert.That(Zmtp.Classify(CommandBody("ERROR", [0])), Is.EqualTo(Zmtp.CommandKind.Error));
            Assert.That(Zmtp.Classify(CommandBody("SUBSCRIBE", [])), Is.EqualTo(Zmtp.CommandKind.Other));
            Assert.That(Zmtp.Classify([]), Is.EqualTo(Zmtp.CommandKind.Other), "empty body");
            Assert.That(Zmtp.Classify([5, (byte)'R', (byte)'E']), Is.EqualTo(Zmtp.CommandKind.Other), "name cut short");
        });
    }

    [Test]
    public void WritePong_EchoesPingContext()
    {
        var destination = new byte[32];

        var n = Zmtp.WritePong(PingBody(100, "ctx-1234"u8), destination);

        Assert.That(destination[..n], Is.EqualTo(Frame(CommandBody("PONG", "ctx-1234"u8), command: true)));
    }

    [Test]
    public void WritePong_PingWithoutContext_IsBarePong()
    {
        var destination = new byte[32];

        var n = Zmtp.WritePong(PingBody(0, []), destination);

        Assert.That(destination[..n], Is.EqualTo(new byte[] { 0x04, 5, 4, (byte)'P', (byte)'O', (byte)'N', (byte)'G' }));
    }

    [Test]
    public void Hello_IsNullGreetingVersion31ThenReadyAsRouter()
    {
        var hello = Zmtp.Hello;

        Assert.That(hello, Has.Length.GreaterThan(Zmtp.GreetingSize));
        Assert.Multiple(() =>
        {
            Assert.That(hello[..10], Is.EqualTo(new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F }), "signature");
            Assert.That(hello[10..12], Is.EqualTo(new byte[] { 3, 1 }), "version 3.1");
            Assert.That(hello[12..32], Is.EqualTo(Greeting()[12..32]), "NULL padded to 20 bytes");
            Assert.That(hello[32], Is.Zero, "as-server 0");
            Assert.That(hello[33..64], Is.All.EqualTo(0), "filler");
            Assert.That(Zmtp.CheckGreeting(hello.AsSpan(0, Zmtp.GreetingSize)), Is.Null, "the router's greeting passes its own check");
        });

        var ready = hello[Zmtp.GreetingSize..];
        Assert.That(ready, Is.EqualTo(Frame(ReadyBody("ROUTER"), command: true)));
    }
}
