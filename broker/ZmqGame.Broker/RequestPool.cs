using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Broker;

/// <summary>
/// The broker's <see cref="PendingRequest"/>s, reused so that a request costs no allocation once the pool is warm.
/// Client requests are rented by the frontend endpoint; session and trigger events are built here
/// (<see cref="RentEvent"/>). A released event tells the sessions once (<see cref="EventDone"/>). Loop thread only.
/// </summary>
internal sealed class RequestPool
{
    /// <summary>Most requests kept for reuse; more are left to the garbage collector.</summary>
    public const int Limit = 4096;

    private readonly Stack<PendingRequest> _free = new();
    private ulong _eventIds;

    /// <summary>Told when an event about a session was answered, expired or dropped.</summary>
    public Action<Session, SessionEventType>? EventDone { get; set; }

    /// <summary>Requests ready for reuse.</summary>
    public int Pooled => _free.Count;

    /// <summary>An empty request (kind <see cref="ClientKind.Mdp"/>, no client, no body).</summary>
    public PendingRequest Rent() => _free.TryPop(out var request) ? request : new PendingRequest();

    /// <summary>
    /// An event for a ZmqGame worker: a client id of its own ([0][8-byte sequence], never a peer's), the event header,
    /// the session frame and the payload as its body.
    /// </summary>
    public PendingRequest RentEvent(in EventHeader header, byte[] sessionFrame, byte[] payload, Session? session)
    {
        var request = Rent();
        Span<byte> id = stackalloc byte[9];
        id[0] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(id[1..], ++_eventIds);
        request.SetClientId(id);
        request.Kind = ClientKind.Event;
        request.EventType = header.Type;
        request.Session = session;
        request.Command = header.Command;
        request.Body[0].InitShared(header.ToArray());
        request.Body[1].InitShared(sessionFrame);
        request.Body[2].InitShared(payload);
        request.BodyCount = 3;
        return request;
    }

    /// <summary>Frees the request's remaining frames and keeps it for reuse; an event tells the sessions it is done.</summary>
    public void Release(PendingRequest request)
    {
        if (request.Kind == ClientKind.Event && request.Session is { } session)
        {
            EventDone?.Invoke(session, request.EventType);
        }

        var body = request.Body;
        for (var i = 0; i < request.BodyCount; i++)
        {
            body[i].Close();
        }

        request.Reset();
        if (_free.Count < Limit)
        {
            _free.Push(request);
        }
    }
}
