using ZmqGame.Protocol;

namespace ZmqGame.Worker;

/// <summary>
/// What a handler and the hooks know about the request being served. One instance per request.
/// </summary>
public sealed class RequestContext
{
    private Dictionary<object, object?>? _items;

    internal RequestContext(string service, int command, ulong requestId, bool isRaw, int slot, CancellationToken requestAborted)
    {
        Service = service;
        Command = command;
        RequestId = requestId;
        IsRaw = isRaw;
        Slot = slot;
        RequestAborted = requestAborted;
    }

    /// <summary>The MDP service (worker pool) that received the request.</summary>
    public string Service { get; }

    /// <summary>The command id (route) of a ZmqGame request; 0 for a raw request.</summary>
    public int Command { get; }

    /// <summary>The client's request id of a ZmqGame request; 0 for a raw request.</summary>
    public ulong RequestId { get; }

    /// <summary>True for a stock MDP request served by the raw route.</summary>
    public bool IsRaw { get; }

    /// <summary>Index of the slot serving the request (0-based, per service).</summary>
    public int Slot { get; }

    /// <summary>
    /// Fires when nobody will read the result any more: the shutdown timeout ran out, or the slot lost its
    /// broker and reconnected. Long handlers should honour it.
    /// </summary>
    public CancellationToken RequestAborted { get; }

    /// <summary>How the request ended so far (<see cref="Status.Ok"/> until something fails); final in after hooks.</summary>
    public Status Status { get; internal set; } = Status.Ok;

    /// <summary>The exception that failed the request, if any; visible to after hooks.</summary>
    public Exception? Error { get; internal set; }

    /// <summary>Per-request data shared by hooks and the handler.</summary>
    public IDictionary<object, object?> Items => _items ??= new Dictionary<object, object?>();
}
