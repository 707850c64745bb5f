using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Endpoints;

/// <summary>The constant frames the endpoints send (never changed, so a transport may reference them), and how bad input is shown.</summary>
internal static class Frames
{
    public static readonly byte[] MdpClientHeader = Mdp.ClientHeader.ToArray();
    public static readonly byte[] MdpWorkerHeader = Mdp.WorkerHeader.ToArray();
    public static readonly byte[] ZgClientHeader = ZgClient.Header.ToArray();
    public static readonly byte[] ControlHeader = Control.Header.ToArray();

    /// <summary>One-byte command frames, indexed by the command (ZGC01 and MDPW01 commands are all below 9).</summary>
    public static readonly byte[][] Commands = [[0], [1], [2], [3], [4], [5], [6], [7], [8]];

    /// <summary>A frame as shown in a bad-input report: quoted ASCII, or hex when not printable; at most 16 bytes.</summary>
    public static string Printable(ReadOnlySpan<byte> bytes)
    {
        var shown = bytes.Length > 16 ? bytes[..16] : bytes;
        foreach (var b in shown)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return "0x" + Convert.ToHexString(shown) + (bytes.Length > 16 ? "…" : string.Empty);
            }
        }

        return "\"" + Encoding.ASCII.GetString(shown) + (bytes.Length > 16 ? "…" : string.Empty) + "\"";
    }
}
