namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// The frontend's two ROUTERs as one, for the frontend endpoint: the TCP one (own transport or NetMQ) and the WebSocket
/// one. Both hand their messages to the same endpoint; what the endpoint sends goes to the router whose peer has the
/// identity (a WebSocket peer when it has it, else TCP), so replies, pushes and statuses reach clients on either.
/// With no WebSocket peer connected the TCP path costs one count check more. Loop thread only.
/// </summary>
internal sealed class FrontendRouters : IRouter
{
    private readonly IRouter _tcp;
    private readonly WebSocketRouter _webSocket;
    private IRouter _current;

    public FrontendRouters(IRouter tcp, WebSocketRouter webSocket)
    {
        _tcp = tcp;
        _webSocket = webSocket;
        _current = tcp;
    }

    public string Endpoint => _tcp.Endpoint;

    public bool TryBegin(ReadOnlySpan<byte> identity)
    {
        _current = _webSocket.Owns(identity) ? _webSocket : _tcp;
        return _current.TryBegin(identity);
    }

    public void Send(ref Frame frame, bool more) => _current.Send(ref frame, more);

    public void Send(ReadOnlySpan<byte> frame, bool more) => _current.Send(frame, more);

    public void SendConstant(byte[] frame, bool more) => _current.SendConstant(frame, more);

    public void PauseReading(ReadOnlySpan<byte> identity, long resumeAt) =>
        (_webSocket.Owns(identity) ? _webSocket : _tcp).PauseReading(identity, resumeAt);

    public void StopAccepting()
    {
        _tcp.StopAccepting();
        _webSocket.StopAccepting();
    }

    public void Dispose()
    {
        // Each router is disposed by the broker that bound it.
    }
}
