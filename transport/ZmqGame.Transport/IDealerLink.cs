namespace ZmqGame.Transport;

/// <summary>One DEALER connection of an <see cref="IConnectionLoop"/>. Used on the loop's thread only.</summary>
internal interface IDealerLink
{
    /// <summary>Queues a message without waiting; false if it cannot go (connection closed or gone, queue full).</summary>
    bool TrySend(IReadOnlyList<byte[]> frames);

    /// <summary>Closes at once, dropping what is queued. Closing twice does nothing.</summary>
    void Close();
}
