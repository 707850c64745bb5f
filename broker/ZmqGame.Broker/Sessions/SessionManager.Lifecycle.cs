using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// The lifecycle of a session: opened, put on a connection, resumed from a ticket, expired, ended (once: CLOSED to its
/// client, the close event to a worker, a tombstone for its id), and the WELCOME that carries each new ticket.
/// </summary>
internal sealed partial class SessionManager
{
    /// <summary>Expires silent sessions, retries waiting outbound messages, forgets old tombstones.</summary>
    public void Tick()
    {
        var now = _time.GetTimestamp();
        while (!Moving && _registry.TryGetSilent(now, _timeoutTicks, out var oldest))
        {
            End(oldest, SessionCloseReason.Expired, "no message from the client within the session timeout");
        }

        _outbound.FlushBacklogged();
        _ended.Forget(NowMs);
    }

    private void Open(byte[] identity, byte[] service)
    {
        if (_registry.Count >= _options.MaxSessions)
        {
            Refuse(identity, "session refused: the broker holds its maximum number of sessions");
            return;
        }

        ulong id;
        do
        {
            id = RandomId();
        }
        while (id == 0 || _registry.ContainsId(id) || _ended.Contains(id));

        var session = new Session(id, service);
        Add(session, identity);
        _stats.SessionsOpened++;
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            SessionLog.Opened(_logger, id, Encoding.UTF8.GetString(service));
        }

        SendWelcome(session, resumed: false);
        _events.Connected(session);
    }

    /// <summary>HELLO with a ticket this broker signed: the session it names, on this connection, if it may go on.</summary>
    private void Resume(SessionTicket opened, byte[] identity)
    {
        if (_registry.TryGetById(opened.SessionId, out var known))
        {
            Attach(known, identity);
            _stats.SessionsResumed++;

            // WELCOME first, then what waited for the client while it was away.
            SendWelcome(known, resumed: true, aheadOfQueue: true);
            _outbound.Flush(known);
            return;
        }

        var nowMs = NowMs;
        if (_ended.Contains(opened.SessionId) || nowMs - opened.IssuedMs > _timeoutMs * 2 || opened.IssuedMs > nowMs + 60_000)
        {
            Refuse(identity, "session expired");
            return;
        }

        // A session this broker never knew, with a fresh ticket it signed: its predecessor's; carry on with it.
        if (opened.UserId is { } user && _registry.ContainsUser(user))
        {
            Refuse(identity, "session expired: the user logged in again meanwhile");
            return;
        }

        if (_registry.Count >= _options.MaxSessions)
        {
            Refuse(identity, "session refused: the broker holds its maximum number of sessions");
            return;
        }

        var session = new Session(opened.SessionId, opened.Service) { Flags = opened.Flags };
        Add(session, identity);
        if (opened.UserId is not null)
        {
            session.SetUser(opened.UserId);
            _registry.BindUser(opened.UserId, session);
        }

        foreach (var group in opened.Groups)
        {
            if (PushTarget.IsValidName(group))
            {
                _groups.Join(session, group);
            }
        }

        _stats.SessionsResumed++;
        SessionLog.Resumed(_logger, session.Id, session.UserId ?? "-");
        SendWelcome(session, resumed: true);
        _cluster?.SessionArrived(session);
    }

    private void Add(Session session, byte[] identity)
    {
        _registry.Insert(session);
        Attach(session, identity);
    }

    /// <summary>Puts the session on the connection; a different session still on that connection ends.</summary>
    private void Attach(Session session, byte[] identity)
    {
        _registry.UnmapIdentity(session);
        if (_registry.TryGetByIdentity(identity, out var other) && other != session)
        {
            End(other, SessionCloseReason.ClientClosed, "the client resumed another session on this connection");
        }

        _registry.MapIdentity(session, identity);
    }

    /// <summary>Ends a session: CLOSED to its client (after what is queued), the close event to a worker, forgotten.</summary>
    /// <summary>Takes an ended session out of the broker: what waits for it, its index entries, its groups.</summary>
    private void Drop(Session session)
    {
        _outbound.Discard(session);
        _registry.Remove(session);
        _groups.RemoveFromAll(session);
    }

    private void End(Session session, SessionCloseReason reason, string text)
    {
        if (session.Ended)
        {
            return;
        }

        session.Ended = true;
        switch (reason)
        {
            case SessionCloseReason.ClientClosed:
                _stats.SessionsClientClosed++;
                break;
            case SessionCloseReason.Expired:
                _stats.SessionsExpired++;
                break;
            case SessionCloseReason.Kicked:
                _stats.SessionsKicked++;
                break;
            case SessionCloseReason.Replaced:
                _stats.SessionsReplaced++;
                break;
        }

        // Debug, as the opening is: one line per client session would flood the log (`trigger stats` counts them).
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            SessionLog.Ended(_logger, session.Id, session.UserId ?? "-", reason, text);
        }

        if (session.Identity is not null)
        {
            // When the CLOSED cannot be queued either, nothing more can reach the client; what waits is lost with the session.
            _outbound.Flush(session);
            _outbound.Deliver(session, Closed(reason, text));
            _outbound.Flush(session);
        }

        Drop(session);

        // Longer than a ticket is accepted (two timeouts): a closed session's ticket never resumes it.
        _ended.Add(session.Id, NowMs + _timeoutMs * 3);
        _events.Closed(session, reason, text);
    }

    private void Refuse(byte[] identity, string text)
    {
        _stats.SessionsRefused++;
        if (!_output.TrySendToClient(identity, Closed(SessionCloseReason.Expired, text)))
        {
            _stats.UnroutableClient++;
        }
    }

    /// <summary>WELCOME with a new ticket; <paramref name="aheadOfQueue"/> sends it before what waits when the connection takes it.</summary>
    private void SendWelcome(Session session, bool resumed, bool aheadOfQueue = false)
    {
        var nowMs = NowMs;
        session.TicketIssuedMs = nowMs;
        var groups = session.Groups?.ToArray() ?? [];
        var welcome = new Welcome
        {
            Session = session.Id,
            Resumed = resumed,
            TimeoutMs = (uint)Math.Min(_timeoutMs, uint.MaxValue),
            User = session.UserId,
            Flags = session.Flags,
            Groups = groups,
            MaxMessageSize = (uint)_options.MaxMessageSize,
            Idempotent = _idempotentRoutes.Current,
        };
        var ticket = new SessionTicket
        {
            SessionId = session.Id,
            IssuedMs = nowMs,
            Flags = session.Flags,
            Service = session.Service,
            UserId = session.UserId,
            Groups = groups,
        }.Sign(_key);
        var message = new OutboundMessage(ZgClient.Hello, [welcome.Serialize(), ticket]);
        if (aheadOfQueue)
        {
            _outbound.DeliverFirst(session, message);
        }
        else
        {
            _outbound.Deliver(session, message);
        }
    }

    private static OutboundMessage Closed(SessionCloseReason reason, string text) =>
        new(ZgClient.Close, [[(byte)reason], Encoding.UTF8.GetBytes(text)]);

    private static ulong RandomId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}
