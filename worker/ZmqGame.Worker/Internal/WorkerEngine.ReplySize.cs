using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>Replies over the broker's size limit: refused here, so the broker does not refuse them on the wire.</summary>
internal sealed partial class WorkerEngine
{
    /// <summary>The size limit of the REPLY to the request <paramref name="slot"/> has just taken.</summary>
    private ReplyLimit ReplyLimitFor(Slot slot) =>
        // [""]["MDPW01"][0x02 REPLY][client][""] come before the body.
        new(_options.MaxMessageSize, Mdp.WorkerHeader.Length + 1 + slot.Client!.Length);
}
