namespace ZmqGame.Worker.Internal;

/// <summary>
/// How large a REPLY may be (<see cref="WorkerOptions.MaxMessageSize"/>, the broker's limit) and how many of those bytes
/// its envelope takes, so the request pipeline can refuse an oversized answer before the after-request hooks run: they
/// then see <c>too large</c>, which is what the client gets.
/// </summary>
internal readonly record struct ReplyLimit(long MaxMessageSize, int EnvelopeSize)
{
    /// <summary>No limit (a context made outside a worker slot).</summary>
    public static ReplyLimit None { get; } = new(long.MaxValue, 0);

    /// <summary>The size of the whole REPLY with these body frames, and whether it is over the limit.</summary>
    public bool IsOver(IReadOnlyList<byte[]> body, out long size)
    {
        long bodyBytes = 0;
        for (var i = 0; i < body.Count; i++)
        {
            bodyBytes += body[i].Length;
        }

        return IsOver(bodyBytes, out size);
    }

    /// <summary>The size of the whole REPLY with a body of this many bytes, and whether it is over the limit.</summary>
    public bool IsOver(long bodyBytes, out long size)
    {
        size = EnvelopeSize + bodyBytes;
        return size > MaxMessageSize;
    }

    /// <summary>What the client is told.</summary>
    public string Describe(long size) => $"the handler's reply of {size} bytes is over the broker's limit of {MaxMessageSize}";
}
