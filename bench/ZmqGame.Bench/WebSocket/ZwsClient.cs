using System.Net.WebSockets;
using ZmqGame.Transport;

namespace ZmqGame.Bench.WebSocket;

/// <summary>
/// A ZWS 2.0 peer (ZeroMQ RFC 45) on <see cref="ClientWebSocket"/>, the way a browser speaks it: the bare <c>ZWS2.0</c>
/// subprotocol, each side's first message its routing id, then every ZeroMQ frame one binary WebSocket message whose
/// first byte is flags (0x01 MORE, 0x02 COMMAND). Sends are serialised (a WebSocket takes one send at a time);
/// receiving is one loop's job (<see cref="ReceiveAsync"/>).
/// </summary>
internal sealed class ZwsClient : IAsyncDisposable
{

    private readonly ClientWebSocket socket;
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly byte[] receiveBuffer = new byte[4096];
    private byte[] sendBuffer = new byte[256];

    private ZwsClient(ClientWebSocket socket) => this.socket = socket;

    /// <summary>Connects, offers <c>ZWS2.0</c>, sends an empty routing id and reads the broker's.</summary>
    public static async Task<ZwsClient> ConnectAsync(Uri url, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(Zws.BareProtocol);
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var client = new ZwsClient(socket);
        try
        {
            await socket.ConnectAsync(url, cancellationToken).ConfigureAwait(false);
            if (socket.SubProtocol != Zws.BareProtocol)
            {
                throw new InvalidOperationException($"the broker answered subprotocol \"{socket.SubProtocol}\", not ZWS2.0");
            }

            await socket.SendAsync(new byte[] { 0 }, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            var greeting = await client.ReceiveFrameAsync(cancellationToken).ConfigureAwait(false);
            if (greeting is null || greeting.Length == 0 || (greeting[0] & Zws.FlagCommand) != 0)
            {
                throw new InvalidOperationException("the broker's first message was not its routing id");
            }

            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one ZeroMQ message, a WebSocket message per frame.</summary>
    public async Task SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken)
    {
        await sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < frames.Count; i++)
            {
                var frame = frames[i].Span;
                if (sendBuffer.Length < frame.Length + 1)
                {
                    sendBuffer = new byte[frame.Length + 1];
                }

                sendBuffer[0] = i < frames.Count - 1 ? Zws.FlagMore : (byte)0;
                frame.CopyTo(sendBuffer.AsSpan(1));
                await socket.SendAsync(sendBuffer.AsMemory(0, frame.Length + 1), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            sendLock.Release();
        }
    }

    /// <summary>The next whole ZeroMQ message (commands skipped); null when the broker closed the connection.</summary>
    public async Task<List<byte[]>?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var frames = new List<byte[]>();
        while (true)
        {
            var raw = await ReceiveFrameAsync(cancellationToken).ConfigureAwait(false);
            if (raw is null)
            {
                return null;
            }

            if (raw.Length == 0)
            {
                throw new InvalidDataException("a ZWS frame without its flags byte");
            }

            if ((raw[0] & Zws.FlagCommand) != 0)
            {
                continue;
            }

            frames.Add(raw[1..]);
            if ((raw[0] & Zws.FlagMore) == 0)
            {
                return frames;
            }
        }
    }

    private async Task<byte[]?> ReceiveFrameAsync(CancellationToken cancellationToken)
    {
        var received = 0;
        byte[]? large = null;
        while (true)
        {
            var buffer = large ?? receiveBuffer;
            if (received == buffer.Length)
            {
                large = new byte[buffer.Length * 2];
                buffer.AsSpan().CopyTo(large);
                buffer = large;
            }

            var result = await socket.ReceiveAsync(buffer.AsMemory(received), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            received += result.Count;
            if (result.EndOfMessage)
            {
                return buffer.AsSpan(0, received).ToArray();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Already gone.
        }

        socket.Dispose();
        sendLock.Dispose();
    }
}
