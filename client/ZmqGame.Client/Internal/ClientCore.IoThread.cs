using ZmqGame.Protocol;

namespace ZmqGame.Client.Internal;

/// <summary>
/// What runs on the client's I/O thread: the command queue, opening and losing connections, deadlines and the
/// liveness tick, and each message from the broker handed to the part it concerns.
/// </summary>
internal sealed partial class ClientCore
{
    private const int MaxBatch = 256;

    /// <summary>The client whose I/O thread is running a handler on this thread right now (null: none).</summary>
    [ThreadStatic]
    private static ClientCore? inTurn;

    private long nextTick; // I/O thread (set by Start before the thread runs)

    /// <summary>True when called from one of this client's handlers on its I/O thread (code a completion ran there).</summary>
    private bool OnIoThread => ReferenceEquals(inTurn, this);

    private void OnExit()
    {
        CloseSocket();
        requests.ClearUnsent();
        pollerExited.TrySetResult(true);
    }

    private void OnWake()
    {
        var outer = inTurn;
        inTurn = this;
        try
        {
            // A full fence, not a plain write: the queue must not be read before the flag is seen cleared, or a command
            // queued in between would find the flag set, wake nobody, and wait for the next tick.
            Interlocked.Exchange(ref wakeRequested, 0);
            RunCommands();
            KeepTime();
        }
        finally
        {
            inTurn = outer;
        }
    }

    private void RunCommands()
    {
        for (var i = 0; i < MaxBatch && commands.TryDequeue(out var command); i++)
        {
            try
            {
                switch (command.Kind)
                {
                    case ClientCommandKind.Send:
                        HandleSend(command.Request!);
                        break;
                    case ClientCommandKind.Open:
                        HandleOpen(command.Link!);
                        break;
                    case ClientCommandKind.CloseSession:
                        session.Close(command.Answered!);
                        break;
                }
            }
            catch (Exception ex)
            {
                Log.PollerError(logger, ex);
            }
        }

        if (!commands.IsEmpty)
        {
            // More than a batch: the rest next turn, after the socket had its turn.
            WakeIo();
        }
    }

    /// <summary>
    /// Ends the requests whose deadline has come, runs the liveness tick when due, and sets the loop's alarm for the
    /// next of either.
    /// </summary>
    private void KeepTime()
    {
        var now = time.GetTimestamp();
        var nextDeadline = long.MaxValue;
        try
        {
            nextDeadline = requests.ExpireDue(now);
            if (now >= nextTick)
            {
                nextTick = now + time.ToTimestampTicks(tickInterval);
                HandleTick();
            }
        }
        catch (Exception ex)
        {
            Log.PollerError(logger, ex);
        }

        connection.WakeWithin(time.ToTimeSpan(Math.Min(nextDeadline, nextTick) - now));
    }

    /// <summary>
    /// A request made by code running on the I/O thread: written at once. No <see cref="KeepTime"/> follows it (it did
    /// not come through the queue), so the alarm learns of its deadline here.
    /// </summary>
    private void SendFromIoThread(PendingRequest request)
    {
        HandleSend(request);
        connection.WakeWithin(time.ToTimeSpan(request.DeadlineTimestamp - time.GetTimestamp()));
    }

    private void HandleSend(PendingRequest request)
    {
        if (!requests.IsPending(request.Id))
        {
            return;
        }

        requests.Track(request);

        if (!connection.IsOpen || !session.LinkWelcomed || movingEpoch == connection.Epoch)
        {
            // No connection the broker has opened a session on, or its broker asked to move: the request waits (its
            // deadline still runs) for the WELCOME on the next connection.
            requests.Hold(request);
            return;
        }

        SendRequest(request);
    }

    private void SendRequest(PendingRequest request)
    {
        var now = time.GetTimestamp();
        if (requests.TrySend(request, connection, session.Id, now))
        {
            liveness.Sent();
        }
    }

    /// <summary>The session is open on this connection: the held requests go, oldest first.</summary>
    private void FlushUnsent()
    {
        while (requests.HasUnsent && connection.IsOpen && movingEpoch != connection.Epoch)
        {
            requests.TryTakeUnsent(out var request);
            if (requests.IsPending(request.Id))
            {
                SendRequest(request);
            }
        }
    }

    private void HandleOpen(Link newLink)
    {
        if (Volatile.Read(ref disposed) != 0)
        {
            newLink.SetClosed();
            return;
        }

        CloseSocket();
        if (!connection.TryOpen(newLink, OnMessage, () => LinkLost(liveness.Silence)))
        {
            return;
        }

        liveness.Opened();
        session.Opened(time.GetTimestamp());
    }

    private void HandleTick()
    {
        if (!connection.IsOpen || LeaveIfMoved())
        {
            return;
        }

        switch (liveness.Check(session.HelloWaitingSince, tryAnother: endpoints.Count > 1 && !connection.HeardOnLink))
        {
            case LivenessVerdict.NeverAnswered:
                Log.NeverAnswered(logger, connection.Endpoint, (long)liveness.Silence.TotalMilliseconds, connection.Epoch);
                LinkLost(liveness.Silence, logSilence: false);
                break;
            case LivenessVerdict.Silent:
                LinkLost(liveness.Silence);
                break;
            case LivenessVerdict.HelloUnanswered:
                // The broker talks (heartbeats) but never answered HELLO, e.g. it was lost under a ZeroMQ reconnect:
                // a fresh socket says HELLO again, which never ends a session this one might still get.
                Log.HelloUnanswered(logger, connection.Endpoint, time.ToMilliseconds(time.GetTimestamp() - session.HelloWaitingSince!.Value), connection.Epoch);
                LinkLost(liveness.Silence, logSilence: false);
                break;
            case LivenessVerdict.Heartbeat:
                if (connection.TrySend(ClientFrames.Heartbeat(session.Id)))
                {
                    liveness.HeartbeatSent();
                }

                break;
        }
    }

    /// <summary>
    /// The connection died (silence or the transport said so), so its broker is lost: the requests written to it end
    /// <see cref="Status.BrokerLost"/>, except those on idempotent routes, which go again after the next WELCOME.
    /// </summary>
    private void LinkLost(TimeSpan silence, bool logSilence = true)
    {
        var lostEpoch = connection.Epoch;
        var lostLink = connection.Link;
        var lostEndpoint = connection.Endpoint;
        CloseSocket();

        var routes = idempotent;
        var (failed, resent) = requests.LostOn(lostEpoch, lostEndpoint, r => routes.Contains(r.Service, r.Command));
        if (logSilence)
        {
            Log.LinkLost(logger, lostEndpoint, (long)silence.TotalMilliseconds, lostEpoch, failed, resent);
        }

        lostLink?.SetClosed();
    }

    /// <summary>MOVE: no new request goes on this connection; it is left once the replies of those on it are in.</summary>
    private void HandleMove(List<byte[]> message)
    {
        var text = message.Count > 3 ? System.Text.Encoding.UTF8.GetString(message[3]) : string.Empty;
        if (movingEpoch != connection.Epoch)
        {
            movingEpoch = connection.Epoch;
            Log.MoveAsked(logger, connection.Endpoint, text, connection.Epoch);
        }

        LeaveIfMoved();
    }

    /// <summary>
    /// The broker of this connection said MOVE and holds no more of its requests (each got its reply or ended by its
    /// deadline): the connection closes and the reconnect loop opens the next broker, where the session resumes. True
    /// when it closed.
    /// </summary>
    private bool LeaveIfMoved()
    {
        if (movingEpoch == 0 || movingEpoch != connection.Epoch || !connection.IsOpen || requests.AnySentOn(movingEpoch))
        {
            return false;
        }

        Log.Moving(logger, connection.Endpoint, movingEpoch);
        CloseSocket();
        return true;
    }

    private void CloseSocket()
    {
        if (connection.Close())
        {
            session.ConnectionClosed();
        }
    }

    private void OnMessage(List<byte[]> message)
    {
        liveness.Received();
        connection.Heard();

        var outer = inTurn;
        inTurn = this;
        try
        {
            Dispatch(message);
        }
        catch (Exception ex)
        {
            CountMalformed("unexpected error: " + ex.Message);
        }
        finally
        {
            inTurn = outer;
        }
    }

    /// <summary>One case per ZGC01 command byte.</summary>
    private void Dispatch(List<byte[]> message)
    {
        if (!ClientFrames.TryReadCommand(message, out var command))
        {
            CountMalformed("not a ZGC01 message");
            return;
        }

        switch (command)
        {
            case ZgClient.Reply:
                HandleReply(message);
                break;
            case ZgClient.Heartbeat:
                break; // liveness was refreshed above
            case ZgClient.Hello:
                if (!ClientFrames.TryReadWelcome(message, out var welcome, out var ticket))
                {
                    CountMalformed("WELCOME without a valid welcome map");
                    break;
                }

                BrokerLimitAnnounced(welcome.MaxMessageSize);
                idempotent = IdempotentRoutes.From(welcome.Idempotent);
                session.Welcomed(welcome, ticket);
                break;
            case ZgClient.Push:
                if (!ClientFrames.TryReadPush(message, out var pushHeader, out var pushPayload))
                {
                    CountMalformed("PUSH without a valid push header");
                    break;
                }

                pushes.Deliver(pushHeader.Command, pushPayload);
                break;
            case ZgClient.Close:
                if (!ClientFrames.TryReadClosed(message, out var reason, out var text))
                {
                    CountMalformed("CLOSED without a one-byte reason");
                    break;
                }

                session.ClosedByBroker(reason, text);
                break;
            case ZgClient.NoSession:
                session.NoSession();
                break;
            case ZgClient.Move:
                HandleMove(message);
                break;
            default:
                CountMalformed($"unknown ZGC01 command 0x{command:X2}");
                break;
        }
    }

    private void HandleReply(List<byte[]> message)
    {
        if (!ClientFrames.TryReadReply(message, out var header, out var payload))
        {
            CountMalformed("REPLY without a valid reply header");
            return;
        }

        if (header.Status == Status.NoSession && requests.TryHoldAgain(header.RequestId))
        {
            // It did not run: hold it, and everything after it, until the session is resumed on this connection.
            session.RequestRefused();
            return;
        }

        requests.Complete(header, payload);
        LeaveIfMoved();
    }

    private void CountMalformed(string reason)
    {
        var count = Interlocked.Increment(ref malformedMessages);
        if ((count & (count - 1)) == 0)
        {
            Log.Malformed(logger, reason, count); // 1st, 2nd, 4th, 8th…: visible, never a flood
        }
    }
}
