using System.Buffers.Binary;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>The session messages of ZGC01 clients: HELLO, HEARTBEAT, CLOSE, and the connection going away.</summary>
internal sealed partial class SessionManager
{
    /// <summary>HELLO: a new session, or a resume from a ticket.</summary>
    public void Hello(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> service, ReadOnlySpan<byte> ticket)
    {
        if (service.Length > Mdp.MaxServiceLength || service.StartsWith(Mdp.MmiPrefix))
        {
            _badInput.Report(BadInput.FrontendBadHello, identity, "HELLO with a too long or mmi.* service name");
            return;
        }

        if (MovedAway(identity))
        {
            return;
        }

        // The WELCOME below names the idempotent routes of the workers registered now, not as of the last tick: a
        // client that connects right after a worker's READY may send that worker's route at once.
        RefreshIdempotentRoutes();
        var opened = ticket.IsEmpty ? null : SessionTicket.TryOpen(ticket, _key);
        if (_registry.TryGetByIdentity(identity, out var current))
        {
            if (opened is not null && opened.SessionId == current.Id)
            {
                // The client asks again for the session it has on this connection: nothing to resume.
                _registry.Heard(current);
                SendWelcome(current, resumed: true);
                return;
            }

            End(current, SessionCloseReason.ClientClosed, "the client opened a new session");
        }

        var id = identity.ToArray();
        if (ticket.IsEmpty)
        {
            Open(id, service.ToArray());
            return;
        }

        if (opened is null)
        {
            _badInput.Report(BadInput.BadTicket, identity, "HELLO with a ticket this broker did not sign");
            Refuse(id, "session expired: the ticket is not valid here");
            return;
        }

        Resume(opened, id);
    }

    /// <summary>CLOSE from the client.</summary>
    public void Close(ReadOnlySpan<byte> identity)
    {
        if (_registry.TryGetByIdentity(identity, out var session))
        {
            End(session, SessionCloseReason.ClientClosed, "closed by the client");
        }
    }

    /// <summary>HEARTBEAT, with the session id the client believes it has (empty for none).</summary>
    public HeartbeatAnswer Heartbeat(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> sessionId)
    {
        var session = Touch(identity);
        if (sessionId.IsEmpty)
        {
            return HeartbeatAnswer.Heartbeat;
        }

        if (session is null || sessionId.Length != 8 || BinaryPrimitives.ReadUInt64BigEndian(sessionId) != session.Id)
        {
            return HeartbeatAnswer.NoSession;
        }

        // A ticket at most one timeout old, from a client heard within the last timeout, is at most two timeouts old
        // when that client comes back to a restarted broker: the window such a broker accepts.
        if (NowMs - session.TicketIssuedMs > _timeoutMs)
        {
            SendWelcome(session, resumed: false);
        }

        return HeartbeatAnswer.Heartbeat;
    }

    /// <summary>The connection closed: the session waits (detached) for its client to resume, until it expires.</summary>
    public void PeerGone(ReadOnlySpan<byte> identity)
    {
        if (_registry.TryGetByIdentity(identity, out var session))
        {
            _registry.Detach(session);
        }
    }
}
