using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The client's outstanding requests: ids, deadlines, the requests waiting for a session, and every way a request
/// ends. Pending requests live in a concurrent map so that replies and deadlines (I/O thread), cancellation (any
/// thread), connection loss and disposal can each complete a request by removing it; whoever removes it completes it,
/// so a request completes exactly once.
/// <para>
/// Deadlines are kept by the I/O thread, with no timer per request: <see cref="Track"/> puts a request in a heap by
/// deadline, <see cref="ExpireDue"/> ends those whose time has come and tells when the next one is due, and the I/O
/// loop's wait is bounded by that. Ended requests leave the heap when they reach its top, or all at once when they
/// outnumber the pending ones.
/// </para>
/// <para>
/// The heap, the queue of unsent requests (<see cref="Hold"/>, <see cref="TryTakeUnsent"/>) and <see cref="TrySend"/>
/// belong to the I/O thread.
/// </para>
/// </summary>
internal sealed class RequestTable
{
    /// <summary>
    /// How long past a request's deadline the client waits before ending it itself, once the request was sent: the
    /// broker ends a request still in its queue at the same deadline with a status that names why (for example no
    /// worker of the service is registered), and that answer, a broker tick and a trip later, should win.
    /// </summary>
    internal static readonly TimeSpan BrokerDeadlineGrace = TimeSpan.FromMilliseconds(500);

    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<ulong, PendingRequest> pending = new();
    private readonly Queue<PendingRequest> unsent = new(); // I/O thread
    private readonly DeadlineHeap deadlines = new();       // I/O thread
    private readonly Action<PendingRequest, CancellationToken> cancel;
    private readonly Func<PendingRequest, bool> ended;
    private readonly CallerCompletion completer;
    private long nextRequestId;
    private long unknownReplies;

    /// <param name="time">The client's clock (deadlines).</param>
    /// <param name="logger">The client's logger.</param>
    /// <param name="completer">How callers' tasks are completed (<see cref="CallerCompletion"/>).</param>
    public RequestTable(TimeProvider time, ILogger logger, CallerCompletion? completer = null)
    {
        this.completer = completer ?? CallerCompletion.OnThreadPool;
        this.time = time;
        this.logger = logger;
        cancel = CancelRequest;
        ended = r => !pending.ContainsKey(r.Id);
    }

    public int Count => pending.Count;

    public long UnknownReplies => Interlocked.Read(ref unknownReplies);

    /// <summary>True while something is held until the session is open. I/O thread.</summary>
    public bool HasUnsent => unsent.Count > 0;

    /// <summary>Registers a request with a fresh id; its cancellation runs from here on, its deadline once <see cref="Track"/>ed.</summary>
    public PendingRequest Add(
        string service, byte[] serviceBytes, int command, byte[] payload, TimeSpan timeout, CancellationToken cancellationToken, Activity? activity = null)
    {
        var id = (ulong)Interlocked.Increment(ref nextRequestId);
        var deadline = time.GetTimestamp() + time.ToTimestampTicks(timeout);
        var request = new PendingRequest(id, service, serviceBytes, command, payload, timeout, deadline, activity, completer);
        pending[id] = request;
        request.Attach(cancel, cancellationToken);
        return request;
    }

    /// <summary>The request's deadline is kept from now on. Once per request. I/O thread.</summary>
    public void Track(PendingRequest request)
    {
        deadlines.Push(request.DeadlineTimestamp, request);
        if (deadlines.Count > 1024 && deadlines.Count > 4 * pending.Count)
        {
            deadlines.RemoveWhere(ended);
        }
    }

    /// <summary>
    /// Ends every request whose deadline is at or before <paramref name="now"/> (one already sent gets the broker's
    /// grace first) and forgets the ended ones at the top; returns the next deadline (<see cref="long.MaxValue"/>: none).
    /// I/O thread.
    /// </summary>
    public long ExpireDue(long now)
    {
        while (deadlines.Count > 0)
        {
            var request = deadlines.Top;
            if (!pending.ContainsKey(request.Id))
            {
                deadlines.Pop();
                continue;
            }

            var due = deadlines.Soonest;
            if (due > now)
            {
                return due;
            }

            deadlines.Pop();
            Expire(request, due);
        }

        return long.MaxValue;
    }

    /// <summary>False when the request already ended (reply, deadline, cancellation, loss, disposal).</summary>
    public bool IsPending(ulong id) => pending.ContainsKey(id);

    /// <summary>Removes a request; true when the caller now owns completing it.</summary>
    public bool TryRemove(ulong id) => pending.TryRemove(id, out _);

    /// <summary>Fails every pending request (disposal).</summary>
    public void FailAll()
    {
        foreach (var id in pending.Keys)
        {
            if (pending.TryRemove(id, out var request))
            {
                request.Fail(new ObjectDisposedException(nameof(ZmqGameClient), "the client was disposed before the request completed"));
            }
        }
    }

    /// <summary>
    /// The broker of connection <paramref name="epoch"/> (at <paramref name="endpoint"/>) was lost: each request written
    /// to it either waits for the next connection's WELCOME to go again, when <paramref name="idempotent"/> says its
    /// route may run twice (its deadline unchanged), or fails with <see cref="Status.BrokerLost"/>. Returns how many
    /// failed and how many wait. I/O thread.
    /// </summary>
    public (int Failed, int Resent) LostOn(long epoch, string endpoint, Func<PendingRequest, bool> idempotent)
    {
        var failed = 0;
        var resent = 0;
        foreach (var entry in pending)
        {
            var request = entry.Value;
            if (request.SentEpoch != epoch)
            {
                continue;
            }

            if (idempotent(request))
            {
                resent++;
                request.SentEpoch = 0; // at no broker now
                unsent.Enqueue(request);
                continue;
            }

            if (pending.TryRemove(entry.Key, out _))
            {
                failed++;
                request.Fail(new ZmqGameRequestException(
                    Status.BrokerLost, request.Service, request.Command,
                    $"the broker at {endpoint} was lost before the reply; the request may or may not have run",
                    connectionLost: true, inner: null));
            }
        }

        return (failed, resent);
    }

    /// <summary>True while a request written to connection <paramref name="epoch"/> waits for its reply.</summary>
    public bool AnySentOn(long epoch)
    {
        foreach (var entry in pending)
        {
            if (entry.Value.SentEpoch == epoch)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Completes the request a REPLY answers; a reply nobody waits for is counted. I/O thread.</summary>
    public void Complete(ReplyHeader header, byte[] payload)
    {
        if (!pending.TryRemove(header.RequestId, out var request))
        {
            var count = Interlocked.Increment(ref unknownReplies);
            Log.UnknownReply(logger, header.RequestId, count);
            return;
        }

        if (header.Status == Status.Ok)
        {
            request.Complete(payload);
        }
        else
        {
            request.Fail(new ZmqGameRequestException(
                header.Status, request.Service, request.Command, Payload.ErrorText(payload), connectionLost: false, inner: null));
        }
    }

    /// <summary>
    /// Holds a request until a session is open on the connection (its deadline still runs). Now and then the queue
    /// forgets the requests that ended meanwhile. I/O thread.
    /// </summary>
    public void Hold(PendingRequest request)
    {
        unsent.Enqueue(request);
        if (unsent.Count > 1024 && unsent.Count % 1024 == 0)
        {
            PruneUnsent();
        }
    }

    /// <summary>
    /// The broker answered <c>no session</c> to a request, so it did not run: holds it again, if still pending,
    /// until the session is resumed. I/O thread.
    /// </summary>
    public bool TryHoldAgain(ulong id)
    {
        if (!pending.TryGetValue(id, out var waiting))
        {
            return false;
        }

        waiting.SentEpoch = 0; // it did not run: at no broker now
        unsent.Enqueue(waiting);
        return true;
    }

    /// <summary>The oldest held request. I/O thread.</summary>
    public bool TryTakeUnsent(out PendingRequest request)
    {
        if (unsent.Count == 0)
        {
            request = null!;
            return false;
        }

        request = unsent.Dequeue();
        return true;
    }

    /// <summary>Forgets the held requests (the I/O thread is ending). I/O thread.</summary>
    public void ClearUnsent() => unsent.Clear();

    /// <summary>
    /// Writes a request on <paramref name="connection"/> with what is left of its deadline; true when it went (the
    /// caller counts it as traffic). A full send queue fails the request with <see cref="Status.Busy"/>. I/O thread.
    /// </summary>
    public bool TrySend(PendingRequest request, ClientConnection connection, ulong sessionId, long now)
    {
        var remainingMs = (request.DeadlineTimestamp - now) * 1000.0 / time.TimestampFrequency;
        if (remainingMs < 1)
        {
            return false; // its deadline is about to end it
        }

        var header = new RequestHeader(request.Id, request.Command, (uint)Math.Ceiling(remainingMs));
        var message = ClientFrames.Request(sessionId, request.ServiceBytes, header, request.Payload, request.TraceContext);
        if (!connection.TrySend(message))
        {
            Log.SendQueueFull(logger, connection.Endpoint, request.Id);
            if (pending.TryRemove(request.Id, out _))
            {
                request.Fail(new ZmqGameRequestException(
                    Status.Busy, request.Service, request.Command, "the client's send queue to the broker is full", connectionLost: false, inner: null));
            }

            return false;
        }

        request.SentEpoch = connection.Epoch;
        return true;
    }

    private void PruneUnsent()
    {
        var keep = unsent.Where(r => pending.ContainsKey(r.Id)).ToList();
        unsent.Clear();
        foreach (var request in keep)
        {
            unsent.Enqueue(request);
        }
    }

    private void Expire(PendingRequest request, long due)
    {
        // Sent: the broker has the same deadline and answers it with its own text; give that answer time to come.
        if (request.SentEpoch != 0 && !request.GraceGiven)
        {
            request.GraceGiven = true;
            deadlines.Push(due + time.ToTimestampTicks(BrokerDeadlineGrace), request);
            return;
        }

        if (pending.TryRemove(request.Id, out _))
        {
            request.Fail(new ZmqGameRequestException(
                Status.Timeout, request.Service, request.Command,
                $"no reply within {request.Timeout.TotalMilliseconds:0} ms", connectionLost: false, inner: null));
        }
    }

    private void CancelRequest(PendingRequest request, CancellationToken token)
    {
        if (pending.TryRemove(request.Id, out _))
        {
            request.Cancel(token);
        }
    }
}
