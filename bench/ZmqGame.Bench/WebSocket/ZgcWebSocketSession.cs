using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.WebSocket;

/// <summary>
/// A ZmqGame client session over one ZWS 2.0 connection, written from docs/protocol.md (<c>ZGC01</c>): HELLO, then
/// SESSION REQUESTs matched to their REPLYs by request id, and HEARTBEATs carrying the session id, as the client library
/// does over TCP. One receive loop per connection dispatches what the broker sends; everything that is neither a
/// reply nor a heartbeat answer is counted by kind, so a bench can say what it got.
/// </summary>
internal sealed class ZgcWebSocketSession : IAsyncDisposable
{
    private static readonly byte[] Header = ZgClient.Header.ToArray();
    private static readonly byte[] HeartbeatCommand = [ZgClient.Heartbeat];
    private static readonly byte[] SessionRequestCommand = [ZgClient.SessionRequest];

    private readonly ZwsClient connection;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<(Status Status, byte[] Payload)>> pending = new();
    private readonly TaskCompletionSource<ulong> welcomed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stop = new();
    private readonly byte[] sessionIdFrame = new byte[ZgClient.SessionIdSize];
    private Task receiving = Task.CompletedTask;
    private long nextRequestId;
    private long heartbeatsAnswered;
    private long noSession;
    private long closed;
    private long other;
    private int lost;

    private ZgcWebSocketSession(ZwsClient connection) => this.connection = connection;

    /// <summary>The session id from the broker's WELCOME.</summary>
    public ulong SessionId { get; private set; }

    /// <summary>HEARTBEAT answers received.</summary>
    public long HeartbeatsAnswered => Interlocked.Read(ref heartbeatsAnswered);

    /// <summary>NO SESSION answers received (the broker does not know this session: it was lost).</summary>
    public long NoSession => Interlocked.Read(ref noSession);

    /// <summary>CLOSED messages received (the broker ended the session).</summary>
    public long Closed => Interlocked.Read(ref closed);

    /// <summary>Messages that were none of the above, nor a reply, nor a WELCOME.</summary>
    public long Other => Interlocked.Read(ref other);

    /// <summary>True once the connection ended (closed by the broker, or broken).</summary>
    public bool Lost => Volatile.Read(ref lost) != 0;

    /// <summary>Connects, says HELLO (no event service, no ticket) and waits for WELCOME.</summary>
    public static async Task<ZgcWebSocketSession> OpenAsync(Uri url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var connection = await ZwsClient.ConnectAsync(url, deadline.Token).ConfigureAwait(false);
        var session = new ZgcWebSocketSession(connection);
        try
        {
            session.receiving = session.ReceiveLoopAsync();
            await connection.SendAsync([Array.Empty<byte>(), Header, new byte[] { ZgClient.Hello }, Array.Empty<byte>(), Array.Empty<byte>()], deadline.Token)
                .ConfigureAwait(false);
            session.SessionId = await session.welcomed.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            BinaryPrimitives.WriteUInt64BigEndian(session.sessionIdFrame, session.SessionId);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends HEARTBEAT with the session id.</summary>
    public Task HeartbeatAsync(CancellationToken cancellationToken) =>
        connection.SendAsync([Array.Empty<byte>(), Header, HeartbeatCommand, sessionIdFrame], cancellationToken);

    /// <summary>
    /// One SESSION REQUEST; its status and payload, or null when nothing came within <paramref name="timeout"/> (the
    /// header asks the broker for the same deadline, so a request without a worker is answered <c>timeout</c> first).
    /// </summary>
    public async Task<(Status Status, byte[] Payload)?> RequestAsync(byte[] service, int command, byte[] payload, TimeSpan timeout)
    {
        var id = (ulong)Interlocked.Increment(ref nextRequestId);
        var header = new RequestHeader(id, command, (uint)timeout.TotalMilliseconds).ToArray();
        var answer = new TaskCompletionSource<(Status, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = answer;
        try
        {
            await connection.SendAsync([Array.Empty<byte>(), Header, SessionRequestCommand, sessionIdFrame, service, header, payload], stop.Token)
                .ConfigureAwait(false);
            return await answer.Task.WaitAsync(timeout + TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            pending.TryRemove(id, out _);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (await connection.ReceiveAsync(stop.Token).ConfigureAwait(false) is { } frames)
            {
                Dispatch(frames);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException or InvalidDataException or ObjectDisposedException)
        {
            // The connection ended; Lost says so.
        }

        Volatile.Write(ref lost, 1);
        welcomed.TrySetException(new InvalidOperationException("the connection ended before WELCOME"));
        foreach (var (_, answer) in pending)
        {
            answer.TrySetCanceled();
        }
    }

    private void Dispatch(List<byte[]> frames)
    {
        if (frames.Count < 3 || frames[0].Length != 0 || !frames[1].AsSpan().SequenceEqual(Header) || frames[2].Length != 1)
        {
            Interlocked.Increment(ref other);
            return;
        }

        switch (frames[2][0])
        {
            case ZgClient.Reply when frames.Count >= 4 && ReplyHeader.TryRead(frames[3], out var reply):
                if (pending.TryGetValue(reply.RequestId, out var answer))
                {
                    answer.TrySetResult((reply.Status, frames.Count > 4 ? frames[4] : []));
                }

                break;
            case ZgClient.Hello when frames.Count >= 4 && Welcome.TryParse(frames[3], out var welcome):
                welcomed.TrySetResult(welcome.Session);
                break;
            case ZgClient.Heartbeat:
                Interlocked.Increment(ref heartbeatsAnswered);
                break;
            case ZgClient.NoSession:
                Interlocked.Increment(ref noSession);
                break;
            case ZgClient.Close:
                Interlocked.Increment(ref closed);
                welcomed.TrySetException(new InvalidOperationException(
                    "the broker closed the session: " + (frames.Count > 4 ? Encoding.UTF8.GetString(frames[4]) : "?")));
                break;
            default:
                Interlocked.Increment(ref other);
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await connection.DisposeAsync().ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await receiving.ConfigureAwait(false);
        stop.Dispose();
    }
}
