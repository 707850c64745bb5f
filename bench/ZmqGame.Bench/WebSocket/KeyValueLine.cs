using System.Globalization;
using System.Text;

namespace ZmqGame.Bench.WebSocket;

/// <summary>A line of key=value words for the bench scripts (invariant culture; "-" for a missing value).</summary>
internal sealed class KeyValueLine
{
    private readonly StringBuilder text = new();

    public void Add(string key, object? value)
    {
        if (text.Length > 0)
        {
            text.Append(' ');
        }

        text.Append(key).Append('=').Append(value switch
        {
            null => "-",
            double d => d.ToString("0.###", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        });
    }

    public override string ToString() => text.ToString();
}
