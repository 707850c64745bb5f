using MessagePack;

namespace ZmqGame.Protocol;

/// <summary>
/// What a ZmqGame worker says about itself in READY, as an extra frame after the service name:
/// a MessagePack map {"zg": 1, "version": "1.2.3", "idempotent": [cmd, …]}. A stock MDP worker sends
/// no such frame; a broker that does not know the extension ignores it.
/// </summary>
internal sealed class WorkerInfo
{
    public const int ProtocolVersion = 1;

    public WorkerInfo(string version, IReadOnlyCollection<int> idempotent)
    {
        Version = version;
        Idempotent = idempotent;
    }

    /// <summary>The worker build's version, as its operator should see it in broker stats.</summary>
    public string Version { get; }

    /// <summary>Command ids the broker may re-dispatch once if the worker is lost while running them.</summary>
    public IReadOnlyCollection<int> Idempotent { get; }

    public byte[] Serialize() => MessagePackSerializer.Serialize(
        new Dictionary<string, object>
        {
            ["zg"] = ProtocolVersion,
            ["version"] = Version,
            ["idempotent"] = Idempotent.ToArray(),
        },
        Payload.Options);

    /// <summary>Parses a READY metadata frame; false for anything that is not one.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> frame, out WorkerInfo info)
    {
        info = new WorkerInfo(string.Empty, Array.Empty<int>());
        Dictionary<string, object?> map;
        try
        {
            map = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(frame, Payload.Options);
        }
        catch (MessagePackSerializationException)
        {
            return false;
        }

        if (map is null || !map.TryGetValue("zg", out var zg) || zg is null || Convert.ToInt64(zg, System.Globalization.CultureInfo.InvariantCulture) != ProtocolVersion)
        {
            return false;
        }

        var version = map.TryGetValue("version", out var v) && v is string s ? s : string.Empty;
        var idempotent = new List<int>();
        if (map.TryGetValue("idempotent", out var list) && list is object[] items)
        {
            foreach (var item in items)
            {
                if (item is null || item is string || item is object[])
                {
                    return false;
                }

                idempotent.Add(Convert.ToInt32(item, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        info = new WorkerInfo(version.Length > 64 ? version.Substring(0, 64) : version, idempotent);
        return true;
    }
}
