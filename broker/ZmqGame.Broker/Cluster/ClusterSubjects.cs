using System.Buffers.Text;
using System.Text;

namespace ZmqGame.Broker.Cluster;

/// <summary>
/// The NATS subjects and key-value names of one cluster. User ids and group names are arbitrary UTF-8, so they are
/// carried in subjects and keys as unpadded base64url (no '.', '*', '&gt;' or space can reach a subject).
/// </summary>
internal sealed class ClusterSubjects(string name, string brokerId)
{
    /// <summary>Broadcasts, logged-in and session-id targets, trigger actions: every broker listens.</summary>
    public string All { get; } = name + ".all";

    /// <summary>Each broker's heartbeat (its id), from which the live brokers are known.</summary>
    public string Presence { get; } = name + ".presence";

    /// <summary>The stats request every broker answers.</summary>
    public string Stats { get; } = name + ".stats";

    /// <summary>Where the other brokers answer this broker's requests.</summary>
    public string Replies { get; } = name + ".reply." + brokerId;

    /// <summary>The bucket holding the session key.</summary>
    public string KeysBucket { get; } = name + "-keys";

    /// <summary>The bucket holding the single-login records (user → broker and session).</summary>
    public string LoginsBucket { get; } = name + "-logins";

    /// <summary>The subject of the pushes and kicks for <paramref name="user"/>.</summary>
    public string User(string user) => name + ".user." + Token(user);

    /// <summary>The subject of the pushes and kicks for <paramref name="group"/>.</summary>
    public string Group(string group) => name + ".group." + Token(group);

    /// <summary>The key of <paramref name="user"/>'s single-login record.</summary>
    public static string LoginKey(string user) => "u." + Token(user);

    /// <summary>A user id or group name as a subject token or key part: unpadded base64url of its UTF-8 bytes.</summary>
    public static string Token(string value) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(value));
}
