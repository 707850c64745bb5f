using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// ZMTP 3.1 bytes built by hand from ZeroMQ RFC 23/37, not through the broker's own codec, so the transport is
/// checked against the specification rather than against itself.
/// </summary>
internal static class RawZmtp
{
    public const byte More = 0x01;
    public const byte Long = 0x02;
    public const byte CommandFlag = 0x04;

    /// <summary>
    /// A 64-byte greeting: signature (0xFF, 8 padding bytes, 0x7F), version, mechanism padded to 20 bytes, as-server,
    /// 31 filler bytes. <paramref name="padding"/> is what libzmq puts in bytes 1-8 (its identity length + 1).
    /// </summary>
    public static byte[] Greeting(string mechanism = "NULL", byte major = 3, byte minor = 1, ulong padding = 0)
    {
        var greeting = new byte[64];
        greeting[0] = 0xFF;
        BinaryPrimitives.WriteUInt64BigEndian(greeting.AsSpan(1), padding);
        greeting[9] = 0x7F;
        greeting[10] = major;
        greeting[11] = minor;
        Encoding.ASCII.GetBytes(mechanism).CopyTo(greeting, 12);
        return greeting;
    }

    /// <summary>One frame: flags, size (1 byte, or 8 bytes big-endian with <see cref="Long"/>), body.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> body, bool more = false, bool command = false, bool forceLong = false)
    {
        var flags = (byte)((more ? More : 0) | (command ? CommandFlag : 0));
        if (body.Length <= 255 && !forceLong)
        {
            return [flags, (byte)body.Length, .. body];
        }

        var frame = new byte[9 + body.Length];
        frame[0] = (byte)(flags | Long);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(1), (ulong)body.Length);
        body.CopyTo(frame.AsSpan(9));
        return frame;
    }

    /// <summary>A whole multipart message: every frame but the last has MORE.</summary>
    public static byte[] Message(params byte[][] frames)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < frames.Length; i++)
        {
            bytes.AddRange(Frame(frames[i], more: i < frames.Length - 1));
        }

        return [.. bytes];
    }

    /// <summary>A command body: [name length][name][data].</summary>
    public static byte[] CommandBody(string name, ReadOnlySpan<byte> data) =>
        [(byte)name.Length, .. Encoding.ASCII.GetBytes(name), .. data];

    /// <summary>Metadata properties: each [name length][name][4-byte big-endian value length][value].</summary>
    public static byte[] Properties(params (string Name, byte[] Value)[] properties)
    {
        var bytes = new List<byte>();
        foreach (var (name, value) in properties)
        {
            bytes.Add((byte)name.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(name));
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
            bytes.AddRange(length);
            bytes.AddRange(value);
        }

        return [.. bytes];
    }

    /// <summary>A READY command body with Socket-Type (and Identity when given).</summary>
    public static byte[] ReadyBody(string socketType, byte[]? identity = null) =>
        CommandBody("READY", identity is null
            ? Properties(("Socket-Type", Encoding.ASCII.GetBytes(socketType)))
            : Properties(("Socket-Type", Encoding.ASCII.GetBytes(socketType)), ("Identity", identity)));

    /// <summary>The READY command frame.</summary>
    public static byte[] Ready(string socketType = "DEALER", byte[]? identity = null) =>
        Frame(ReadyBody(socketType, identity), command: true);

    /// <summary>A PING command body: [4]"PING", 2-byte TTL (tenths of a second), context.</summary>
    public static byte[] PingBody(ushort ttl, ReadOnlySpan<byte> context)
    {
        var data = new byte[2 + context.Length];
        BinaryPrimitives.WriteUInt16BigEndian(data, ttl);
        context.CopyTo(data.AsSpan(2));
        return CommandBody("PING", data);
    }

    /// <summary>Greeting and READY in one write, as a DEALER (or <paramref name="socketType"/>) does on connect.</summary>
    public static byte[] Handshake(string socketType = "DEALER", byte[]? identity = null) =>
        [.. Greeting(), .. Ready(socketType, identity)];

    /// <summary>The TCP port of a <c>tcp://host:port</c> endpoint.</summary>
    public static int Port(string endpoint) => int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..]);
}

/// <summary>What a peer reads off the stream: a command (one frame) or a message (its frames).</summary>
internal sealed record ZmtpUnit(bool IsCommand, List<byte[]> Frames)
{
    /// <summary>The command name (commands only).</summary>
    public string CommandName => Encoding.ASCII.GetString(Frames[0], 1, Frames[0][0]);

    /// <summary>The command data after its name (commands only).</summary>
    public byte[] CommandData => Frames[0][(1 + Frames[0][0])..];
}

/// <summary>
/// A ZeroMQ peer written on a plain TCP socket: it sends exactly the bytes a test gives it and parses what the
/// broker sends back. Every wait has a deadline.
/// </summary>
internal sealed class RawZmtpPeer : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _count;

    private RawZmtpPeer(Socket socket) => _socket = socket;

    /// <summary>Connects without sending anything.</summary>
    /// <param name="endpoint">tcp://127.0.0.1:port.</param>
    /// <param name="receiveBufferSize">SO_RCVBUF before connecting (a small one makes a peer that stops reading push back at once).</param>
    public static async Task<RawZmtpPeer> ConnectAsync(string endpoint, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (receiveBufferSize is { } size)
            {
                socket.ReceiveBufferSize = size;
            }

            using var cts = new CancellationTokenSource(Raw.Wait);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, RawZmtp.Port(endpoint)), cts.Token);
            return new RawZmtpPeer(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects, sends greeting and READY, and checks the broker's greeting and READY (a NULL ROUTER).</summary>
    public static async Task<RawZmtpPeer> HandshakeAsync(string endpoint, string socketType = "DEALER", byte[]? identity = null, int? receiveBufferSize = null)
    {
        var peer = await ConnectAsync(endpoint, receiveBufferSize);
        try
        {
            await peer.SendAsync(RawZmtp.Handshake(socketType, identity));
            await peer.ExpectRouterGreetingAsync();
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    public async Task SendAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(Raw.Wait);
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cts.Token);
        }
    }

    /// <summary>Reads the broker's 64-byte greeting and its READY command, asserting ZMTP 3.1, NULL, Socket-Type ROUTER.</summary>
    public async Task ExpectRouterGreetingAsync()
    {
        var greeting = await ReadExactAsync(64, Raw.Wait);
        Assert.Multiple(() =>
        {
            Assert.That(greeting[0], Is.EqualTo(0xFF), "signature start");
            Assert.That(greeting[9], Is.EqualTo(0x7F), "signature end");
            Assert.That(greeting[10], Is.EqualTo(3), "major version");
            Assert.That(Encoding.ASCII.GetString(greeting, 12, 20).TrimEnd('\0'), Is.EqualTo("NULL"), "mechanism");
        });
        var ready = await ReceiveAsync();
        Assert.That(ready.IsCommand, Is.True, "READY is a command");
        Assert.That(ready.CommandName, Is.EqualTo("READY"));
        Assert.That(Encoding.ASCII.GetString(ready.CommandData), Does.Contain("Socket-Type").And.Contain("ROUTER"));
    }

    /// <summary>The next command or message; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<ZmtpUnit> ReceiveAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Raw.Wait);
        var frames = new List<byte[]>();
        while (true)
        {
            var flags = (await ReadExactAsync(1, Left(deadline)))[0];
            long size = (flags & RawZmtp.Long) != 0
                ? (long)BinaryPrimitives.ReadUInt64BigEndian(await ReadExactAsync(8, Left(deadline)))
                : (await ReadExactAsync(1, Left(deadline)))[0];
            frames.Add(await ReadExactAsync(checked((int)size), Left(deadline)));
            if ((flags & RawZmtp.CommandFlag) != 0)
            {
                Assert.That(frames, Has.Count.EqualTo(1), "a command inside a multipart message");
                return new ZmtpUnit(true, frames);
            }

            if ((flags & RawZmtp.More) == 0)
            {
                return new ZmtpUnit(false, frames);
            }
        }
    }

    /// <summary>The next message, skipping commands.</summary>
    public async Task<List<byte[]>> ReceiveMessageAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var unit = await ReceiveAsync(timeout);
            if (!unit.IsCommand)
            {
                return unit.Frames;
            }
        }
    }

    /// <summary>
    /// Reads (and drops) everything until the broker closes the connection. True if it did (end of stream or reset)
    /// within <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitClosedAsync(TimeSpan? timeout = null) => await ReadToCloseAsync(timeout) is not null;

    /// <summary>
    /// Everything the broker sends from now until it closes the connection (end of stream or reset), bytes already
    /// buffered first; null if it did not close within <paramref name="timeout"/>.
    /// </summary>
    public async Task<byte[]?> ReadToCloseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Raw.Wait);
        var received = new MemoryStream();
        received.Write(_buffer, _start, _count);
        _start = 0;
        _count = 0;

        try
        {
            int n;
            while ((n = await _socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cts.Token)) > 0)
            {
                received.Write(_buffer, 0, n);
            }

            return received.ToArray();
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return received.ToArray();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose() => _socket.Dispose();

    private static TimeSpan Left(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }

    private async Task<byte[]> ReadExactAsync(int n, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (_count < n)
        {
            if (_start + _count == _buffer.Length)
            {
                var bigger = new byte[Math.Max(_buffer.Length, n * 2)];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, _count);
                _buffer = bigger;
                _start = 0;
            }

            int read;
            try
            {
                read = await _socket.ReceiveAsync(_buffer.AsMemory(_start + _count), SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no {n} bytes from the broker within {timeout.TotalSeconds:0.###} s (have {_count})");
                throw;
            }

            if (read == 0)
            {
                Assert.Fail($"the broker closed the connection (wanted {n} bytes, have {_count})");
            }

            _count += read;
        }

        var bytes = _buffer.AsSpan(_start, n).ToArray();
        _start += n;
        _count -= n;
        if (_count == 0)
        {
            _start = 0;
        }

        return bytes;
    }
}
