using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// One client session: the connection it is on (null while the client is between connections), its user binding,
/// groups and the messages waiting for its connection. Owned by the broker's loop thread.
/// </summary>
internal sealed class Session
{
    public Session(ulong id, byte[] service)
    {
        Id = id;
        Service = service;
        ActivityNode = new LinkedListNode<Session>(this);
    }

    public ulong Id { get; }

    /// <summary>Service whose workers get this session's connected / closed events; empty for none.</summary>
    public byte[] Service { get; }

    /// <summary>The client's routing identity on the frontend; null while detached (connection gone, resume pending).</summary>
    public byte[]? Identity { get; set; }

    public string? UserId { get; private set; }

    public byte[] UserIdUtf8 { get; private set; } = [];

    public ulong Flags { get; set; }

    /// <summary>Groups the session is in (null until it joins one).</summary>
    public List<string>? Groups { get; set; }

    /// <summary>Messages waiting for the connection, oldest first (null until one has to wait).</summary>
    public Queue<OutboundMessage>? Outbound { get; set; }

    public int OutboundCount => Outbound?.Count ?? 0;

    /// <summary>Timestamp (TimeProvider ticks) the client was last heard from.</summary>
    public long LastHeard { get; set; }

    /// <summary>Timestamp (TimeProvider ticks) the session began on this broker (opened here, or arrived from another).</summary>
    public long OpenedAt { get; set; }

    /// <summary>Position in the manager's list of sessions ordered by <see cref="LastHeard"/>.</summary>
    public LinkedListNode<Session> ActivityNode { get; }

    /// <summary>Unix time (ms) the client's current ticket was issued.</summary>
    public long TicketIssuedMs { get; set; }

    /// <summary>Its <c>client connected</c> event is still on its way; the close event waits for it.</summary>
    public bool ConnectedEventPending { get; set; }

    /// <summary>The session ended while its connected event was pending: the close event to send after it.</summary>
    public (SessionCloseReason Reason, string Text)? DeferredClose { get; set; }

    public bool Ended { get; set; }

    /// <summary>The session's request rate limit bucket (<see cref="Limits.RequestLimiter"/>); a field, taken by reference.</summary>
    public Limits.TokenBucket RequestBucket;

    /// <summary>Scratch mark for de-duplicating action targets.</summary>
    public int Mark { get; set; }

    public void SetUser(string? userId)
    {
        UserId = userId;
        UserIdUtf8 = userId is null ? [] : Encoding.UTF8.GetBytes(userId);
    }
}

/// <summary>
/// A message for a ZmqGame client after <c>[identity][""]["ZGC01"][command]</c>: the frames are immutable and may be
/// shared by many sessions (a broadcast is built once).
/// </summary>
internal sealed class OutboundMessage(byte command, byte[][] frames)
{
    public byte Command { get; } = command;

    public byte[][] Frames { get; } = frames;
}
