using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// A minimal ZWS 2.0 peer written in the test from RFC 45 (and libzmq's ws_engine) on .NET's WebSocket over a hand-written upgrade: it offers a
/// subprotocol, does the handshake (a READY command with Socket-Type DEALER, or a routing-id message), and sends and
/// receives ZeroMQ messages as one binary WebSocket message per frame, the first byte being flags (0x01 MORE, 0x02 COMMAND).
/// </summary>
internal sealed class ZwsTestClient : IAsyncDisposable
{
    private readonly System.Net.WebSockets.WebSocket _socket;
    private readonly TcpClient _tcp;

    private ZwsTestClient(System.Net.WebSockets.WebSocket socket, TcpClient tcp, string protocol)
    {
        _socket = socket;
        _tcp = tcp;
        SubProtocol = protocol;
    }

    public System.Net.WebSockets.WebSocket Socket => _socket;

    /// <summary>The subprotocol the broker answered with.</summary>
    public string SubProtocol { get; }

    /// <summary>The first message the broker sent (its READY command, or its routing id), flags byte included.</summary>
    public byte[] Greeting { get; private set; } = [];

    /// <summary>
    /// Connects offering <paramref name="protocol"/> (libzmq's form, e.g. "ZWS2.0/NULL,ZWS2.0": the upgrade is written by
    /// hand, since ClientWebSocket refuses a '/' in a subprotocol); with <paramref name="handshake"/>, completes the ZWS
    /// handshake too. A wss:// URL is checked against <paramref name="trusted"/> (a self-signed certificate).
    /// </summary>
    public static async Task<ZwsTestClient> ConnectAsync(string url, string protocol = "ZWS2.0/NULL", byte[]? identity = null, bool handshake = true,
        X509Certificate2? trusted = null)
    {
        var uri = new Uri(url);
        using var timeout = new CancellationTokenSource(Raw.Wait);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port, timeout.Token);
        Stream stream = tcp.GetStream();
        if (uri.Scheme == "wss")
        {
            var tls = new SslStream(stream, leaveInnerStreamOpen: false, (_, certificate, _, _) => trusted is not null && certificate?.GetCertHashString() == trusted.GetCertHashString());
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.Host }, timeout.Token);
            stream = tls;
        }

        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Host}:{uri.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: {protocol}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        var response = await ReadHeadAsync(stream, timeout.Token);
        Assert.That(response, Does.StartWith("HTTP/1.1 101"), response);
#pragma warning disable CA5350 // RFC 6455 defines Sec-WebSocket-Accept with SHA-1; nothing here relies on its strength.
        var expectedAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        Assert.That(Header(response, "Sec-WebSocket-Accept"), Is.EqualTo(expectedAccept));
        var agreed = Header(response, "Sec-WebSocket-Protocol") ?? string.Empty;
        var socket = System.Net.WebSockets.WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false });
        var client = new ZwsTestClient(socket, tcp, agreed);
        if (handshake)
        {
            await client.SendRawAsync(agreed == "ZWS2.0/NULL" ? Ready(identity) : [0, .. identity ?? []]);
            client.Greeting = await client.ReceiveRawAsync() ?? throw new AssertionException("closed before the broker's greeting");
        }

        return client;
    }

    /// <summary>The HTTP response head, up to its empty line (read a byte at a time: the WebSocket's first bytes may follow it).</summary>
    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new AssertionException("the broker closed the connection during the upgrade: " + Encoding.ASCII.GetString([.. head]));
            }

            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. head]);
    }

    private static string? Header(string head, string name) =>
        head.Split("\r\n").Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(l => l[(name.Length + 1)..].Trim()).FirstOrDefault();

    /// <summary>A READY command message (flags 0x02): [5]"READY" [11]"Socket-Type" [len]"DEALER" and, if given, [8]"Identity".</summary>
    public static byte[] Ready(byte[]? identity = null, string socketType = "DEALER")
    {
        var body = new List<byte> { 0x02, 5 };
        body.AddRange("READY"u8.ToArray());
        Property(body, "Socket-Type", Encoding.ASCII.GetBytes(socketType));
        if (identity is not null)
        {
            Property(body, "Identity", identity);
        }

        return [.. body];
    }

    /// <summary>Sends one ZeroMQ message, a WebSocket message per frame.</summary>
    public async Task SendAsync(params byte[][] frames)
    {
        for (var i = 0; i < frames.Length; i++)
        {
            await SendRawAsync([i < frames.Length - 1 ? (byte)0x01 : (byte)0x00, .. frames[i]]);
        }
    }

    /// <summary>Sends one WebSocket message as given.</summary>
    public async Task SendRawAsync(byte[] message, WebSocketMessageType type = WebSocketMessageType.Binary)
    {
        using var timeout = new CancellationTokenSource(Raw.Wait);
        await _socket.SendAsync(message, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>The next whole ZeroMQ message (commands skipped); fails the test after <paramref name="timeout"/>.</summary>
    public async Task<List<byte[]>> ReceiveAsync(TimeSpan? timeout = null)
    {
        var frames = new List<byte[]>();
        while (true)
        {
            var raw = await ReceiveRawAsync(timeout) ?? throw new AssertionException("the broker closed the WebSocket");
            Assert.That(raw, Is.Not.Empty, "a ZWS frame has a flags byte");
            if ((raw[0] & 0x02) != 0)
            {
                continue;
            }

            frames.Add(raw[1..]);
            if ((raw[0] & 0x01) == 0)
            {
                return frames;
            }
        }
    }

    /// <summary>Receives until a message matches, skipping others (heartbeats, WELCOME refreshes).</summary>
    public async Task<List<byte[]>> ReceiveUntilAsync(Func<List<byte[]>, bool> match)
    {
        var deadline = DateTime.UtcNow + Raw.Wait;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.That(left, Is.GreaterThan(TimeSpan.Zero), "no matching message within the timeout");
            var frames = await ReceiveAsync(left);
            if (match(frames))
            {
                return frames;
            }
        }
    }

    /// <summary>The next WebSocket message as received; null when the broker closed the connection.</summary>
    public async Task<byte[]?> ReceiveRawAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Raw.Wait);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(buffer, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new AssertionException("nothing from the broker within the timeout");
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return message.ToArray();
            }
        }
    }

    /// <summary>Waits for the broker to close the connection; returns its close status (null if it just went away).</summary>
    public async Task<WebSocketCloseStatus?> ClosedAsync()
    {
        try
        {
            while (await ReceiveRawAsync() is not null)
            {
                // Whatever came before the close frame.
            }
        }
        catch (WebSocketException)
        {
            return null;
        }

        return _socket.CloseStatus;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Already gone.
        }

        _socket.Dispose();
        _tcp.Dispose();
    }

    private static void Property(List<byte> body, string name, byte[] value)
    {
        body.Add((byte)name.Length);
        body.AddRange(Encoding.ASCII.GetBytes(name));
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        body.AddRange(length);
        body.AddRange(value);
    }
}
