using System.Buffers;
using System.Net.WebSockets;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// Reading RFC 6455 frames after the upgrade: headers (split across reads or not), payload unmasked in place as it
/// comes, fragments gathered into one WebSocket message within the size limit, control frames answered, and each
/// whole message given to ZWS 2.0.
/// </summary>
internal sealed partial class WebSocketLoopConnection
{
    /// <summary>Reads frames from <paramref name="data"/> (unmasked in place), a header split across reads kept aside.</summary>
    private void ReadFrames(Span<byte> data)
    {
        while (data.Length > 0 && _state is State.Open or State.Closing)
        {
            if (!_inFrame)
            {
                int used;
                ClientFrameHeader header;
                string? error;
                if (_headerCount > 0 || data.Length < WebSocketFraming.MaxClientHeader)
                {
                    var take = Math.Min(WebSocketFraming.MaxClientHeader - _headerCount, data.Length);
                    data[..take].CopyTo(_header.AsSpan(_headerCount));
                    var size = WebSocketFraming.ReadClientHeader(_header.AsSpan(0, _headerCount + take), out header, out error);
                    if (size == 0)
                    {
                        _headerCount += take;
                        return;
                    }

                    used = size - _headerCount;
                    _headerCount = 0;
                    if (size < 0)
                    {
                        Reject(WebSocketCloseStatus.ProtocolError, error!);
                        return;
                    }
                }
                else
                {
                    used = WebSocketFraming.ReadClientHeader(data, out header, out error);
                    if (used < 0)
                    {
                        Reject(WebSocketCloseStatus.ProtocolError, error!);
                        return;
                    }
                }

                data = data[used..];
                if (header.Fin && header.Opcode == WebSocketFraming.Binary && !_inMessage && _state == State.Open
                    && header.Length <= data.Length && header.Length <= _server.KeepLimit)
                {
                    // The usual case: a whole one-frame message in this read, read where it lies (no copy).
                    var whole = data[..(int)header.Length];
                    WebSocketFraming.Unmask(whole, header.Mask, 0);
                    data = data[whole.Length..];
                    Complete(whole, whole.Length, whole: true);
                    continue;
                }

                if (!StartFrame(header))
                {
                    return;
                }

                if (header.Length == 0)
                {
                    EndFrame();
                }

                continue;
            }

            var chunk = data[..(int)Math.Min(_frame.Length - _frameDone, data.Length)];
            WebSocketFraming.Unmask(chunk, _frame.Mask, _frameDone);
            _frameDone += chunk.Length;
            data = data[chunk.Length..];
            if ((_frame.Opcode & 0x8) != 0)
            {
                _control ??= new byte[WebSocketFraming.MaxControlPayload];
                chunk.CopyTo(_control.AsSpan(_controlCount));
                _controlCount += chunk.Length;
            }
            else if (_state == State.Open)
            {
                Gather(chunk);
            }

            if (_frameDone == _frame.Length)
            {
                EndFrame();
            }
        }
    }

    /// <summary>A frame begins: checks it against the message in progress; false when the connection was closed for it.</summary>
    private bool StartFrame(ClientFrameHeader header)
    {
        if ((header.Opcode & 0x8) == 0)
        {
            if (header.Opcode == WebSocketFraming.Continuation && !_inMessage)
            {
                Reject(WebSocketCloseStatus.ProtocolError, "a continuation frame with no message begun");
                return false;
            }

            if (header.Opcode != WebSocketFraming.Continuation && _inMessage)
            {
                Reject(WebSocketCloseStatus.ProtocolError, "a new message before the last one's final frame");
                return false;
            }

            if (header.Opcode == WebSocketFraming.Text)
            {
                Reject(WebSocketCloseStatus.InvalidMessageType, "a text message (ZWS 2.0 frames are binary messages)");
                return false;
            }

            if (header.Opcode == WebSocketFraming.Binary)
            {
                _inMessage = true;
                _messageCount = 0;
                _messageSize = 0;
                _messageWhole = true;
            }
        }

        _frame = header;
        _frameDone = 0;
        _controlCount = 0;
        _inFrame = true;
        return true;
    }

    /// <summary>Adds payload to the message in progress: kept while within the size limit (and its flags byte), else only counted.</summary>
    private void Gather(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return;
        }

        var before = _messageSize;
        _messageSize += chunk.Length;
        if (!_messageWhole)
        {
            return;
        }

        if (_messageSize <= _server.KeepLimit)
        {
            Grow((int)_messageSize);
            chunk.CopyTo(_message.AsSpan(_messageCount));
            _messageCount += chunk.Length;
            return;
        }

        _messageWhole = false;
        if (before == 0)
        {
            Grow(1);
            _message![0] = chunk[0];
        }

        _messageCount = 1;
    }

    private void Grow(int size)
    {
        if (_message is not null && _message.Length >= size)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(_server.KeepLimit, Math.Max(Math.Max(InitialBuffer, size), (_message?.Length ?? 0) * 2L)));
        if (_message is not null)
        {
            _message.AsSpan(0, _messageCount).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_message);
        }

        _message = larger;
    }

    private void EndFrame()
    {
        _inFrame = false;
        switch (_frame.Opcode)
        {
            case WebSocketFraming.Ping:
                if (_state == State.Open)
                {
                    WriteMessage(WebSocketFraming.Pong, _control.AsSpan(0, _controlCount));
                }

                return;
            case WebSocketFraming.Pong:
                return;
            case WebSocketFraming.CloseOpcode:
                if (_state == State.Open)
                {
                    // The peer closes: the close is answered, then the connection ends.
                    SendClose(WebSocketCloseStatus.NormalClosure, string.Empty);
                }

                _closeWhenFlushed = true;
                RequestFlush();
                return;
        }

        if (!_frame.Fin)
        {
            return;
        }

        _inMessage = false;
        if (_state == State.Open)
        {
            // A message gathered from fragments or reads: its buffer goes back once it is handled (an idle connection holds none).
            try
            {
                Complete(_message is null ? [] : _message.AsSpan(0, _messageCount), _messageSize, _messageWhole);
            }
            finally
            {
                Return(ref _message);
                _messageCount = 0;
            }
        }
    }

    /// <summary>A whole WebSocket message: what it means to ZWS 2.0.</summary>
    private void Complete(ReadOnlySpan<byte> kept, long size, bool whole)
    {
        Span<byte> pong = stackalloc byte[32];
        var received = _zws!.Receive(kept, size, whole, _server.Limit, pong);
        switch (received.Kind)
        {
            case ZwsReceivedKind.Close:
                Reject(received.Status, received.Why!);
                break;
            case ZwsReceivedKind.Ready:
                Deadline = 0;
                _router.OnReady(this, received.Identity!);
                break;
            case ZwsReceivedKind.Pong:
                WriteMessage(WebSocketFraming.Binary, pong[..received.PongLength]);
                break;
            case ZwsReceivedKind.Message:
                var message = _zws.TakeMessage();
                try
                {
                    _router.OnMessage(this, message);
                }
                catch (Exception ex)
                {
                    // The broker's failure is not the connection's: the next message is read as usual.
                    _loop.ReportError(ex);
                }

                _zws.Recycle(message);
                break;
        }
    }
}
