using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// What a broker of a cluster tells its ZmqGame clients about the cluster: the idempotent routes (in WELCOME, sent again
/// to every connected session when they change) and, once the broker is a lame duck, MOVE: go and resume the session on
/// another broker. A lame duck keeps its sessions (they expire no more and end with no close event) so that they resume
/// elsewhere.
/// </summary>
internal sealed partial class SessionManager
{
    private readonly IdempotentRoutes _idempotentRoutes = new();
    private byte[]? _moveText; // set once the broker is a lame duck

    /// <summary>True once <see cref="MoveAll"/> ran: every HELLO is answered MOVE and no session expires.</summary>
    public bool Moving => _moveText is not null;

    /// <summary>Sessions on a connection (not waiting for their client to come back).</summary>
    public int Attached => _registry.Count - _registry.Detached;

    /// <summary>Sends WELCOME again to every connected session when the workers' idempotent routes changed.</summary>
    public void RefreshIdempotentRoutes()
    {
        if (!_idempotentRoutes.Refresh(_dispatcher, _stats.WorkersRegistered))
        {
            return;
        }

        foreach (var session in _registry.All)
        {
            if (session.Identity is not null)
            {
                SendWelcome(session, resumed: false);
            }
        }
    }

    /// <summary>The broker is a lame duck: MOVE (after what is queued) to every connected session, and to every later HELLO.</summary>
    public void MoveAll(string text)
    {
        _moveText = Encoding.UTF8.GetBytes(text);
        foreach (var session in _registry.All)
        {
            if (session.Identity is not null)
            {
                _outbound.Deliver(session, new OutboundMessage(ZgClient.Move, [_moveText]));
            }
        }
    }

    /// <summary>A HELLO to a lame duck: MOVE instead of a session. True when it was answered so.</summary>
    private bool MovedAway(ReadOnlySpan<byte> identity)
    {
        if (_moveText is null)
        {
            return false;
        }

        if (!_output.TrySendToClient(identity.ToArray(), new OutboundMessage(ZgClient.Move, [_moveText])))
        {
            _stats.UnroutableClient++;
        }

        return true;
    }
}
