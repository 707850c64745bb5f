using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Cluster;

/// <summary>Reads a session's pushes up to a marker push, counting each command: what arrived, and how often.</summary>
internal static class PushCounts
{
    /// <summary>The commands of the pushes <paramref name="client"/> got before the push with <paramref name="marker"/>, with their counts.</summary>
    public static Dictionary<int, int> Until(RawSessionClient client, int marker)
    {
        var counts = new Dictionary<int, int>();
        while (true)
        {
            var (command, _) = client.NextPush();
            if (command == marker)
            {
                return counts;
            }

            counts[command] = counts.GetValueOrDefault(command) + 1;
        }
    }
}
