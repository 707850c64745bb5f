using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// A WebSocket client written in the test on a raw socket, so every byte on the wire is under the test's control: the
/// upgrade request as given (in pieces if asked), frames built here from RFC 6455 (masked or not, fragmented, any
/// opcode, any length encoding), and the server's frames read back as they are (opcode, FIN, payload).
/// </summary>
internal sealed class RawWebSocketPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];

    private RawWebSocketPeer(Socket socket) => _socket = socket;

    /// <summary>A connected socket to <paramref name="url"/>'s host and port; nothing sent yet.</summary>
    public static async Task<RawWebSocketPeer> ConnectAsync(string url)
    {
        var uri = new Uri(url);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(Raw.Wait);
        await socket.ConnectAsync(uri.Host, uri.Port, timeout.Token);
        return new RawWebSocketPeer(socket);
    }

    /// <summary>Connects and upgrades with <paramref name="protocol"/>; asserts 101.</summary>
    public static async Task<RawWebSocketPeer> UpgradeAsync(string url, string protocol = "ZWS2.0/NULL")
    {
        var peer = await ConnectAsync(url);
        await peer.SendAsync(Encoding.ASCII.GetBytes(Request(new Uri(url).AbsolutePath, protocol)));
        var head = await peer.ReadHeadAsync();
        Assert.That(head, Does.StartWith("HTTP/1.1 101 "), head);
        return peer;
    }

    /// <summary>The key every request here sends, and the accept the server must answer with.</summary>
    public const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    /// <summary>RFC 6455's example: the accept for <see cref="Key"/>.</summary>
    public const string Accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// <summary>An upgrade request for <paramref name="path"/>, with <paramref name="extra"/> header lines (each ending CRLF) and the given headers left out.</summary>
    public static string Request(string path, string? protocol = "ZWS2.0/NULL", string extra = "", string method = "GET", bool upgrade = true) =>
        $"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
        + (upgrade ? "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" : string.Empty)
        + $"Sec-WebSocket-Key: {Key}\r\nSec-WebSocket-Version: 13\r\n"
        + (protocol is null ? string.Empty : $"Sec-WebSocket-Protocol: {protocol}\r\n")
        + extra + "\r\n";

    public async Task SendAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(Raw.Wait);
        await _socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
    }

    /// <summary>Sends <paramref name="bytes"/> one byte per send, waiting for each to leave.</summary>
    public async Task SendByteByByteAsync(byte[] bytes)
    {
        foreach (var b in bytes)
        {
            await SendAsync([b]);
        }
    }

    /// <summary>The response head, up to its empty line; what follows stays for <see cref="ReadFrameAsync"/>.</summary>
    public async Task<string> ReadHeadAsync()
    {
        while (true)
        {
            var text = Encoding.ASCII.GetString([.. _pending]);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.RemoveRange(0, end + 4);
                return text[..(end + 4)];
            }

            if (!await FillAsync())
            {
                return text;
            }
        }
    }

    /// <summary>Whatever the server sends until it closes the connection (as text).</summary>
    public async Task<string> ReadToEndAsync()
    {
        while (await FillAsync())
        {
        }

        return Encoding.UTF8.GetString([.. _pending]);
    }

    /// <summary>The next frame from the server; null when it closed the connection. Server frames are never masked.</summary>
    public async Task<(bool Fin, int Opcode, byte[] Payload)?> ReadFrameAsync()
    {
        while (true)
        {
            if (_pending.Count >= 2)
            {
                Assert.That(_pending[1] & 0x80, Is.Zero, "a server frame is not masked");
                var length7 = _pending[1] & 0x7F;
                var headerSize = length7 == 126 ? 4 : length7 == 127 ? 10 : 2;
                if (_pending.Count >= headerSize)
                {
                    var bytes = _pending.ToArray();
                    var length = length7 == 126 ? BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2))
                        : length7 == 127 ? (long)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(2)) : length7;
                    if (bytes.Length >= headerSize + length)
                    {
                        _pending.RemoveRange(0, headerSize + (int)length);
                        return ((bytes[0] & 0x80) != 0, bytes[0] & 0x0F, bytes.AsSpan(headerSize, (int)length).ToArray());
                    }
                }
            }

            if (!await FillAsync())
            {
                return null;
            }
        }
    }

    /// <summary>The next binary message's payload (ping, pong frames skipped); asserts it is one whole binary frame.</summary>
    public async Task<byte[]> ReadBinaryAsync()
    {
        while (true)
        {
            var frame = await ReadFrameAsync() ?? throw new AssertionException("closed while a binary message was awaited");
            if (frame.Opcode is 0x9 or 0xA)
            {
                continue;
            }

            Assert.That(frame.Opcode, Is.EqualTo(2), "a binary frame");
            Assert.That(frame.Fin, Is.True, "the server never fragments");
            return frame.Payload;
        }
    }

    /// <summary>Reads frames until a close frame: its status (null without one, -1 if the connection ended first).</summary>
    public async Task<int?> ReadCloseAsync()
    {
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (frame is null)
            {
                return -1;
            }

            if (frame.Value.Opcode == 0x8)
            {
                return frame.Value.Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Value.Payload) : null;
            }
        }
    }

    /// <summary>True once the server has closed the connection (reads to its end).</summary>
    public async Task<bool> EndedAsync()
    {
        while (await FillAsync())
        {
            _pending.Clear();
        }

        return true;
    }

    /// <summary>
    /// A client frame: FIN as given, <paramref name="opcode"/>, masked with a fixed non-zero key unless
    /// <paramref name="masked"/> is false, the length in its shortest form unless <paramref name="lengthBytes"/> forces
    /// 2 (16-bit) or 8 (64-bit).
    /// </summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = true, int lengthBytes = 0, int rsv = 0)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        var maskBit = masked ? 0x80 : 0;
        var form = lengthBytes != 0 ? lengthBytes : payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        if (form == 0)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else if (form == 2)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        byte[] mask = [0x37, 0xFA, 0x21, 0x3D];
        var body = payload.ToArray();
        if (masked)
        {
            header.AddRange(mask);
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= mask[i & 3];
            }
        }

        return [.. header, .. body];
    }

    /// <summary>One ZWS 2.0 frame (flags, body) as one binary WebSocket message.</summary>
    public static byte[] Zws(byte flags, ReadOnlySpan<byte> body) => Frame(2, [flags, .. body]);

    /// <summary>A whole ZeroMQ message as ZWS 2.0 frames.</summary>
    public static byte[] ZwsMessage(params byte[][] frames) =>
        [.. frames.SelectMany((f, i) => Zws(i < frames.Length - 1 ? (byte)1 : (byte)0, f))];

    /// <summary>The client's READY (Socket-Type DEALER) as one ZWS command frame.</summary>
    public static byte[] Ready() => Frame(2, ZwsTestClient.Ready());

    /// <summary>The accept for a key (RFC 6455 section 4.2.2).</summary>
    public static string AcceptFor(string key)
    {
#pragma warning disable CA5350 // RFC 6455 defines Sec-WebSocket-Accept with SHA-1.
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
    }

    public void Dispose() => _socket.Dispose();

    private async Task<bool> FillAsync()
    {
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(Raw.Wait);
        int n;
        try
        {
            n = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        }
        catch (SocketException)
        {
            return false;
        }

        if (n == 0)
        {
            return false;
        }

        _pending.AddRange(buffer.AsSpan(0, n));
        return true;
    }
}
