using System.Buffers;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// The upgraded connection's stream under the WebSocket, with writes gathered while a batch is open: a ZWS 2.0 message is
/// one WebSocket message per ZeroMQ frame (a ZmqGame reply is 4 or 5), and written one by one each would be its own flush
/// and socket send. Between <see cref="BeginBatch"/> and <see cref="EndBatchAsync"/> every WebSocket frame written is
/// copied into one buffer, which goes to the connection in one write at the end. Writes outside a batch (the WebSocket's
/// own pongs and keep-alive pings, the close frame) go at once, after anything gathered before them. Reads pass through.
/// </summary>
internal sealed class WriteBatchingStream(Stream inner) : Stream
{
    /// <summary>A batch this large is written before it ends, so a flood of frames never piles up in memory.</summary>
    private const int MaxBatch = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private byte[]? _buffer;
    private int _length;
    private bool _batching;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>From now on, writes are gathered until <see cref="EndBatchAsync"/>. One sender at a time.</summary>
    public void BeginBatch()
    {
        lock (_lock)
        {
            _batching = true;
        }
    }

    /// <summary>Ends the batch and writes what it gathered, in one write.</summary>
    public ValueTask EndBatchAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _batching = false;
            if (_length == 0)
            {
                return ValueTask.CompletedTask;
            }
        }

        return WriteGatheredAsync(cancellationToken);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        bool batching;
        lock (_lock)
        {
            Append(buffer.Span);
            batching = _batching && _length < MaxBatch;
        }

        return batching ? ValueTask.CompletedTask : WriteGatheredAsync(cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        ReturnBuffer();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            ReturnBuffer();
        }

        base.Dispose(disposing);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        var needed = _length + data.Length;
        if (_buffer is null || needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 512));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = larger;
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length = needed;
    }

    /// <summary>Writes what is gathered; writes to the connection go one at a time, in the order they were gathered.</summary>
    private async ValueTask WriteGatheredAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            byte[]? taken;
            int length;
            lock (_lock)
            {
                // Another writer may have written it already (ours was gathered before its turn came).
                taken = _buffer;
                length = _length;
                _buffer = null;
                _length = 0;
            }

            if (taken is null || length == 0)
            {
                if (taken is not null)
                {
                    ArrayPool<byte>.Shared.Return(taken);
                }

                return;
            }

            try
            {
                await inner.WriteAsync(taken.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(taken);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    private void ReturnBuffer()
    {
        lock (_lock)
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
                _length = 0;
            }
        }
    }
}
