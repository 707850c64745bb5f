namespace ZmqGame.Transport;

/// <summary>
/// One ROUTER endpoint of the broker, used only on the broker's loop thread. A received message reaches its
/// <see cref="IRouterHandler"/> as [identity][frames…] in a <see cref="FrameBuffer"/>, and a peer whose connection
/// closed is reported out of band (<see cref="IRouterHandler.OnPeerGone"/>); a message out starts with
/// <see cref="TryBegin"/> and continues frame by frame until one is sent without more.
/// </summary>
internal interface IRouter : IDisposable
{
    /// <summary>The bound endpoint, connectable from this host (a chosen port filled in).</summary>
    string Endpoint { get; }

    /// <summary>Starts a message to a peer. False, with nothing sent, if the peer is gone or its queue is full.</summary>
    bool TryBegin(ReadOnlySpan<byte> identity);

    /// <summary>
    /// The next frame, taking its contents (it is left empty): sent without a copy where the router can, copied where
    /// it must (a borrowed frame that would outlive its read buffer).
    /// </summary>
    void Send(ref Frame frame, bool more);

    /// <summary>The next frame, copied.</summary>
    void Send(ReadOnlySpan<byte> frame, bool more);

    /// <summary>The next frame from an array nobody changes afterwards (may be referenced instead of copied).</summary>
    void SendConstant(byte[] frame, bool more);

    /// <summary>
    /// Stops reading the peer's connection until <paramref name="resumeAt"/> (a timestamp of the clock the router was
    /// given), rounded up to the loop's next tick: what the peer sends meanwhile waits in the TCP buffers (back-pressure
    /// on a client over its rate limit). Messages already read are still handed on; a peer that hangs up is still
    /// noticed. A later call while paused keeps the later time. A no-op where the transport cannot pause one peer
    /// (NetMQ).
    /// </summary>
    void PauseReading(ReadOnlySpan<byte> identity, long resumeAt);

    /// <summary>
    /// Accepts no new connection from now on; the connections already made go on. The own transport closes its
    /// listening socket (a new peer is refused at once). NetMQ cannot close a listener without closing the connections
    /// it accepted, so there this is a no-op and the broker refuses new peers itself (a lame duck answers HELLO with MOVE).
    /// </summary>
    void StopAccepting();
}
