using MessagePack;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Cluster;

/// <summary>
/// What brokers say to each other over NATS (docs/cluster.md, "Messages"): one MessagePack map per NATS message.
/// </summary>
[MessagePackObject]
internal sealed class ClusterMessage
{
    /// <summary>A session action (push, kick, bind, unbind, join, leave) to run on the sessions the broker holds.</summary>
    public const string ActionKind = "action";

    /// <summary>A user logged in (or resumed) on the sender, with the revision of its single-login record.</summary>
    public const string LoginKind = "login";

    /// <summary>A session resumed on the sender from its ticket: another broker drops it silently.</summary>
    public const string MovedKind = "moved";

    /// <summary>A request for the receiver's stats.</summary>
    public const string StatsKind = "stats";

    /// <summary>An answer to an action or stats request carrying a reply subject.</summary>
    public const string ResultKind = "result";

    [Key("kind")]
    public string Kind { get; set; } = string.Empty;

    /// <summary>The action id (a broker that gets it through two subjects runs it once), or the request an answer is for.</summary>
    [Key("id")]
    public ulong Id { get; set; }

    /// <summary>The sending broker's id.</summary>
    [Key("from")]
    public string From { get; set; } = string.Empty;

    [Key("action")]
    public string? Action { get; set; }

    [Key("args")]
    public ActionArgs? Args { get; set; }

    [Key("payload")]
    public byte[][]? Payload { get; set; }

    [Key("user")]
    public string? User { get; set; }

    [Key("session")]
    public ulong Session { get; set; }

    /// <summary>login: the revision of the single-login record; the higher revision is the newer login.</summary>
    [Key("rev")]
    public ulong Revision { get; set; }

    /// <summary>result: the answer (an <see cref="ActionResult"/> or a <see cref="StatsReport"/>).</summary>
    [Key("result")]
    public byte[]? Result { get; set; }

    public byte[] Serialize() => MessagePackSerializer.Serialize(this, ZmqGame.Protocol.Payload.Options);

    /// <summary>Reads a message; null for anything that is not one.</summary>
    public static ClusterMessage? TryParse(byte[] body)
    {
        try
        {
            return MessagePackSerializer.Deserialize<ClusterMessage>(body, ZmqGame.Protocol.Payload.Options);
        }
        catch (MessagePackSerializationException)
        {
            return null;
        }
    }
}
