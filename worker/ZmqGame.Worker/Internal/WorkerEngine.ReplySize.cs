using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>Replies over the broker's size limit: refused here, so the broker does not refuse them on the wire.</summary>
internal sealed partial class WorkerEngine
{
    /// <summary>
    /// The reply to send for the request <paramref name="slot"/> holds: <paramref name="reply"/> itself, or, when the
    /// REPLY would be over <see cref="WorkerOptions.MaxMessageSize"/>, a <c>too large</c> status (ZmqGame request) or
    /// an error frame (stock MDP request) that says so. Logged and counted as a failed handler.
    /// </summary>
    private IReadOnlyList<byte[]> WithinSizeLimit(Slot slot, IReadOnlyList<byte[]> reply)
    {
        // [""]["MDPW01"][0x03][client][""] and the body.
        long size = Mdp.WorkerHeader.Length + 1 + slot.Client!.Length;
        for (var i = 0; i < reply.Count; i++)
        {
            size += reply[i].Length;
        }

        if (size <= _options.MaxMessageSize || slot.HoldsEvent)
        {
            return reply;
        }

        var text = $"the handler's reply of {size} bytes is over the broker's limit of {_options.MaxMessageSize}";
        Interlocked.Increment(ref _counters.HandlerFailures);
        Log.ReplyTooLarge(_logger, slot.Service.Name, size, _options.MaxMessageSize);
        return slot.RequestId is { } id
            ? [new ReplyHeader(id, Status.TooLarge).ToArray(), Encoding.UTF8.GetBytes(text)]
            : [Encoding.UTF8.GetBytes("error: too large: " + text)];
    }
}
