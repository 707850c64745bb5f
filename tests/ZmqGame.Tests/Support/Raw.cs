using System.Text;
using NetMQ;

namespace ZmqGame.Tests.Support;

/// <summary>
/// Frame helpers for tests that speak to the broker with raw NetMQ sockets, written from the
/// RFCs (7 and 8) and docs/protocol.md rather than through the ZmqGame libraries.
/// </summary>
internal static class Raw
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string S(byte[] b) => Encoding.UTF8.GetString(b);

    public static void Send(IOutgoingSocket socket, params byte[][] frames)
    {
        Assert.That(socket.TrySendMultipartBytes(Wait, frames), Is.True, "send timed out");
    }

    /// <summary>Receives one whole message, failing the test after <paramref name="timeout"/> (default 10 s).</summary>
    public static List<byte[]> Receive(IReceivingSocket socket, TimeSpan? timeout = null)
    {
        var frames = new List<byte[]>();
        var ok = socket.TryReceiveMultipartBytes(timeout ?? Wait, ref frames);
        Assert.That(ok, Is.True, "no message within the timeout");
        return frames;
    }

    /// <summary>Receives until a message matches, skipping others (such as heartbeats).</summary>
    public static List<byte[]> ReceiveUntil(IReceivingSocket socket, Func<List<byte[]>, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait);
        while (true)
        {
            // Whole milliseconds: NetMQ spins on a receive timeout between 0 and 1 ms.
            var left = TimeSpan.FromMilliseconds(Math.Ceiling((deadline - DateTime.UtcNow).TotalMilliseconds));
            Assert.That(left, Is.GreaterThan(TimeSpan.Zero), "no matching message within the timeout");
            var frames = new List<byte[]>();
            if (socket.TryReceiveMultipartBytes(left, ref frames) && match(frames))
            {
                return frames;
            }
        }
    }

    public static bool IsWorkerCommand(List<byte[]> frames, byte command) =>
        frames.Count >= 3 && frames[0].Length == 0 && S(frames[1]) == "MDPW01" && frames[2].Length == 1 && frames[2][0] == command;
}
