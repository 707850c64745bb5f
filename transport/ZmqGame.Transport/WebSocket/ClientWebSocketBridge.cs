using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace ZmqGame.Transport.WebSocket;

/// <summary>
/// The bridge on .NET's <see cref="ClientWebSocket"/>: every runtime but a browser's (the Unity editor, desktop and
/// mobile players, .NET). Each connection runs on the thread pool: one task connects and then reads, another writes
/// what <see cref="IWebSocketConnection.Send"/> queued, one message at a time (a <see cref="ClientWebSocket"/> takes one
/// send at a time).
/// </summary>
internal sealed class ClientWebSocketBridge : IWebSocketBridge
{
    /// <summary>How long a closing connection waits for its close frame to go before it is dropped.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);

    public IWebSocketConnection Open(string url, string subProtocol, IWebSocketEvents events)
    {
        var uri = new Uri(url);
        var connection = new Connection(events);
        connection.Start(uri, subProtocol);
        return connection;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
        "A connection frees its socket and token source itself when its run ends (after OnClose); the semaphore holds no wait handle.")]
    private sealed class Connection(IWebSocketEvents events) : IWebSocketConnection
    {
        private readonly ClientWebSocket _socket = new();
        private readonly CancellationTokenSource _abort = new();
        private readonly ConcurrentQueue<byte[]> _outgoing = new();
        private readonly SemaphoreSlim _queued = new(0);
        private long _buffered;
        private volatile bool _closing;

        public long BufferedAmount => Interlocked.Read(ref _buffered);

        public void Start(Uri uri, string subProtocol)
        {
            _socket.Options.AddSubProtocol(subProtocol);
            _ = Task.Run(() => RunAsync(uri));
        }

        public void Send(byte[] message)
        {
            if (_closing)
            {
                return;
            }

            Interlocked.Add(ref _buffered, message.Length);
            _outgoing.Enqueue(message);
            _queued.Release();
        }

        public void Close()
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
            _queued.Release();
        }

        private async Task RunAsync(Uri uri)
        {
            var code = (int)WebSocketCloseStatus.Empty;
            var reason = string.Empty;
            try
            {
                await _socket.ConnectAsync(uri, _abort.Token).ConfigureAwait(false);
                events.OnOpen();
                var writing = WriteAsync();
                await ReadAsync().ConfigureAwait(false);
                code = (int)(_socket.CloseStatus ?? WebSocketCloseStatus.Empty);
                reason = _socket.CloseStatusDescription ?? string.Empty;
                Close();
                await writing.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                if (!_closing)
                {
                    events.OnError(ex.Message);
                }
            }
            finally
            {
                _closing = true;
                _abort.Cancel();
                _socket.Dispose();
                events.OnClose(code == (int)WebSocketCloseStatus.Empty ? 1006 : code, reason);
                _abort.Dispose();
            }
        }

        /// <summary>Reads whole messages until the broker closes; a text message is an error.</summary>
        private async Task ReadAsync()
        {
            var buffer = new byte[16 * 1024];
            using var message = new MemoryStream();
            while (true)
            {
                var result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer), _abort.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    events.OnError("the broker sent a text message");
                    _abort.Cancel();
                    return;
                }

                events.OnMessage(message.ToArray());
                message.SetLength(0);
            }
        }

        /// <summary>Writes the queue, one message at a time; after <see cref="Close"/>, a close frame, then the reads end.</summary>
        private async Task WriteAsync()
        {
            try
            {
                while (true)
                {
                    await _queued.WaitAsync(_abort.Token).ConfigureAwait(false);
                    if (_closing)
                    {
                        break;
                    }

                    if (_outgoing.TryDequeue(out var next))
                    {
                        await _socket.SendAsync(new ArraySegment<byte>(next), WebSocketMessageType.Binary, true, _abort.Token).ConfigureAwait(false);
                        Interlocked.Add(ref _buffered, -next.Length);
                    }
                }

                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    using var timeout = new CancellationTokenSource(CloseTimeout);
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                // The connection is gone; the reads say how.
            }
            finally
            {
                if (_closing)
                {
                    // After our close frame the broker answers with its own, which ends the reads; do not wait long for it.
                    _ = Task.Delay(CloseTimeout).ContinueWith(_ => Cancel(), TaskScheduler.Default);
                }
            }
        }

        private void Cancel()
        {
            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already ended.
            }
        }
    }
}
