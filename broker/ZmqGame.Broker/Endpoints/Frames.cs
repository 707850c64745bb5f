using System.Text;

namespace ZmqGame.Broker.Endpoints;

/// <summary>How a received frame is shown in a bad-input report.</summary>
internal static class Frames
{
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
