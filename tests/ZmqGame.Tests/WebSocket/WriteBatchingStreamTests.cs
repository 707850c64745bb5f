using System.Net.WebSockets;
using ZmqGame.Broker.WebSocket;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// The stream under a WebSocket frontend connection: the frames one turn of the sender writes reach the connection in
/// one write, in order; what the WebSocket writes on its own (pongs, the close frame) goes at once.
/// </summary>
[TestFixture]
public sealed class WriteBatchingStreamTests
{
    [Test]
    public async Task FramesOfABatch_GoInOneWrite_InOrder()
    {
        var inner = new RecordingStream();
        await using var stream = new WriteBatchingStream(inner);
        using var socket = System.Net.WebSockets.WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });

        stream.BeginBatch();
        for (var i = 0; i < 5; i++)
        {
            await socket.SendAsync(new[] { (byte)i, (byte)(i + 1) }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }

        Assert.That(inner.Writes, Is.Empty, "nothing written while the batch is open");
        await stream.EndBatchAsync(CancellationToken.None);

        Assert.That(inner.Writes, Has.Count.EqualTo(1), "the batch's five WebSocket messages in one write");
        Assert.That(await ReadMessagesAsync(inner.Writes[0], 5), Is.EqualTo(new[] { "0,1", "1,2", "2,3", "3,4", "4,5" }));
    }

    [Test]
    public async Task WritesOutsideABatch_GoAtOnce_AfterWhatWasGathered()
    {
        var inner = new RecordingStream();
        await using var stream = new WriteBatchingStream(inner);
        using var socket = System.Net.WebSockets.WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });

        await socket.SendAsync(new byte[] { 1 }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        Assert.That(inner.Writes, Has.Count.EqualTo(1), "no batch: written at once");

        stream.BeginBatch();
        await socket.SendAsync(new byte[] { 2 }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        await stream.EndBatchAsync(CancellationToken.None);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

        Assert.That(inner.Writes, Has.Count.EqualTo(3), "the batch, then the close frame at once");
        Assert.That(await ReadMessagesAsync(inner.Writes[1], 1), Is.EqualTo(new[] { "2" }));
        Assert.That(inner.Writes[2][0] & 0x0F, Is.EqualTo(0x8), "a close frame");
    }

    [Test]
    public async Task ALargeBatch_IsWrittenInPieces_NoneLost()
    {
        var inner = new RecordingStream();
        await using var stream = new WriteBatchingStream(inner);
        using var socket = System.Net.WebSockets.WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
        var payload = new byte[1000];

        stream.BeginBatch();
        for (var i = 0; i < 200; i++)
        {
            payload[0] = (byte)i;
            await socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }

        await stream.EndBatchAsync(CancellationToken.None);

        Assert.That(inner.Writes, Has.Count.InRange(3, 5), "about 200 KB in pieces of at most 64 KB and a little");
        var all = inner.Writes.SelectMany(w => w).ToArray();
        var firsts = (await ReadMessagesAsync(all, 200, keep: 1)).Select(int.Parse).ToArray();
        Assert.That(firsts, Is.EqualTo(Enumerable.Range(0, 200).ToArray()), "every message, in order");
    }

    /// <summary>Reads <paramref name="count"/> messages as a client would; each as its bytes joined by commas (the first <paramref name="keep"/> only).</summary>
    private static async Task<List<string>> ReadMessagesAsync(byte[] wire, int count, int keep = int.MaxValue)
    {
        using var client = System.Net.WebSockets.WebSocket.CreateFromStream(new MemoryStream(wire), new WebSocketCreationOptions { IsServer = false });
        var messages = new List<string>();
        var buffer = new byte[4096];
        for (var i = 0; i < count; i++)
        {
            var result = await client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            Assert.That(result.EndOfMessage, Is.True);
            messages.Add(string.Join(",", buffer.Take(Math.Min(result.Count, keep))));
        }

        return messages;
    }

    /// <summary>Keeps every write made to it, separately.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (Writes)
            {
                Writes.Add(buffer.ToArray());
            }

            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
