namespace ZmqGame.Transport;

/// <summary>
/// What an <see cref="IRouter"/> reports to the endpoint it serves, on the loop thread: each received message, and each
/// peer whose connection closed (out of band: never a frame of its own in the message stream).
/// </summary>
internal interface IRouterHandler
{
    /// <summary>
    /// A message from a peer, as [identity][frames…]. The frames are valid only during the call (they may point into a
    /// reused read buffer): keep them with <see cref="FrameBuffer.MoveTo"/>. The router clears the buffer afterwards.
    /// </summary>
    void OnMessage(FrameBuffer message);

    /// <summary>A peer that had said hello (a routable identity) is gone: its connection closed.</summary>
    void OnPeerGone(ReadOnlySpan<byte> identity);
}
